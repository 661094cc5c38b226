// The gateway's HTTP surface (fastify): /healthz, /readyz, /metrics, and the WebSocket upgrade on every
// other path. Authentication happens here, once per connection, before the upgrade completes, and
// then connection admission (the per-tenant and per-token connection limits: 429 when full).
// `/environments/<environmentId>` upgrades to a relayed connection to that machine, after the
// remote-control service agreed (same tenant, enrolled, connected); any other path is a Switchyard session.
import websocket from "@fastify/websocket";
import { serveMetrics } from "@switchyard/runtime";
import Fastify, { type FastifyInstance } from "fastify";
import type { Authenticator, Principal } from "./auth/authenticator.js";
import type { ConnectionAdmission } from "./limits/connection-limiter.js";

export type RelayGrant = { ok: true } | { ok: false; status: 404 | 403 | 503; text: string };

export interface ServerHooks {
  isReady(): Promise<Record<string, boolean>>;
  /** Takes a connection slot for the principal; it is released when the connection's socket closes. */
  admitConnection(principal: Principal): Promise<ConnectionAdmission>;
  onConnection(socket: import("ws").WebSocket, principal: Principal): void;
  /** May this principal open a relayed session to the environment? Asked before the upgrade. */
  authorizeRelay(principal: Principal, environmentId: string): Promise<RelayGrant>;
  onRelayConnection(socket: import("ws").WebSocket, principal: Principal, environmentId: string): void;
}

/** `/environments/<environmentId>` (a trailing slash and a query are tolerated) → the id. */
export function relayEnvironmentOf(url: string): string | undefined {
  const match = /^\/environments\/([^/?#]+)\/?(?:[?#].*)?$/.exec(url);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

export async function buildServer(options: {
  authenticator: Authenticator;
  allowedOrigins: string[];
  maxFrameBytes: number;
  pingIntervalMs: number;
  hooks: ServerHooks;
}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(websocket, {
    // A frame over maxPayload closes its connection with 1009; requests too large for the bus but
    // under it are answered "request too large" by the connection instead.
    options: { maxPayload: options.maxFrameBytes, perMessageDeflate: false },
    // On shutdown, tell clients the server is going away (1001) so they reconnect to another gateway.
    preClose(done) {
      for (const client of app.websocketServer.clients) client.close(1001, "gateway shutting down");
      app.websocketServer.close(() => done());
    },
  });
  const allowedOrigins = new Set(options.allowedOrigins);

  // Keepalive: a peer that vanished without a FIN (a half-open socket) is dropped after one silent
  // interval instead of holding its buffers forever. Codex clients answer pings automatically.
  const isAlive = new WeakMap<object, boolean>();
  const keepalive = setInterval(() => {
    for (const client of app.websocketServer.clients) {
      if (client.readyState !== client.OPEN) continue;
      if (isAlive.get(client) === false) {
        client.terminate();
        continue;
      }
      isAlive.set(client, false);
      client.ping();
    }
  }, options.pingIntervalMs);
  keepalive.unref();
  app.addHook("onClose", async () => clearInterval(keepalive));

  // Browsers always send Origin; Codex clients never do. Refuse cross-site use outright.
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      await reply.code(403).type("text/plain").send("forbidden origin");
    }
  });

  app.get("/healthz", async (_request, reply) => reply.type("text/plain").send("ok"));
  app.get("/readyz", async (_request, reply) => {
    const checks = await options.hooks.isReady();
    const isReady = Object.values(checks).every(Boolean);
    return reply.code(isReady ? 200 : 503).send(checks);
  });
  // Prometheus text exposition (packages/runtime/src/metrics.ts), written straight to the socket.
  app.get("/metrics", (request, reply) => {
    reply.hijack();
    serveMetrics(request.raw, reply.raw);
  });

  const principals = new WeakMap<object, Principal>();
  const relayTargets = new WeakMap<object, string>();
  app.route({
    method: "GET",
    url: "/*",
    preValidation: async (request, reply) => {
      if (!request.ws) return; // a plain GET is answered by the handler below
      const result = await options.authenticator.authenticate(request.headers.authorization);
      if (!result.ok) {
        await reply.code(result.status).type("text/plain").send(result.text);
        return;
      }
      const environmentId = relayEnvironmentOf(request.url);
      if (environmentId !== undefined) {
        const grant = await options.hooks.authorizeRelay(result.principal, environmentId);
        if (!grant.ok) {
          await reply.code(grant.status).type("text/plain").send(grant.text);
          return;
        }
        relayTargets.set(request.raw, environmentId);
      }
      const admission = await options.hooks.admitConnection(result.principal);
      if (!admission.ok) {
        await reply
          .code(429)
          .header("retry-after", String(admission.retryAfterS))
          .type("application/json")
          .send(JSON.stringify({ error: "too many connections", scope: admission.scope, limit: admission.limit }));
        return;
      }
      // The TCP socket outlives the upgrade and closes with the WebSocket (or if the upgrade fails).
      const tcp = request.raw.socket;
      if (tcp.destroyed) {
        admission.release();
        return;
      }
      tcp.once("close", admission.release);
      principals.set(request.raw, result.principal);
    },
    handler: async (_request, reply) => reply.code(400).type("text/plain").send("expected a websocket upgrade"),
    wsHandler: (socket, request) => {
      const principal = principals.get(request.raw);
      if (!principal) {
        socket.close(1008, "unauthenticated");
        return;
      }
      isAlive.set(socket, true);
      socket.on("pong", () => isAlive.set(socket, true));
      const environmentId = relayTargets.get(request.raw);
      if (environmentId !== undefined) options.hooks.onRelayConnection(socket, principal, environmentId);
      else options.hooks.onConnection(socket, principal);
    },
  });
  return app;
}
