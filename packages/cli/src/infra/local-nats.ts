// A local nats-server with JetStream, data under the state directory: always the same port and store
// directory, so streams survive a restart.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bindAddress, type Endpoint } from "./endpoints.js";
import { findExecutable, type LocalServerRecipe } from "./local-server.js";
import { type LocalStartContext, MissingServerBinary } from "./local-start.js";
import { probeNats } from "./probes.js";

export async function localNatsRecipe(endpoint: Endpoint, context: LocalStartContext): Promise<LocalServerRecipe> {
  const binary = findExecutable("nats-server", context.path);
  if (!binary) throw new MissingServerBinary("nats-server", "nats-server was not found on PATH");
  const dataDirectory = join(context.stateDir, "nats");
  mkdirSync(dataDirectory, { recursive: true });
  return {
    name: "nats-server",
    command: binary,
    args: ["-js", "-sd", dataDirectory, "-a", bindAddress(endpoint), "-p", String(endpoint.port)],
    logFile: join(context.logDir, "nats.log"),
    cwd: context.stateDir,
    isReady: async () => (await probeNats(endpoint.url, 1_000)).state === "up",
    stopSignal: "SIGTERM",
  };
}
