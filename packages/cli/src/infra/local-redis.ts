// A local redis-server without persistence (Redis holds only rebuildable state), always on the same
// port with the same working directory.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bindAddress, type Endpoint } from "./endpoints.js";
import { findExecutable, type LocalServerRecipe } from "./local-server.js";
import { type LocalStartContext, MissingServerBinary } from "./local-start.js";
import { probeRedis } from "./probes.js";

export async function localRedisRecipe(endpoint: Endpoint, context: LocalStartContext): Promise<LocalServerRecipe> {
  const binary = findExecutable("redis-server", context.path);
  if (!binary) throw new MissingServerBinary("redis-server", "redis-server was not found on PATH");
  const dataDirectory = join(context.stateDir, "redis");
  mkdirSync(dataDirectory, { recursive: true });
  return {
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
    isReady: async () => (await probeRedis(endpoint.url, 1_000)).state === "up",
    stopSignal: "SIGTERM",
  };
}
