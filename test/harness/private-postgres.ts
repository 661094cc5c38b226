// A private PostgreSQL cluster for suites that restart the database: its own data directory and
// port, so an immediate stop touches nothing else. The server runs as the `postgres` system user
// (Postgres refuses to run as root). Restarting reuses the data directory, so what was committed
// before the crash must be there after crash recovery — the point of the exercise.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports.js";

function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((version) => join(root, version, "bin")).find((dir) => existsSync(join(dir, "postgres")));
  if (!found) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  return found;
}

/** Postgres refuses to run as root: as root (CI machines), its binaries run as the postgres user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const user = { uid: id("-u"), gid: id("-g") };
  if (!Number.isInteger(user.uid) || !Number.isInteger(user.gid)) throw new Error("running as root and no postgres user exists");
  return user;
}

export interface PrivatePostgres {
  port: number;
  /** The superuser's URL on the `postgres` database (what test infra creates databases with). */
  adminUrl: string;
  /** An immediate stop: backends die without a checkpoint; the next start runs crash recovery. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data; resolves when it accepts connections. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "sy-pg-"));
  chmodSync(dataDir, 0o700);
  const user = postgresUser();
  if (user) spawnSync("chown", [`${user.uid}:${user.gid}`, dataDir]);
  const initialized = spawnSync(
    join(bin, "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
    { encoding: "utf8", ...user },
  );
  if (initialized.status !== 0) throw new Error(`initdb failed: ${initialized.stderr || initialized.stdout}`);
  let child: ChildProcess | undefined;
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const server: PrivatePostgres = {
    port,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async crash() {
      if (!child || !isRunning()) return;
      const exited = once(child, "exit");
      // SIGQUIT to the postmaster is `pg_ctl stop -m immediate`.
      child.kill("SIGQUIT");
      await exited;
    },
    async start() {
      child = spawn(
        join(bin, "postgres"),
        ["-D", dataDir, "-p", String(port), "-k", dataDir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
        { stdio: "ignore", ...user },
      );
      await waitForPort(port, 20_000, "postgres");
      // Accepting TCP is not accepting queries: wait out crash recovery.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ready = spawnSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)], { encoding: "utf8" });
        if (ready.status === 0) return;
        if (Date.now() > deadline) throw new Error(`postgres on ${port} did not accept queries: ${ready.stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async dispose() {
      if (child && isRunning()) {
        const exited = once(child, "exit");
        child.kill("SIGINT"); // fast shutdown
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
