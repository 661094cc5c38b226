// A private redis-server for suites that stop Redis: its own port, nothing kept on disk (like the
// machine's), so stopping it touches nothing else.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { freePort, type PrivateServer, startRestartableServer } from "./ports.js";

const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find(existsSync);

export type PrivateRedis = PrivateServer;

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const binary = REDIS_SERVER;
  if (!binary) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const port = await freePort();
  return startRestartableServer({
    url: `redis://127.0.0.1:${port}`,
    port,
    what: "redis-server",
    spawn: () =>
      spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", ""], {
        stdio: "ignore",
      }),
  });
}
