// What the two floor processes share: their subjects, the keyed stream's layout, the one table the
// keyed floor writes, and how the bench hands them their settings (one JSON argument).
//
// The floors are the cheapest honest version of each Switchyard path, built from the same libraries
// (ws, nats.js, pg) with none of Switchyard's code on the hot path:
//   read floor:  client ─ws→ floor-gateway ─core NATS request→ floor-service (SELECT by key) ─→ back
//   keyed floor: client ─ws→ floor-gateway ─JetStream publish→ partition consumer in floor-service
//                (max_ack_pending 1, INSERT, core NATS reply to a header-carried subject, ack) ─→ back
// so the hop count equals the gateway → thread service path's. The floors use library settings any
// service could use too (nats.js without async stack traces, see FloorSettings.natsAsyncTraces).

export interface FloorSettings {
  natsUrl: string;
  databaseUrl: string;
  /** The bench's bus prefix; the floor's subjects and stream live under it, so infra dispose removes them. */
  busPrefix: string;
  tenant: string;
  partitions: number;
  /** Same as the thread service's default pool, so both sides may hold as many queries in flight. */
  poolSize: number;
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

/** The keyed floor's one INSERT target; `id` is the order rows were applied in. */
export const FLOOR_SCHEMA_SQL = `
  CREATE SCHEMA IF NOT EXISTS bench_floor;
  CREATE TABLE IF NOT EXISTS bench_floor.name_writes (
    id         bigserial PRIMARY KEY,
    thread_id  uuid NOT NULL,
    name       text NOT NULL,
    command_id text NOT NULL
  );`;

/** The same SELECT PgThreadStore.read runs (copied, so the floor never follows the code under test). */
export const FLOOR_READ_SQL = `SELECT tenant, id, session_id, created_at, updated_at, recency_at, materialized_at, archived_at, name,
  preview, cwd, model_provider, model, source, source_kind, thread_source, history_mode, is_ephemeral, cli_version,
  project_id, forked_from_id, parent_thread_id, settings, revision FROM thread.threads WHERE tenant = $1 AND id = $2`;

/** The statement PgThreadStore.setName runs (copied): ledger insert with the new revision, row update. */
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
