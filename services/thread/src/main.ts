// Thread service: threads, their items and names in Postgres, served on both bus lanes.
import { fileURLToPath } from "node:url";
import { busSubjects, type SearchCancelEvent } from "@switchyard/protocol";
import {
  assertRowLevelSecurityApplies,
  connectNats,
  createLogger,
  createPool,
  createRedis,
  decodeJson,
  defaultKeyedLaneSettings,
  EventPublisher,
  encodeJson,
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
import { lifecycleHandlers } from "./handlers/lifecycle-handlers.js";
import { SearchCancellations, searchHandlers } from "./handlers/search-handlers.js";
import { threadHandlers } from "./handlers/thread-handlers.js";
import { startIdleSweeper } from "./idle-sweeper.js";
import { LifecycleStore } from "./store/lifecycle-store.js";
import { PgSearchStore } from "./store/search-store.js";
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
  // The maintenance pool (login role) also serves the idle sweeper, which spans tenants.
  const maintenancePool = createPool({
    url: env.DATABASE_URL,
    applicationName: `switchyard-${instanceId}-maintenance`,
    max: 1,
    log,
  });
  lifecycle.onShutdown("postgres maintenance", () => maintenancePool.end());
  await migrate(maintenancePool, { schema: "thread", migrations: loadMigrations(threadMigrationsDirectory), log });
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
  const db = new TenantDb(pool);
  const store = new PgThreadStore(db);
  const lifecycleStore = new LifecycleStore(db);
  const defaults = {
    model: env.SWITCHYARD_DEFAULT_MODEL,
    modelProvider: env.SWITCHYARD_DEFAULT_MODEL_PROVIDER,
    cwd: env.THREAD_DEFAULT_CWD,
  };
  // Search cancels cross instances on the searchCancel control subject (see search-handlers.ts).
  const searchCancellations = new SearchCancellations({
    publish: (event) => nc.publish(subjects.searchCancel, encodeJson(event)),
    subscribe: (onCancel) => {
      const subscription = nc.subscribe(subjects.searchCancel, {
        callback: (error, msg) => {
          if (!error) onCancel(decodeJson(msg.data) as SearchCancelEvent);
        },
      });
      return () => subscription.unsubscribe();
    },
  });
  lifecycle.onShutdown("search cancellations", () => searchCancellations.stop());
  const lanes = await startBusService({
    nc,
    subjects,
    service: "thread",
    version: THREAD_SERVICE_VERSION,
    handlers: {
      ...threadHandlers(store, defaults),
      ...lifecycleHandlers(lifecycleStore, store, defaults),
      ...searchHandlers(new PgSearchStore(db), searchCancellations),
    },
    // A closed connection's subscriptions go with it (one instance handles each event).
    onConnectionClosed: (event) => lifecycleStore.forgetConnection(event.tenant, event.connection).then(() => undefined),
    keyedSettings: {
      ...defaultKeyedLaneSettings,
      ackWaitMs: env.SWITCHYARD_KEYED_ACK_WAIT_MS,
      maxDeliver: env.SWITCHYARD_KEYED_MAX_DELIVER,
    },
    log,
  });
  lifecycle.onShutdown("bus", () => lanes.stop());
  const stopSweeper = startIdleSweeper({
    pool: maintenancePool,
    redis,
    busPrefix: env.SWITCHYARD_BUS_PREFIX,
    events: new EventPublisher(nc, subjects),
    idleMs: env.THREAD_IDLE_UNLOAD_MS,
    log,
  });
  lifecycle.onShutdown("idle sweeper", stopSweeper);

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
