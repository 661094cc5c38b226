// Health for processes that have no HTTP server of their own: GET /healthz (alive), /readyz
// (dependencies reachable, not shutting down) and /metrics (Prometheus text, see metrics.ts). The
// gateway serves the same routes from fastify.
import { createServer, type Server } from "node:http";
import { serveMetrics } from "./metrics.js";

export type ReadinessCheck = () => Promise<Record<string, boolean>>;

export async function startHealthServer(options: { host: string; port: number; readiness: ReadinessCheck }): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (request.url === "/readyz") {
      options
        .readiness()
        .then((checks) => {
          const isReady = Object.values(checks).every(Boolean);
          response.writeHead(isReady ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(checks));
        })
        .catch((error) => response.writeHead(503).end(String(error)));
      return;
    }
    if (request.url === "/metrics") {
      serveMetrics(request, response);
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  return server;
}
