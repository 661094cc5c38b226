// Remote-control service: the backend half of Codex remote control. Machines enroll and hold their
// websocket here (HTTP under the `chatgpt_base_url` they are given); gateway clients reach them
// through the relay on NATS; `switchyard/environments/*` is served on the bus lanes.
import { fileURLToPath } from "node:url";
import { bootService, defaultKeyedLaneSettings, observeGauge, startBusService } from "@switchyard/runtime";
import { AccessTokenVerifier } from "./auth/access-token.js";
import { loadRemoteControlEnv } from "./env.js";
import { remoteControlHandlers } from "./handlers/remote-control-handlers.js";
import { buildBackendServer } from "./http/backend-api.js";
import { RateLimiter } from "./pairing/rate-limit.js";
import { MachineHub } from "./relay/machine-hub.js";
import { PgRemoteControlStore } from "./store/remote-control-store.js";

export const REMOTE_CONTROL_SERVICE_VERSION = "0.1.0";
export const remoteControlMigrationsDirectory = fileURLToPath(new URL("../migrations", import.meta.url));

async function main(): Promise<void> {
  const env = loadRemoteControlEnv();
  const { instanceId, log, lifecycle, pool, db, redis, nc, subjects, readiness, announcePresence } = await bootService({
    service: "remote-control",
    env,
    // The migrations also create the two tenant-lookup functions machine-facing calls use before a
    // tenant is known (ARCHITECTURE.md, "Remote control").
    migrations: { schema: "remote_control", directory: remoteControlMigrationsDirectory },
    postgres: { poolSize: env.REMOTE_CONTROL_PG_POOL_SIZE, role: env.REMOTE_CONTROL_PG_ROLE, keepMaintenancePool: false },
  });

  const verifier = new AccessTokenVerifier({
    hs256Secret: env.REMOTE_CONTROL_JWT_HS256_SECRET ?? env.GATEWAY_AUTH_JWT_HS256_SECRET,
    jwksUrl: env.REMOTE_CONTROL_JWKS_URL,
    jwksFile: env.REMOTE_CONTROL_JWKS_FILE,
    issuer: env.REMOTE_CONTROL_JWT_ISSUER,
    audience: env.REMOTE_CONTROL_JWT_AUDIENCE,
  });
  const store = new PgRemoteControlStore(db, pool);
  const rateLimiter = new RateLimiter(redis, env.SWITCHYARD_BUS_PREFIX);
  const hub = new MachineHub({
    nc,
    subjects,
    busPrefix: env.SWITCHYARD_BUS_PREFIX,
    redis,
    store,
    log,
    instanceId,
    presenceTtlMs: env.REMOTE_CONTROL_PRESENCE_TTL_MS,
    clientPingIntervalMs: env.REMOTE_CONTROL_CLIENT_PING_INTERVAL_MS,
  });

  const lanes = await startBusService({
    nc,
    subjects,
    service: "remote-control",
    version: REMOTE_CONTROL_SERVICE_VERSION,
    handlers: remoteControlHandlers(store, (environmentId) => hub.presenceOf(environmentId), rateLimiter, {
      reconnectGraceMs: env.REMOTE_CONTROL_RECONNECT_GRACE_MS,
      pairingClaimsPerMinute: env.REMOTE_CONTROL_PAIRING_CLAIMS_PER_MINUTE,
    }),
    keyedSettings: { ...defaultKeyedLaneSettings, replicas: env.SWITCHYARD_JETSTREAM_REPLICAS },
    log,
  });
  lifecycle.onShutdown("bus", () => lanes.stop());

  const server = buildBackendServer(
    {
      serverTokenTtlS: env.REMOTE_CONTROL_SERVER_TOKEN_TTL_S,
      pairingTtlS: env.REMOTE_CONTROL_PAIRING_TTL_S,
      pairingCodesPerMinute: env.REMOTE_CONTROL_PAIRING_CODES_PER_MINUTE,
    },
    {
      store,
      verifier,
      hub,
      rateLimiter,
      log,
      readiness: async () => ({ ...(await readiness(lanes)), redis: redis.status === "ready" }),
    },
  );
  await new Promise<void>((resolve) => server.listen(env.REMOTE_CONTROL_PORT, env.REMOTE_CONTROL_HOST, resolve));
  // Stop taking machines first: their sockets close (1012) and they reconnect to another instance.
  lifecycle.onShutdown("machines", async () => {
    await hub.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.REMOTE_CONTROL_PORT;
  const host = env.REMOTE_CONTROL_HOST.includes(":") ? `[${env.REMOTE_CONTROL_HOST}]` : env.REMOTE_CONTROL_HOST;
  const baseUrl = env.REMOTE_CONTROL_PUBLIC_URL ?? `http://${host}:${port}/backend-api/`;

  announcePresence(() => ({ baseUrl, port, machines: hub.machineCount, relayedClients: hub.clientCount }));
  lifecycle.onShutdown(
    "connections gauge",
    observeGauge("connections", (observe) => {
      observe(hub.machineCount, { kind: "machine" });
      observe(hub.clientCount, { kind: "machine_client" });
    }),
  );

  // One machine-readable line for launchers and tests: where machines point `chatgpt_base_url`.
  log.info({ event: "remote-control.ready", baseUrl, port, instanceId }, "remote-control service ready");
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
