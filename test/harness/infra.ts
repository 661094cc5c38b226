// Real infrastructure for tests and benchmarks: the NATS, Postgres and Redis the environment names
// (the machine's loopback defaults otherwise). Each suite gets its own database and its own bus
// prefix, so suites never see each other's streams, subjects or rows.
import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import pg from "pg";

export interface InfraUrls {
  nats: string;
  postgresAdmin: string;
  redis: string;
}

export const infraUrls: InfraUrls = {
  nats: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  postgresAdmin: process.env.SWITCHYARD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redis: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
};

export interface TestInfra {
  /** Environment for every Switchyard process of this suite. */
  env: Record<string, string>;
  databaseUrl: string;
  busPrefix: string;
  pool: pg.Pool;
  nc: NatsConnection;
  dispose(): Promise<void>;
}

/** `urls` replaces the machine's servers, e.g. with private ones a suite may kill. */
export async function createTestInfra(name: string, urls: Partial<InfraUrls> = {}): Promise<TestInfra> {
  const servers = { ...infraUrls, ...urls };
  const suffix = randomBytes(4).toString("hex");
  const database = `sy_${name.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${suffix}`;
  const busPrefix = `t${suffix}`;
  const admin = new pg.Client({ connectionString: servers.postgresAdmin });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const databaseUrl = new URL(servers.postgresAdmin);
  databaseUrl.pathname = `/${database}`;
  const pool = new pg.Pool({ connectionString: databaseUrl.toString(), max: 4 });
  pool.on("error", () => {}); // an idle connection dropped by the server is replaced, not fatal
  const nc = await connect({ servers: servers.nats, maxReconnectAttempts: -1 });
  const env = {
    NATS_URL: servers.nats,
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: servers.redis,
    SWITCHYARD_BUS_PREFIX: busPrefix,
    LOG_LEVEL: process.env.SWITCHYARD_TEST_LOG_LEVEL ?? "warn",
    // Suites run the services with their development checks on (each emitted notification parsed
    // against its spec); the benchmarks run them as deployed (test/bench/deployed.ts).
    SWITCHYARD_CHECK_EVENTS: process.env.SWITCHYARD_CHECK_EVENTS ?? "1",
    // A `switchyard start` a suite runs starts the services as the suite does: the bundles `pnpm test` just built.
    SWITCHYARD_RUN_FROM: process.env.SWITCHYARD_TEST_BUNDLES === "1" ? "dist" : "src",
    // The suites' model providers and thread-config endpoints listen on loopback; the rest of the
    // private ranges stay refused, as in a deployment (test/egress.test.ts runs without this).
    SWITCHYARD_EGRESS_ALLOW: "loopback",
  };
  return {
    env,
    databaseUrl: databaseUrl.toString(),
    busPrefix,
    pool,
    nc,
    async dispose() {
      // The database is dropped even when the streams cannot be removed (the error is still raised).
      try {
        const jsm = await jetstreamManager(nc);
        for await (const stream of jsm.streams.list()) {
          if (stream.config.name.startsWith(`${busPrefix.toUpperCase()}_`)) await jsm.streams.delete(stream.config.name);
        }
      } finally {
        await nc.close();
        await pool.end();
        const cleanup = new pg.Client({ connectionString: servers.postgresAdmin });
        await cleanup.connect();
        await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await cleanup.end();
      }
    },
  };
}
