// Wires the gateway: authenticator, NATS, the bus router, fan-out and the HTTP/WebSocket server.
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { busSubjects, type ConnectionClosedEvent, Method } from "@switchyard/protocol";
import {
  type BusConnection,
  connectNats,
  createRedis,
  encodeJson,
  LaneClient,
  type Lifecycle,
  type Logger,
  LogLimiter,
  maxRequestBodyBytes,
  newToken,
  observeGauge,
  type Redis,
  startPresence,
} from "@switchyard/runtime";
import { Authenticator } from "./auth/authenticator.js";
import { BusRouter } from "./bus-router.js";
import { ClientConnection } from "./connection.js";
import type { GatewayEnv } from "./env.js";
import { ConnectionEvents, NotificationFanout } from "./fanout.js";
import { missingGatewayHandlers } from "./handshake.js";
import { ConnectionLimiter } from "./limits/connection-limiter.js";
import { limitKeys } from "./limits/keys.js";
import { LimitStoreHealth } from "./limits/limit-store-health.js";
import { RequestRateLimiter } from "./limits/request-rate-limiter.js";
import { defineLimitCommands } from "./limits/scripts.js";
import { LimitBook } from "./limits/settings.js";
import { TenantInFlight } from "./limits/tenant-in-flight.js";
import { localMethods } from "./local-methods.js";
import { READ_KINDS, ReadCache } from "./read-cache.js";
import { RelayConnection } from "./relay-connection.js";
import { authorizeRelay } from "./relay-open.js";
import { buildServer } from "./server.js";

export const GATEWAY_VERSION = "0.1.0";

export class StartupRefused extends Error {}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** Resolves once `redis` is ready or after `timeoutMs`, whichever comes first. */
function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    }
    redis.once("ready", done);
  });
}

/**
 * The read cache (thread/read, config/read) and what keeps it correct: every change notice of both
 * services, and the bus connection's state (read-cache.ts). The subscriptions are in place at the
 * server before the gateway listens.
 */
async function startReadCache(
  env: GatewayEnv,
  bus: BusConnection,
  subjects: ReturnType<typeof busSubjects>,
  lifecycle: Lifecycle,
  log: Logger,
): Promise<ReadCache | undefined> {
  if (env.GATEWAY_READ_CACHE_ENTRIES === 0) return undefined;
  const cache = new ReadCache({
    maxEntries: env.GATEWAY_READ_CACHE_ENTRIES,
    maxBytes: env.GATEWAY_READ_CACHE_BYTES,
    ttlMs: env.GATEWAY_READ_CACHE_TTL_MS,
  });
  const notices = (subject: string, what: string, handle: (subject: string, body: string) => void) =>
    bus.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          // Without notices the cache cannot stay correct: stop using it until the bus is back.
          log.error({ err: error.message }, `${what} subscription failed; read cache off until reconnected`);
          cache.disconnected();
          return;
        }
        handle(msg.subject, msg.data.length > 0 ? msg.string() : "");
      },
    });
  const subscriptions = [
    notices(subjects.threadChangedWildcard, "thread change", (subject) => cache.threadChanged(subject)),
    notices(subjects.threadsChangedWildcard, "thread changes", (subject, body) => cache.threadsChanged(subject, body)),
    notices(subjects.configChangedWildcard, "config change", (subject) => cache.configChanged(subject)),
    notices(subjects.configReset, "config reset", () => cache.configReset()),
  ];
  await bus.nc.flush();
  const offDown = bus.onDown(() => cache.disconnected());
  const offUp = bus.onUp(() => cache.reconnected());
  const stopEntries = observeGauge("readCacheEntries", (observe) => observe(cache.snapshot().entries));
  const stopLookups = observeGauge("readCacheLookups", (observe) => {
    for (const kind of READ_KINDS) {
      const method = kind === "thread" ? Method.threadRead : Method.configRead;
      observe(cache.stats[kind].hits, { outcome: "hit", method });
      observe(cache.stats[kind].misses, { outcome: "miss", method });
      observe(cache.stats[kind].invalidations, { outcome: "invalidation", method });
    }
  });
  lifecycle.onShutdown("read cache", () => {
    offDown();
    offUp();
    stopEntries();
    stopLookups();
    for (const subscription of subscriptions) subscription.unsubscribe();
  });
  return cache;
}

export async function startGateway(
  env: GatewayEnv,
  log: Logger,
  lifecycle: Lifecycle,
): Promise<{ url: string; gatewayId: string }> {
  const authenticator = Authenticator.fromEnv(env);
  if (!authenticator.requiresAuth && !isLoopback(env.GATEWAY_HOST)) {
    throw new StartupRefused(
      `refusing to listen on ${env.GATEWAY_HOST} without authentication: set GATEWAY_AUTH_CAPABILITY_TOKEN, ` +
        "GATEWAY_AUTH_JWT_HS256_SECRET or GATEWAY_AUTH_JWKS_URL/FILE, or listen on a loopback address",
    );
  }
  const gatewayId = env.GATEWAY_ID ?? `gw${newToken(4)}`;
  const subjects = busSubjects(env.SWITCHYARD_BUS_PREFIX);

  const bus = await connectNats({ url: env.NATS_URL, name: `gateway-${gatewayId}`, log });
  const nc = bus.nc;
  lifecycle.onShutdown("nats", () => nc.drain());
  const redis = createRedis({ url: env.REDIS_URL, log, name: `gateway-${gatewayId}` });
  lifecycle.onShutdown("redis", () => void redis.disconnect());

  // Limits get a connection of their own with a short command timeout: a hung Redis must not add
  // latency to requests (past the timeout the gateway enforces local bounds instead).
  const limitsRedis = defineLimitCommands(
    redis.duplicate({
      connectionName: `gateway-${gatewayId}-limits`,
      commandTimeout: env.GATEWAY_LIMIT_REDIS_TIMEOUT_MS,
      enableAutoPipelining: true,
    }),
  );
  lifecycle.onShutdown("limits redis", () => void limitsRedis.disconnect());
  const limitHealth = new LimitStoreHealth(limitsRedis, log);
  lifecycle.onShutdown("limits health", () => limitHealth.stop());
  await waitUntilReady(limitsRedis, 2_000);
  if (limitsRedis.status !== "ready") limitHealth.noteFailure(new Error(`redis ${limitsRedis.status} at start`));
  const limitBook = new LimitBook(
    {
      requestsPerS: env.GATEWAY_LIMIT_REQUESTS_PER_S,
      requestBurst: env.GATEWAY_LIMIT_REQUEST_BURST,
      connections: env.GATEWAY_LIMIT_CONNECTIONS,
      tokenRequestsPerS: env.GATEWAY_LIMIT_TOKEN_REQUESTS_PER_S,
      tokenRequestBurst: env.GATEWAY_LIMIT_TOKEN_REQUEST_BURST,
      tokenConnections: env.GATEWAY_LIMIT_TOKEN_CONNECTIONS,
      inFlight: env.GATEWAY_LIMIT_TENANT_IN_FLIGHT,
    },
    env.GATEWAY_TENANT_LIMITS_FILE,
    env.GATEWAY_TENANT_LIMITS,
  );
  const keys = limitKeys(env.SWITCHYARD_BUS_PREFIX);
  const requestRate = new RequestRateLimiter(limitsRedis, limitHealth, keys, limitBook);
  const connectionLimiter = new ConnectionLimiter(limitsRedis, limitHealth, keys, limitBook);
  lifecycle.onShutdown("connection limiter", () => connectionLimiter.stop());
  const tenantInFlight = new TenantInFlight();

  const lanes = new LaneClient(bus, subjects, gatewayId, log, { hedgeAfterMs: env.SWITCHYARD_HEDGE_AFTER_MS });
  lifecycle.onShutdown("lane client", () => lanes.stop());
  const router = new BusRouter(lanes);
  const readCache = await startReadCache(env, bus, subjects, lifecycle, log);
  const badInputLog = new LogLimiter(log);
  const fanout = new NotificationFanout(nc, log);
  const connectionEvents = new ConnectionEvents(nc, subjects.connectionEventsWildcard(gatewayId), log);
  lifecycle.onShutdown("connection events", () => connectionEvents.stop());
  const connections = new Set<ClientConnection>();
  const relays = new Set<RelayConnection>();
  const installationId = `switchyard-${gatewayId}`;
  const stopConnectionGauge = observeGauge("connections", (observe) => {
    observe(connections.size, { kind: "client" });
    observe(relays.size, { kind: "relayed" });
  });
  lifecycle.onShutdown("connection gauge", stopConnectionGauge);
  const answeredLocally = localMethods({
    tenantRequestsInFlight: (tenant) => tenantInFlight.count(tenant),
    installationId,
  });
  // The types already demand a handler per gateway-owned method; this catches a registry edited
  // without rebuilding (a bundle out of step with its protocol).
  const unanswered = missingGatewayHandlers(answeredLocally);
  if (unanswered.length > 0) throw new StartupRefused(`gateway methods without a handler: ${unanswered.join(", ")}`);

  const app = await buildServer({
    authenticator,
    allowedOrigins: env.GATEWAY_ALLOWED_ORIGINS,
    maxFrameBytes: env.GATEWAY_MAX_FRAME_BYTES,
    pingIntervalMs: env.GATEWAY_PING_INTERVAL_MS,
    hooks: {
      isReady: async () => ({ nats: bus.isConnected(), accepting: !lifecycle.isShuttingDown }),
      admitConnection: (principal) => connectionLimiter.admit(principal),
      onConnection: (socket, principal) => {
        const connection = new ClientConnection(
          `${gatewayId}/${newToken(6)}`,
          socket,
          principal,
          {
            maxInFlight: env.GATEWAY_MAX_IN_FLIGHT_PER_CONNECTION,
            maxOutboundBytes: env.GATEWAY_MAX_OUTBOUND_BYTES,
            requestTimeoutMs: env.GATEWAY_REQUEST_TIMEOUT_MS,
            modelRequestTimeoutMs: env.GATEWAY_MODEL_REQUEST_TIMEOUT_MS,
            codexHome: env.GATEWAY_CODEX_HOME,
            serverVersion: GATEWAY_VERSION,
            installationId,
          },
          {
            router,
            readCache,
            localMethods: answeredLocally,
            fanout,
            subjects,
            log,
            badInputLog,
            requestLimitBytes: () => maxRequestBodyBytes(nc),
            admitRequest: (principal) => requestRate.admit(principal),
            tenantInFlight,
            maxTenantInFlight: (tenant) => limitBook.of(tenant).inFlight,
            answerServerRequest: (token, answer) => {
              try {
                nc.publish(subjects.serverRequestReply(token), encodeJson(answer));
              } catch (error) {
                // The bus is closed (shutting down): the turn times out; the client's connection stays.
                log.warn(
                  { err: error instanceof Error ? error.message : String(error), connection: connection.id },
                  "server request answer not sent",
                );
              }
            },
            onClosed: (closed) => {
              connections.delete(closed);
              connectionEvents.remove(subjects.connectionEvents(closed.id));
              // Tell every service: drop this connection's queued keyed work, abort what runs.
              const event: ConnectionClosedEvent = { connection: closed.id, tenant: closed.tenant, closedAtMs: Date.now() };
              nc.publish(subjects.connectionClosed, encodeJson(event));
            },
          },
        );
        connections.add(connection);
        connectionEvents.add(subjects.connectionEvents(connection.id), connection);
        socket.on("message", (data, isBinary) => {
          const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
          try {
            if (isBinary) connection.onBinary(frame.length);
            else connection.onText(frame.toString("utf8"), frame.length);
          } catch (error) {
            // A defect in handling one frame costs that connection, never the process.
            log.error(
              { err: error instanceof Error ? error.stack : String(error), connection: connection.id },
              "frame handling failed; closing the connection",
            );
            socket.close(1011, "internal error");
            connection.closed();
          }
        });
        socket.on("close", () => connection.closed());
        socket.on("error", () => connection.closed());
      },
      authorizeRelay: (principal, environmentId) => authorizeRelay(nc, subjects, principal, environmentId),
      onRelayConnection: (socket, principal, environmentId) => {
        const relay = new RelayConnection(
          `rc-${gatewayId}-${newToken(8)}`,
          randomUUID(),
          socket,
          principal,
          environmentId,
          {
            maxOutboundBytes: env.GATEWAY_MAX_OUTBOUND_BYTES,
            reconnectGraceMs: env.GATEWAY_RELAY_RECONNECT_GRACE_MS,
            requestLimitBytes: () => maxRequestBodyBytes(nc),
          },
          { nc, subjects, log, badInputLog, onClosed: (closed) => relays.delete(closed) },
        );
        relays.add(relay);
        socket.on("message", (data, isBinary) => {
          const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
          try {
            if (isBinary) relay.onBinary(frame.length);
            else relay.onText(frame.toString("utf8"), frame.length);
          } catch (error) {
            log.error(
              { err: error instanceof Error ? error.stack : String(error), connection: relay.clientId },
              "relay frame failed; closing",
            );
            socket.close(1011, "internal error");
            relay.closed();
          }
        });
        socket.on("close", () => relay.closed());
        socket.on("error", () => relay.closed());
      },
    },
  });
  // turn/completed must never be skipped: when the bus drops, connections waiting on a turn are
  // closed so they resync, since events published during the gap are lost (core NATS).
  const stopWatchingBus = bus.onDown(() => {
    let dropped = 0;
    for (const connection of connections) if (connection.onEventsLost()) dropped++;
    if (dropped > 0) log.warn({ dropped }, "bus connection lost: closed the connections waiting on a turn");
  });
  lifecycle.onShutdown("bus watch", () => void stopWatchingBus());
  lifecycle.onShutdown("http", async () => {
    // Stop accepting, then close client sockets (going away) so they reconnect elsewhere.
    for (const connection of connections) connection.closed();
    for (const relay of relays) relay.closed();
    await app.close();
  });

  const address = await app.listen({ host: env.GATEWAY_HOST, port: env.GATEWAY_PORT });
  const port = app.server.address();
  const boundPort = typeof port === "object" && port ? port.port : env.GATEWAY_PORT;
  const url = `ws://${env.GATEWAY_HOST.includes(":") ? `[${env.GATEWAY_HOST}]` : env.GATEWAY_HOST}:${boundPort}`;

  const stopPresence = startPresence({
    redis,
    prefix: env.SWITCHYARD_BUS_PREFIX,
    service: "gateway",
    instanceId: gatewayId,
    describe: () => ({
      url,
      connections: connections.size,
      limitsDegraded: limitHealth.isDegraded,
      relayedConnections: relays.size,
      pendingReplies: lanes.pendingCount,
      subjects: fanout.subjectCount,
    }),
  });
  lifecycle.onShutdown("presence", stopPresence);
  log.info({ address, url, authenticated: authenticator.requiresAuth }, "gateway listening");
  return { url, gatewayId };
}
