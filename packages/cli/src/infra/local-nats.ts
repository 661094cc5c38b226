// A local nats-server with JetStream, data under the state directory.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bindAddress, type Endpoint } from "./endpoints.js";
import { findExecutable, type LocalServer, startLocalServer, waitUntilReady } from "./local-server.js";
import { type LocalStartContext, MissingServerBinary } from "./local-start.js";
import { probeNats } from "./probes.js";

export async function startLocalNats(endpoint: Endpoint, context: LocalStartContext): Promise<LocalServer> {
  const binary = findExecutable("nats-server", context.path);
  if (!binary) throw new MissingServerBinary("nats-server", "nats-server was not found on PATH");
  const dataDirectory = join(context.stateDir, "nats");
  mkdirSync(dataDirectory, { recursive: true });
  const server = startLocalServer({
    name: "nats-server",
    command: binary,
    args: ["-js", "-sd", dataDirectory, "-a", bindAddress(endpoint), "-p", String(endpoint.port)],
    logFile: join(context.logDir, "nats.log"),
    cwd: context.stateDir,
  });
  try {
    await waitUntilReady(server, async () => (await probeNats(endpoint.url, 1_000)).state === "up", context.timeoutMs);
  } catch (error) {
    await server.stop("SIGKILL", 2_000);
    throw error;
  }
  return server;
}
