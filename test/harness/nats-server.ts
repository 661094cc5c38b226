// A private nats-server with JetStream for suites that kill the bus: its own port and store
// directory, so killing it touches nothing else. Restarting reuses both, as a real restart would.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type PrivateServer, startRestartableServer } from "./ports.js";

const NATS_SERVER = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find(existsSync);

export type PrivateNatsServer = PrivateServer;

export async function startPrivateNatsServer(): Promise<PrivateNatsServer> {
  const binary = NATS_SERVER;
  if (!binary) throw new Error("nats-server is not installed (apt-get install nats-server)");
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "sy-nats-"));
  return startRestartableServer({
    url: `nats://127.0.0.1:${port}`,
    port,
    what: "nats-server",
    spawn: () => spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], { stdio: "ignore" }),
    cleanUp: () => rmSync(storeDir, { recursive: true, force: true }),
  });
}
