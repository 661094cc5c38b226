// The start-up every bus service shares, in one place: logger, lifecycle with signal handlers,
// tracing, metrics, migrations (as the login role, on the maintenance pool), the query pool (as a role
// row-level security applies to, checked), Redis, NATS, the bus subjects, readiness checks and
// presence. A service's main.ts wires only what is its own on top of the returned value.
import { type BusSubjects, busSubjects } from "@switchyard/protocol";
import type { CommonEnv } from "./env.js";
import { armFailpoints } from "./failpoints.js";
import { newToken } from "./ids.js";
import { Lifecycle } from "./lifecycle.js";
import { createLogger, type Logger } from "./logger.js";
import { loadMetricsEnv, observeGauge, startMetrics } from "./metrics.js";
import { type BusConnection, connectNats, type NatsConnection } from "./nats.js";
import { assertRowLevelSecurityApplies, createPool, loadMigrations, migrate, type Pool } from "./postgres.js";
import { startPresence } from "./presence.js";
import { createRedis, type Redis } from "./redis.js";
import type { BusServiceHandle } from "./service-host.js";
import { TenantDb } from "./tenant-db.js";
import { startTracing } from "./tracing.js";

export interface ServiceBootOptions {
  /** The service's name in logs, traces and presence (`thread`, `remote-control`). */
  service: string;
  env: CommonEnv;
  migrations: { schema: string; directory: string };
  postgres: {
    poolSize: number;
    /** The role queries run as (each session starts as it); empty: the login role, which must not bypass RLS. */
    role: string;
    /** Keep the login-role pool open after migrating (for maintenance that spans tenants). */
    keepMaintenancePool: boolean;
  };
}

export interface BootedService {
  instanceId: string;
  log: Logger;
  lifecycle: Lifecycle;
  /** Query pool: as the service role, behind row-level security. */
  pool: Pool;
  db: TenantDb;
  /** Login-role pool (one connection), when asked to keep it: for maintenance across tenants. */
  maintenancePool: Pool | undefined;
  redis: Redis;
  bus: BusConnection;
  nc: NatsConnection;
  subjects: BusSubjects;
  /** The readiness every service reports: NATS connected, both lanes serving, Postgres answering, not shutting down. */
  readiness(lanes: BusServiceHandle): Promise<Record<string, boolean>>;
  /** Announces this instance in Redis until shutdown (for `switchyard status`). */
  announcePresence(describe: () => Record<string, unknown>): void;
}

export async function bootService(options: ServiceBootOptions): Promise<BootedService> {
  const { env, service } = options;
  const instanceId = env.SWITCHYARD_INSTANCE_ID ?? `${service}-${newToken(4)}`;
  const log = createLogger({ service, instanceId, level: env.LOG_LEVEL });
  armFailpoints(env.SWITCHYARD_FAILPOINTS, log);
  const lifecycle = new Lifecycle(log, env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();

  const tracing = await startTracing({ service, endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  lifecycle.onShutdown("tracing", () => tracing.shutdown());
  const metricsSettings = loadMetricsEnv();
  const metrics = await startMetrics({
    service,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    otlpMetricsEndpoint: metricsSettings.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    exportIntervalMs: metricsSettings.SWITCHYARD_METRICS_EXPORT_INTERVAL_MS,
  });
  lifecycle.onShutdown("metrics", () => metrics.shutdown());

  // Migrations run as the login role: they create tables, policies and the service role.
  const loginPool = createPool({ url: env.DATABASE_URL, applicationName: `switchyard-${instanceId}-maintenance`, max: 1, log });
  try {
    await migrate(loginPool, {
      schema: options.migrations.schema,
      migrations: loadMigrations(options.migrations.directory),
      log,
    });
  } catch (error) {
    await loginPool.end();
    throw error;
  }
  const maintenancePool = options.postgres.keepMaintenancePool ? loginPool : undefined;
  if (maintenancePool) lifecycle.onShutdown("postgres maintenance", () => maintenancePool.end());
  else await loginPool.end();

  const pool = createPool({
    url: env.DATABASE_URL,
    applicationName: `switchyard-${instanceId}`,
    max: options.postgres.poolSize,
    log,
    role: options.postgres.role || undefined,
  });
  lifecycle.onShutdown("postgres", () => pool.end());
  await assertRowLevelSecurityApplies(pool);

  const redis = createRedis({ url: env.REDIS_URL, log, name: instanceId });
  lifecycle.onShutdown("redis", () => void redis.disconnect());

  const bus = await connectNats({ url: env.NATS_URL, name: instanceId, log });
  lifecycle.onShutdown("nats", () => bus.nc.drain());

  const db = new TenantDb(pool);
  observeGauge("dbWaiting", (observe) => {
    const { statements, tenants } = db.slots.queued;
    observe(statements, { of: "statements" });
    observe(tenants, { of: "tenants" });
  });
  return {
    instanceId,
    log,
    lifecycle,
    pool,
    db,
    maintenancePool,
    redis,
    bus,
    nc: bus.nc,
    subjects: busSubjects(env.SWITCHYARD_BUS_PREFIX),
    readiness: async (lanes) => ({
      nats: bus.isConnected(),
      lanes: bus.isConnected() && lanes.isServing(),
      postgres: await pool.query("SELECT 1").then(
        () => true,
        () => false,
      ),
      accepting: !lifecycle.isShuttingDown,
    }),
    announcePresence(describe) {
      const stopPresence = startPresence({ redis, prefix: env.SWITCHYARD_BUS_PREFIX, service, instanceId, describe });
      lifecycle.onShutdown("presence", stopPresence);
    },
  };
}
