// A private redis-server for suites that stop Redis: its own port, nothing kept on disk (like the
// machine's), so stopping it touches nothing else.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { freePort, waitForPort } from "./ports.js";

const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find(existsSync);

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: clients see their connections reset. */
  kill(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
    async start() {
      child = spawn(
        REDIS_SERVER,
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", ""],
        { stdio: "ignore" },
      );
      await waitForPort(port, 10_000, "redis-server");
    },
    dispose: () => server.kill(),
  };
  await server.start();
  return server;
}
