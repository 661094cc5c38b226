// What the two floor processes share: their subjects, the keyed streams' layout, the one table the
// keyed floor writes, the config floor's cache keys, and how the bench hands them their settings
// (one JSON argument).
//
// The floors are the cheapest honest version of each Switchyard path, built from the same libraries
// (ws, nats.js, pg, ioredis) with none of Switchyard's code on the hot path:
//   read floor:   client ─ws→ floor-gateway ─core NATS request→ floor-service (SELECT by key) ─→ back
//   keyed floor:  client ─ws→ floor-gateway ─JetStream publish→ partition consumer in floor-service
//                 (max_ack_pending 1, INSERT, core NATS reply to a header-carried subject, ack) ─→ back
//   config floor: client ─ws→ floor-gateway ─JetStream publish on FNV-1a(config:<tenant>:user:<subject>)'s
//                 partition (a stream of its own)→ partition consumer in floor-service that acks each
//                 read as it starts it (max_ack_pending 1, so reads of a partition overlap) → the config
//                 service's generation SELECT (as switchyard_service, tenant set on the session) → Redis
//                 GET of the seeded cache entry → core NATS reply to a header-carried subject ─→ back
// so the hop count equals the gateway → thread service / config service path's. The floors use library
// settings any service could use too (nats.js without async stack traces, see FloorSettings.natsAsyncTraces).

import { createHash } from "node:crypto";

export interface FloorSettings {
  natsUrl: string;
  databaseUrl: string;
  /** The bench's bus prefix; the floor's subjects and stream live under it, so infra dispose removes them. */
  busPrefix: string;
  tenant: string;
  partitions: number;
  /** Same as the thread service's default pool, so both sides may hold as many queries in flight. */
  poolSize: number;
  /** The config floor's Redis (the config service's REDIS_URL); unset: no config floor. */
  redisUrl?: string;
  /** Same as the config service's default pool (CONFIG_PG_POOL_SIZE). */
  configPoolSize?: number;
  /**
   * nats.js's default: build Errors per request for async stack traces (two of the three Errors a
   * request-reply constructs; ~20% of a forwarding process's CPU). The floor turns it off unless
   * asked, since any service can (`connect({ noAsyncTraces: true })`).
   */
  natsAsyncTraces: boolean;
  /** Tenant the optional same-statement keyed floor writes under (copies of the seeded threads). */
  cteTenant: string;
  /**
   * Page queries the read floor can run by name (`pnpm bench --scale`): each is the list of
   * statements the thread service runs for one request, in order; the floor answers the last one's rows.
   */
  pageStatements?: Record<string, string[]>;
}

/** The turn floor's settings (floor-turns.ts): where the bench's provider and the bus are. */
export interface FloorTurnSettings {
  natsUrl: string;
  busPrefix: string;
  providerBaseUrl: string;
  /** As FloorSettings.natsAsyncTraces. */
  natsAsyncTraces: boolean;
}

/** The scale floor's request: run the named page statements with these parameters (one array per statement). */
export const FLOOR_PAGE = "floor/page";
export interface FloorPageRequest {
  name: string;
  params: unknown[][];
}

/**
 * Methods the floor gateway serves. `thread/name/set` is the keyed floor the targets are set
 * against (one INSERT); FLOOR_SET_NAME_CTE runs thread/name/set's own statement on the same bare
 * pipeline, which separates what the lane costs from what the statement costs (`--cte-floor`).
 */
export const FLOOR_SET_NAME_CTE = "floor/name/set-cte";
export const STATEMENT_HEADER = "Floor-Statement";

export function floorSubjects(busPrefix: string) {
  return {
    read: `${busPrefix}.floor.rpc.thread.read`,
    start: `${busPrefix}.floor.rpc.thread.start`,
    page: `${busPrefix}.floor.rpc.page`,
    readQueue: `${busPrefix}-floor`,
    keyedStream: `${busPrefix.toUpperCase()}_FLOOR_KEYED`,
    keyedStreamSubjects: `${busPrefix}.floor.keyed.*`,
    keyedPartition: (partition: number) => `${busPrefix}.floor.keyed.${partition}`,
    keyedConsumer: (partition: number) => `floor-p${partition}`,
    replyWildcard: (gatewayId: string) => `${busPrefix}.floor.reply.${gatewayId}.*`,
    reply: (gatewayId: string, commandId: string) => `${busPrefix}.floor.reply.${gatewayId}.${commandId}`,
  };
}

export const REPLY_TO_HEADER = "Floor-Reply-To";
/** The config floor's caller: the user whose config is read (the gateway sends its caller as headers too). */
export const SUBJECT_HEADER = "Floor-Subject";
/** The websocket upgrade header a floor client names its user in (the floor gateway does no auth). */
export const FLOOR_USER_HEADER = "floor-user";

/**
 * The config floor (`config/read` on the floor gateway): its own work-queue stream, one partition per
 * keyed-lane partition, and a seeding subject (the bench hands it the answer each user's cache entry holds).
 */
export function floorConfigSubjects(busPrefix: string) {
  return {
    stream: `${busPrefix.toUpperCase()}_FLOOR_CONFIG`,
    streamSubjects: `${busPrefix}.floor.config.keyed.*`,
    partition: (partition: number) => `${busPrefix}.floor.config.keyed.${partition}`,
    consumer: (partition: number) => `floor-config-p${partition}`,
    seed: `${busPrefix}.floor.config.seed`,
  };
}

/** The config service's generation read (ConfigStore.generation, copied). */
export const FLOOR_CONFIG_GENERATION_SQL = "SELECT generation::text FROM config.generations WHERE tenant = $1";

/**
 * The config floor's cache key, built as ConfigResolver.cacheKey builds the service's (generation and a
 * sha256 of user and cwd), under a `floor` segment so the two sides never share an entry.
 */
export function floorConfigCacheKey(busPrefix: string, tenant: string, generation: string, subject: string, cwd: string | null) {
  const scope = createHash("sha256")
    .update(JSON.stringify([subject, cwd ?? ""]))
    .digest("base64url");
  return `${busPrefix}:floor:config:${tenant}:${generation}:${scope}`;
}

/** What the bench sends the floor's seeding subject: the cached answer of one user's config/read. */
export interface FloorConfigSeed {
  subject: string;
  cwd: string | null;
  /** The config/read result, as JSON text (what the floor answers with). */
  result: string;
}

/**
 * The keyed floor's one INSERT target (`id` is the order rows were applied in), and thread/start's
 * floor: one INSERT of a thread row.
 */
export const FLOOR_SCHEMA_SQL = `
  CREATE SCHEMA IF NOT EXISTS bench_floor;
  CREATE TABLE IF NOT EXISTS bench_floor.name_writes (
    id         bigserial PRIMARY KEY,
    thread_id  uuid NOT NULL,
    name       text NOT NULL,
    command_id text NOT NULL
  );
  CREATE TABLE IF NOT EXISTS bench_floor.threads (
    tenant     text NOT NULL,
    id         uuid NOT NULL,
    cwd        text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, id)
  );`;

/** thread/start's floor: one INSERT, answered with the row. */
export const FLOOR_START_SQL =
  "INSERT INTO bench_floor.threads (tenant, id, cwd) VALUES ($1, $2, $3) RETURNING id, cwd, created_at";

/** The same SELECT PgThreadStore.read runs (copied, so the floor never follows the code under test). */
export const FLOOR_READ_SQL = `SELECT tenant, id, session_id, created_at, updated_at, recency_at, materialized_at, archived_at, name,
  preview, cwd, model_provider, model, source, source_kind, thread_source, history_mode, is_ephemeral, cli_version,
  project_id, forked_from_id, parent_thread_id, settings, revision FROM thread.threads WHERE tenant = $1 AND id = $2`;

/**
 * The per-command statement PgThreadStore.setName ran before renames were group-committed (copied):
 * ledger insert with the new revision, row update. `--cte-floor` runs it on the bare pipeline.
 */
export const FLOOR_SET_NAME_SQL = `WITH target AS (
    SELECT id, revision FROM thread.threads WHERE tenant = $1 AND id = $2
  ), ledger AS (
    INSERT INTO thread.applied_commands (tenant, command_id, method, thread_id, revision, payload)
    SELECT $1, $3, 'thread/name/set', id, revision + 1, jsonb_build_object('name', $4::text) FROM target
    ON CONFLICT (tenant, command_id) DO NOTHING
    RETURNING revision
  ), updated AS (
    UPDATE thread.threads SET name = $4, revision = ledger.revision
      FROM ledger
     WHERE tenant = $1 AND id = $2
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM updated) AS is_applied, EXISTS (SELECT 1 FROM target) AS does_exist`;

export function readFloorSettings(argv: string[]): FloorSettings {
  const raw = argv[2];
  if (!raw) throw new Error("floor process expects its settings as one JSON argument");
  return JSON.parse(raw) as FloorSettings;
}

/** The line a floor process prints once it serves; the bench waits for it. */
export const READY_EVENT = "floor.ready";
