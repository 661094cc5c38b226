// A private nats-server with JetStream for suites that kill the bus: its own port and store
// directory, so killing it touches nothing else. Restarting reuses both, as a real restart would.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports.js";

const NATS_SERVER = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find(existsSync);

export interface PrivateNatsServer {
  url: string;
  port: number;
  /** SIGKILL: the server gets no chance to flush or say goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store; resolves when it accepts connections. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startPrivateNatsServer(): Promise<PrivateNatsServer> {
  if (!NATS_SERVER) throw new Error("nats-server is not installed (apt-get install nats-server)");
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "sy-nats-"));
  let child: ChildProcess | undefined;
  const server: PrivateNatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
    async start() {
      child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], { stdio: "ignore" });
      await waitForPort(port, 10_000, "nats-server");
    },
    async dispose() {
      await server.kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
