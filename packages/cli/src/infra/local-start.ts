// What every local server start needs, and the error that says a server is not installed.

export interface LocalStartContext {
  /** Absolute state directory (`.switchyard/`): each server keeps its data in a folder of it. */
  stateDir: string;
  logDir: string;
  /** PATH to search for server binaries. */
  path: string;
  /** How long to wait for a started server to answer. */
  timeoutMs: number;
  /** Environment for server processes. */
  env: NodeJS.ProcessEnv;
  postgresBinDir?: string;
}

/** A server binary (nats-server, redis-server, Postgres) is not installed. */
export class MissingServerBinary extends Error {
  constructor(
    readonly binary: string,
    message: string,
  ) {
    super(message);
  }
}

export const installHelp = [
  "Install the missing servers, or run them all in Docker:",
  "  Debian/Ubuntu:  sudo apt-get install nats-server redis-server postgresql",
  "  macOS:          brew install nats-server redis postgresql@16",
  "  Docker:         docker compose -f infra/docker-compose.yml up -d",
  "or point NATS_URL / DATABASE_URL / REDIS_URL at servers that are running.",
].join("\n");
