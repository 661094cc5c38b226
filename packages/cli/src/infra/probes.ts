// Is each piece of infrastructure there, and does it speak its protocol? A probe answers in three
// ways: up (with what it found), absent (nothing listens: connection refused, so a local server may be
// started in its place) or failing (something is wrong that starting another server would not fix).
import { connect as connectTcp } from "node:net";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect as connectNats, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import pg from "pg";
import { type Endpoint, type InfraKind, parseEndpoints, redactUrl } from "./endpoints.js";

export type Probe = { state: "up"; summary: string } | { state: "absent"; reason: string } | { state: "failing"; reason: string };

export type TcpCheck = { isOpen: true } | { isOpen: false; isRefused: boolean; reason: string };

export function checkTcp(host: string, port: number, timeoutMs: number): Promise<TcpCheck> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const finish = (result: TcpCheck) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ isOpen: false, isRefused: false, reason: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once("connect", () => finish({ isOpen: true }));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      finish({ isOpen: false, isRefused: error.code === "ECONNREFUSED", reason: error.code ?? error.message }),
    );
  });
}

/** Checks every endpoint of a URL; absent only when every one of them refused the connection. */
async function checkEndpoints(endpoints: Endpoint[], timeoutMs: number): Promise<Probe | undefined> {
  const checks = await Promise.all(endpoints.map((endpoint) => checkTcp(endpoint.host, endpoint.port, timeoutMs)));
  if (checks.some((check) => check.isOpen)) return undefined;
  const where = endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port}`).join(", ");
  const reasons = [...new Set(checks.map((check) => (check.isOpen ? "" : check.reason)))].join(", ");
  const isRefused = checks.every((check) => !check.isOpen && check.isRefused);
  return isRefused
    ? { state: "absent", reason: `nothing listens on ${where} (${reasons})` }
    : { state: "failing", reason: `cannot reach ${where} (${reasons})` };
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A NATS connection for one-off use: no reconnects, short timeout. */
export function openNats(url: string, timeoutMs: number): Promise<NatsConnection> {
  return connectNats({
    servers: parseEndpoints("nats", url).map((endpoint) => endpoint.url),
    name: "switchyard-cli",
    timeout: timeoutMs,
    reconnect: false,
    maxReconnectAttempts: 0,
  });
}

export async function isJetStreamEnabled(nc: NatsConnection, timeoutMs: number): Promise<boolean> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs, checkAPI: false });
    await jsm.getAccountInfo();
    return true;
  } catch {
    return false;
  }
}

export async function probeNats(url: string, timeoutMs: number): Promise<Probe> {
  const unreachable = await checkEndpoints(parseEndpoints("nats", url), timeoutMs);
  if (unreachable) return unreachable;
  let nc: NatsConnection | undefined;
  try {
    nc = await openNats(url, timeoutMs);
    const version = nc.info?.version ?? "?";
    if (!(await isJetStreamEnabled(nc, timeoutMs))) {
      return {
        state: "failing",
        reason: `nats-server ${version} at ${nc.getServer()} has JetStream disabled (start it with -js)`,
      };
    }
    return { state: "up", summary: `nats-server ${version}, JetStream enabled` };
  } catch (error) {
    return { state: "failing", reason: `NATS handshake failed: ${describeError(error)}` };
  } finally {
    await nc?.close().catch(() => {});
  }
}

/** A Postgres client for one-off use with a short connect timeout. */
export function openPostgres(url: string, timeoutMs: number): pg.Client {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: "switchyard-cli" });
  client.on("error", () => {});
  return client;
}

export async function probePostgres(url: string, timeoutMs: number): Promise<Probe> {
  const unreachable = await checkEndpoints(parseEndpoints("postgres", url), timeoutMs);
  if (unreachable) return unreachable;
  const client = openPostgres(url, timeoutMs);
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>("SHOW server_version");
    return { state: "up", summary: `PostgreSQL ${result.rows[0]?.server_version ?? "?"}` };
  } catch (error) {
    // The server answers; only the database is missing (`start` and `migrate` create it).
    if ((error as { code?: string }).code === "3D000") return { state: "up", summary: `PostgreSQL (${describeError(error)})` };
    return { state: "failing", reason: `Postgres at ${redactUrl(url)} refused the session: ${describeError(error)}` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A Redis client for one-off use: no retries, no offline queue, short timeout. */
export function openRedis(url: string, timeoutMs: number): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: "switchyard-cli",
  });
  redis.on("error", () => {});
  return redis;
}

export async function probeRedis(url: string, timeoutMs: number): Promise<Probe> {
  const unreachable = await checkEndpoints(parseEndpoints("redis", url), timeoutMs);
  if (unreachable) return unreachable;
  const redis = openRedis(url, timeoutMs);
  try {
    await redis.connect();
    const info = await redis.info("server");
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
    return { state: "up", summary: `Redis ${version}` };
  } catch (error) {
    return { state: "failing", reason: `Redis handshake failed: ${describeError(error)}` };
  } finally {
    redis.disconnect();
  }
}

export const probes: Record<InfraKind, (url: string, timeoutMs: number) => Promise<Probe>> = {
  nats: probeNats,
  postgres: probePostgres,
  redis: probeRedis,
};
