// A local redis-server without persistence (Redis holds only rebuildable state).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bindAddress, type Endpoint } from "./endpoints.js";
import { findExecutable, type LocalServer, startLocalServer, waitUntilReady } from "./local-server.js";
import { type LocalStartContext, MissingServerBinary } from "./local-start.js";
import { probeRedis } from "./probes.js";

export async function startLocalRedis(endpoint: Endpoint, context: LocalStartContext): Promise<LocalServer> {
  const binary = findExecutable("redis-server", context.path);
  if (!binary) throw new MissingServerBinary("redis-server", "redis-server was not found on PATH");
  const dataDirectory = join(context.stateDir, "redis");
  mkdirSync(dataDirectory, { recursive: true });
  const server = startLocalServer({
    name: "redis-server",
    command: binary,
    // biome-ignore format: flag/value pairs
    args: [
      "--port", String(endpoint.port),
      "--bind", bindAddress(endpoint),
      "--save", "",
      "--appendonly", "no",
      "--dir", dataDirectory,
      "--daemonize", "no",
    ],
    logFile: join(context.logDir, "redis.log"),
    cwd: context.stateDir,
  });
  try {
    await waitUntilReady(server, async () => (await probeRedis(endpoint.url, 1_000)).state === "up", context.timeoutMs);
  } catch (error) {
    await server.stop("SIGKILL", 2_000);
    throw error;
  }
  return server;
}
