// Thread service: threads, their items and names in Postgres, served on both bus lanes.
import { fileURLToPath } from "node:url";
import { busSubjects } from "@switchyard/protocol";
import {
  assertRowLevelSecurityApplies,
  connectNats,
  createLogger,
  createPool,
  createRedis,
  defaultKeyedLaneSettings,
  Lifecycle,
  loadMigrations,
  migrate,
  newToken,
  startBusService,
  startHealthServer,
  startPresence,
  startTracing,
  TenantDb,
} from "@switchyard/runtime";
import { loadThreadEnv } from "./env.js";
import { threadHandlers } from "./handlers/thread-handlers.js";
import { PgThreadStore } from "./store/thread-store.js";

export const THREAD_SERVICE_VERSION = "0.1.0";
export const threadMigrationsDirectory = fileURLToPath(new URL("../migrations", import.meta.url));

async function main(): Promise<void> {
  const env = loadThreadEnv();
  const instanceId = env.SWITCHYARD_INSTANCE_ID ?? `thread-${newToken(4)}`;
  const log = createLogger({ service: "thread", instanceId, level: env.LOG_LEVEL });
  const lifecycle = new Lifecycle(log, env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();

  const tracing = await startTracing({ service: "thread", endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  lifecycle.onShutdown("tracing", () => tracing.shutdown());

  // Migrations run as the login role (they create tables, policies and the service role); queries
  // run as THREAD_PG_ROLE, which row-level security applies to.
  const migrationPool = createPool({ url: env.DATABASE_URL, applicationName: `switchyard-${instanceId}-migrate`, max: 1, log });
  await migrate(migrationPool, { schema: "thread", migrations: loadMigrations(threadMigrationsDirectory), log });
  await migrationPool.end();
  const pool = createPool({
    url: env.DATABASE_URL,
    applicationName: `switchyard-${instanceId}`,
    max: env.THREAD_PG_POOL_SIZE,
    log,
    role: env.THREAD_PG_ROLE || undefined,
  });
  lifecycle.onShutdown("postgres", () => pool.end());
  await assertRowLevelSecurityApplies(pool);

  const redis = createRedis({ url: env.REDIS_URL, log, name: instanceId });
  lifecycle.onShutdown("redis", () => void redis.disconnect());

  const bus = await connectNats({ url: env.NATS_URL, name: instanceId, log });
  const nc = bus.nc;
  lifecycle.onShutdown("nats", () => nc.drain());

  const subjects = busSubjects(env.SWITCHYARD_BUS_PREFIX);
  const store = new PgThreadStore(new TenantDb(pool));
  const lanes = await startBusService({
    nc,
    subjects,
    service: "thread",
    version: THREAD_SERVICE_VERSION,
    handlers: threadHandlers(store, {
      model: env.SWITCHYARD_DEFAULT_MODEL,
      modelProvider: env.SWITCHYARD_DEFAULT_MODEL_PROVIDER,
      cwd: env.THREAD_DEFAULT_CWD,
    }),
    keyedSettings: {
      ...defaultKeyedLaneSettings,
      ackWaitMs: env.SWITCHYARD_KEYED_ACK_WAIT_MS,
      maxDeliver: env.SWITCHYARD_KEYED_MAX_DELIVER,
    },
    log,
  });
  lifecycle.onShutdown("bus", () => lanes.stop());

  const health = await startHealthServer({
    host: env.THREAD_HEALTH_HOST,
    port: env.THREAD_HEALTH_PORT,
    readiness: async () => ({
      nats: bus.isConnected(),
      lanes: bus.isConnected() && lanes.isServing(),
      postgres: await pool.query("SELECT 1").then(
        () => true,
        () => false,
      ),
      accepting: !lifecycle.isShuttingDown,
    }),
  });
  lifecycle.onShutdown("health", () => new Promise<void>((resolve) => health.close(() => resolve())));
  const healthAddress = health.address();
  const healthPort = typeof healthAddress === "object" && healthAddress ? healthAddress.port : 0;

  const stopPresence = startPresence({
    redis,
    prefix: env.SWITCHYARD_BUS_PREFIX,
    service: "thread",
    instanceId,
    describe: () => ({ healthPort }),
  });
  lifecycle.onShutdown("presence", stopPresence);

  log.info({ healthPort }, "thread service ready");
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
