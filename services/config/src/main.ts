// Config service: Codex's layered config per tenant and user, tenant requirements, orchestrators'
// session config, thread config snapshots and lockfiles in Postgres (cached in Redis), tenant
// secrets and the model provider a turn calls, served on both bus lanes and, per tenant, as the
// thread-config gRPC endpoint.
import {
  bootService,
  defaultKeyedLaneSettings,
  egressPolicy,
  type Pool,
  startBusService,
  startHealthServer,
} from "@switchyard/runtime";
import { ConfigChangeRelay, configChangeAnnouncer } from "./config-changes.js";
import { assignEndpointPort, endpointUrl, startTenantListeners } from "./endpoints.js";
import { deploymentOpenAiKey, loadConfigEnv } from "./env.js";
import { closeUpstreamClients } from "./grpc/client.js";
import { ThreadConfigServer } from "./grpc/server.js";
import type { SessionConfigToml } from "./grpc/session-config-codec.js";
import { configHandlers } from "./handlers/config-handlers.js";
import { mcpHandlers } from "./handlers/mcp-handlers.js";
import { ModelCatalog } from "./handlers/model-catalog.js";
import { ModelProviders } from "./handlers/model-providers.js";
import { secretHandlers } from "./handlers/secret-handlers.js";
import { sessionHandlers } from "./handlers/session-handlers.js";
import { ThreadConfigs } from "./handlers/thread-configs.js";
import { configMigrationsDirectory } from "./migrations.js";
import { ConfigResolver, packagedDefaultsLayer } from "./resolver.js";
import { ConfigSecrets, stripSecrets } from "./secrets/config-secrets.js";
import { secretBoxFromEnv } from "./secrets/keys.js";
import { ConfigStore } from "./store/config-store.js";
import { TenantSecretStore } from "./store/secret-store.js";

export const CONFIG_SERVICE_VERSION = "0.1.0";

async function main(): Promise<void> {
  const env = loadConfigEnv();
  // Read first: an entry it cannot read stops the service before it connects to anything.
  const egress = egressPolicy(env.SWITCHYARD_EGRESS_DENY, env.SWITCHYARD_EGRESS_ALLOW);
  // The maintenance pool (login role) reads the listener assignments of every tenant.
  const { instanceId, log, lifecycle, maintenancePool, redis, nc, subjects, db, readiness, announcePresence } = await bootService(
    {
      service: "config",
      env,
      migrations: { schema: "config", directory: configMigrationsDirectory },
      postgres: { poolSize: env.CONFIG_PG_POOL_SIZE, role: env.CONFIG_PG_ROLE, keepMaintenancePool: true },
    },
  );
  const pool = maintenancePool as Pool;
  const store = new ConfigStore(db, configChangeAnnouncer(nc, subjects));
  // Writes made outside this service (the operator CLI) reach the gateways' caches through Postgres.
  const changeRelay = new ConfigChangeRelay({
    databaseUrl: env.DATABASE_URL,
    applicationName: `switchyard-${instanceId}-config-changes`,
    nc,
    subjects,
    log,
  });
  await changeRelay.start();
  lifecycle.onShutdown("config change relay", () => changeRelay.stop());
  const box = secretBoxFromEnv(env, (message) => log.warn({ event: "config.secrets.developmentKey" }, message));
  const configSecrets = new ConfigSecrets(box);
  const secrets = new TenantSecretStore(db, box);
  const deploymentDefault = { model: env.SWITCHYARD_DEFAULT_MODEL, modelProvider: env.SWITCHYARD_DEFAULT_MODEL_PROVIDER };
  const resolver = new ConfigResolver({
    store,
    redis,
    cachePrefix: env.SWITCHYARD_BUS_PREFIX,
    cacheTtlMs: env.CONFIG_CACHE_TTL_MS,
    packagedDefaults: packagedDefaultsLayer(deploymentDefault, env.CONFIG_DEFAULT_MODEL_PROVIDERS),
    log,
  });
  const catalog = new ModelCatalog(store, deploymentDefault, env.CONFIG_DEFAULT_MODEL_SERVICE_TIERS);
  const threads = new ThreadConfigs({
    store,
    resolver,
    configSecrets,
    upstreamTimeoutMs: env.CONFIG_UPSTREAM_TIMEOUT_MS,
    egress,
    catalog,
    log,
  });
  const providers = new ModelProviders({
    store,
    resolver,
    secrets,
    configSecrets,
    deploymentOpenAiKey: deploymentOpenAiKey(env),
    catalog,
  });

  const lanes = await startBusService({
    nc,
    subjects,
    service: "config",
    version: CONFIG_SERVICE_VERSION,
    handlers: {
      ...configHandlers({ store, resolver, threads, catalog, configSecrets }),
      ...sessionHandlers({ store, threads, configSecrets }),
      ...secretHandlers({ store, secrets, providers }),
      ...mcpHandlers({ store, resolver, secrets }),
    },
    keyedSettings: {
      ...defaultKeyedLaneSettings,
      ackWaitMs: env.SWITCHYARD_KEYED_ACK_WAIT_MS,
      maxDeliver: env.SWITCHYARD_KEYED_MAX_DELIVER,
      replicas: env.SWITCHYARD_JETSTREAM_REPLICAS,
    },
    log,
  });
  lifecycle.onShutdown("bus", () => lanes.stop());

  // The thread-config gRPC endpoint: one listener per tenant (see endpoints.ts for why). Its
  // listeners are unauthenticated, so secrets stay behind: a runtime gets providers without their
  // bearer tokens and Authorization headers (it has its own environment for env_key).
  const grpcServer = new ThreadConfigServer({
    log,
    lookup: async (tenant, request) => {
      const stored = await store.sessionConfigFor(tenant, request);
      return stored ? (stripSecrets(stored.body) as SessionConfigToml) : null;
    },
  });
  lifecycle.onShutdown("thread-config listeners", () => grpcServer.close());
  lifecycle.onShutdown("upstream thread-config clients", () => closeUpstreamClients());
  if (env.CONFIG_GRPC_DEFAULT_TENANT) {
    await assignEndpointPort(pool, env.CONFIG_GRPC_DEFAULT_TENANT, env.CONFIG_GRPC_PORT_BASE);
  }
  const listeners = startTenantListeners({
    pool,
    server: grpcServer,
    host: env.CONFIG_GRPC_HOST,
    syncMs: env.CONFIG_GRPC_SYNC_MS,
    log,
  });
  lifecycle.onShutdown("thread-config listener sync", () => listeners.stop());
  await listeners.synced;

  const health = await startHealthServer({
    host: env.CONFIG_HEALTH_HOST,
    port: env.CONFIG_HEALTH_PORT,
    readiness: () => readiness(lanes),
  });
  lifecycle.onShutdown("health", () => new Promise<void>((resolve) => health.close(() => resolve())));
  const healthAddress = health.address();
  const healthPort = typeof healthAddress === "object" && healthAddress ? healthAddress.port : 0;

  const threadConfigEndpoints = () =>
    grpcServer.tenants().map(({ tenant, port }) => ({ tenant, url: endpointUrl(env.CONFIG_GRPC_PUBLIC_HOST, port) }));
  announcePresence(() => ({ healthPort, threadConfigEndpoints: threadConfigEndpoints() }));

  log.info(
    {
      healthPort,
      instanceId,
      threadConfigEndpoints: threadConfigEndpoints(),
      defaultModelProviders: Object.keys(env.CONFIG_DEFAULT_MODEL_PROVIDERS),
      secretsKeyId: box.currentKeyId,
    },
    "config service ready",
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
