// Thread persistence in Postgres. Every query is tenant-qualified and runs through `TenantDb`, so
// row-level security checks the tenant too; every write that a keyed command performs is one
// statement that also records the command in the idempotency ledger.
import type { ThreadSection } from "@switchyard/protocol";
import { isUniqueViolation, type TenantDb } from "@switchyard/runtime";
import { TURN_STATES_SQL, type TurnState, turnStatesOf } from "../thread-view.js";
import { type CursorPosition, decodeCursor, encodeCursor, type ListSortKey } from "./cursor.js";
import { CANDIDATE_CAP, hasTrigram, likePattern } from "./search-store.js";
import type { ThreadChanges } from "./thread-changes.js";
import { WriteBatcher } from "./write-batcher.js";

/** The usage of a thread's last model call and its turn (thread/tokenUsage/updated's `last` and `turnId`). */
export interface LastTokenUsage {
  turnId: string;
  usage: Record<string, number>;
  /** The `modelContextWindow` that call was announced with (absent: recorded before it was kept; null: none known). */
  modelContextWindow?: number | null;
}

export interface ThreadRow {
  tenant: string;
  id: string;
  session_id: string;
  created_at: Date;
  updated_at: Date;
  recency_at: Date | null;
  materialized_at: Date | null;
  archived_at: Date | null;
  name: string | null;
  preview: string;
  cwd: string;
  model_provider: string;
  model: string | null;
  source: unknown;
  source_kind: string;
  thread_source: string | null;
  history_mode: "legacy" | "paginated";
  is_ephemeral: boolean;
  cli_version: string;
  project_id: string | null;
  forked_from_id: string | null;
  parent_thread_id: string | null;
  settings: Record<string, unknown>;
  revision: string;
  loaded_at: Date | null;
  goal: Record<string, unknown> | null;
  git_info: { sha: string | null; branch: string | null; originUrl: string | null } | null;
  read_revision: string;
  first_unread: { type: "threadStart" } | { type: "turn"; turnId: string } | null;
  /** The creating client's `clientInfo.name` (migration 0028), or null. */
  originator: string | null;
  /** Whether the thread has a durable read state yet (migration 0027): `read_revision` and `first_unread` are shown only then. */
  has_read_state: boolean;
  /** Dynamic tools declared at thread/start (`DynamicToolSpec`s), offered to the model each turn. */
  dynamic_tools: Record<string, unknown>[];
  /** Cumulative token usage (TokenUsageBreakdown) of the thread's turns, or null before the first. */
  token_usage: Record<string, number> | null;
  last_token_usage: LastTokenUsage | null;
  /** Id of the running turn, or null (a thread with one is `active`). */
  active_turn_id: string | null;
  /** A turn has started on it: Codex shows its model while it is not loaded (migration 0035). */
  model_recorded: boolean;
  /** The section the thread is filed in, as the wire shows it (migration 0036), or null. */
  section: ThreadSection | null;
  /** When it entered that section. */
  section_entered_at: Date | null;
  sort_at?: string;
}

export interface NewThread {
  tenant: string;
  id: string;
  cwd: string;
  modelProvider: string;
  model: string;
  source: unknown;
  sourceKind: string;
  threadSource: string | null;
  historyMode: "legacy" | "paginated";
  isEphemeral: boolean;
  cliVersion: string;
  projectId: string | null;
  settings: Record<string, unknown>;
  createdBy: string;
  /** The connection that started it: subscribed in the same statement (the thread is loaded). */
  subscriber: string | null;
  forkedFromId?: string | null;
  parentThreadId?: string | null;
  dynamicTools?: unknown[];
  /** The creating client's `clientInfo.name`. */
  originator?: string | null;
}

/**
 * A reusable config answer's snapshot (internal/config/resolveThread's `reuse`) for one start's
 * caller; its documents as JSON text.
 */
export interface ConfigSnapshot {
  subject: string;
  sessionLayer: string;
  effective: string;
  resolved: string;
  generation: string;
}

export interface ListQuery {
  tenant: string;
  sortKey: ListSortKey;
  direction: "asc" | "desc";
  limit: number;
  cursor: string | null;
  isArchived: boolean;
  cwds: string[] | null;
  modelProviders: string[] | null;
  /** Creating clients' names (`originators`); null or empty: any. */
  originators?: string[] | null;
  sourceKinds: string[] | null;
  searchTerm: string | null;
  excludedIds: string[];
  /** Restricts the list to these ids (valid UUIDs; at most 100); null or absent: unrestricted. */
  includedIds?: string[] | null;
  /** Direct children of this thread (parent_thread_id). */
  parentThreadId?: string | null;
  /** Descendants at any depth of this thread, along parent_thread_id edges. */
  ancestorThreadId?: string | null;
  /** Absent: every project; null: threads without a project; a string: that project's threads. */
  projectId?: string | null;
  /** Absent: every section; null: threads in none; a string: that section's threads (a UUID). */
  sectionId?: string | null;
}

export interface ListPage {
  rows: ThreadRow[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

export type SetNameOutcome = "applied" | "alreadyApplied" | "threadNotFound";

export interface StoredItem {
  turnId: string;
  item: Record<string, unknown>;
}

export interface ThreadStore {
  create(thread: NewThread): Promise<ThreadRow>;
  /**
   * Creates the thread and stores its config snapshot in one statement, or neither (undefined) when
   * the snapshot's generation is no longer the tenant's.
   */
  createWithSnapshot(thread: NewThread, snapshot: ConfigSnapshot): Promise<ThreadRow | undefined>;
  read(tenant: string, threadId: string): Promise<ThreadRow | undefined>;
  readItems(tenant: string, threadId: string): Promise<StoredItem[]>;
  turnStates(tenant: string, threadId: string): Promise<Map<string, TurnState>>;
  list(query: ListQuery): Promise<ListPage>;
  setName(tenant: string, threadId: string, name: string, commandId: string): Promise<SetNameOutcome>;
  /** Appends conversation content; the first append materializes the thread (it becomes listable). */
  appendItems(tenant: string, threadId: string, items: StoredItem[], preview?: string): Promise<void>;
}

/**
 * Appends items after a thread's last seq and materializes it (the first item shown makes it listed,
 * while model-only entries alone — an approved plan, an approved denial — do not, as in Codex 0.171.0;
 * the first user text becomes its preview; a thread not ephemeral has a read state from then on).
 * `$3` is a JSON array of `{turnId, item, responseItem?}`; a null `item` is stored as SQL NULL
 * (model-visible only).
 */
export const APPEND_ITEMS_SQL = `WITH base AS (
    SELECT coalesce(max(seq), 0) AS seq FROM thread.items WHERE tenant = $1 AND thread_id = $2
  ), inserted AS (
    INSERT INTO thread.items (tenant, thread_id, seq, turn_id, item, response_item)
    SELECT $1, $2, base.seq + entry.ordinality, entry.value->>'turnId', nullif(entry.value->'item', 'null'::jsonb),
           entry.value->'responseItem'
      FROM base, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS entry(value, ordinality)
    RETURNING item IS NOT NULL AS is_visible
  )
  UPDATE thread.threads
     SET materialized_at = CASE WHEN EXISTS (SELECT 1 FROM inserted WHERE is_visible) THEN coalesce(materialized_at, now())
                                ELSE materialized_at END,
         updated_at = now(), recency_at = now(),
         has_read_state = NOT is_ephemeral,
         preview = CASE WHEN preview = '' THEN coalesce($4, '') ELSE preview END
   WHERE tenant = $1 AND id = $2 AND EXISTS (SELECT 1 FROM inserted)`;

export const appendItemsParams = (
  tenant: string,
  threadId: string,
  items: { turnId: string; item: Record<string, unknown> | null; responseItem?: unknown }[],
  preview: string | null,
) => [tenant, threadId, JSON.stringify(items), preview];

export const THREAD_COLUMNS = `tenant, id, session_id, created_at, updated_at, recency_at, materialized_at, archived_at, name,
  preview, cwd, model_provider, model, source, source_kind, thread_source, history_mode, is_ephemeral, cli_version,
  project_id, forked_from_id, parent_thread_id, settings, revision, loaded_at, goal, git_info, read_revision, first_unread,
  has_read_state, originator, dynamic_tools, token_usage, last_token_usage, active_turn_id, model_recorded, section,
  section_entered_at`;

const SORT_EXPRESSIONS: Record<ListSortKey, string> = {
  created_at: "created_at",
  updated_at: "updated_at",
  recency_at: "coalesce(recency_at, updated_at)",
  section_position: "section_position",
};

/** How much of a `thread/list` search term asks the trigram index for candidate titles. */
const MAX_INDEXED_TERM_CHARS = 256;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids that are not UUIDs cannot name a thread; answering "not found" beats a Postgres cast error. */
export const isThreadId = (value: string) => UUID_PATTERN.test(value);

/** A thread with this id is stored already (the threads table's primary key refused a second one). */
export const isThreadTaken = (error: unknown): boolean => isUniqueViolation(error, "threads_pkey");

interface RenameInput {
  threadId: string;
  name: string;
  commandId: string;
}

/**
 * thread/name/set for several threads of one tenant in one statement: `thread.set_names` (migration
 * 0024) writes, per input, its ledger row (with the revision it produces) and the rename, and
 * answers a row per input, in input order. A redelivered command conflicts in the ledger and changes
 * nothing. Keyed commands on one thread never run concurrently and a batch holds one input per
 * thread. A rename does not touch updated_at: in Codex a thread's updatedAt follows its
 * conversation, not its title. Each thread is read and written by its whole primary key, so a
 * rename costs the same however many threads its tenant has (see the migration).
 */
export const SET_NAMES_SQL = "SELECT is_applied, does_exist FROM thread.set_names($1, $2::uuid[], $3::text[], $4::text[])";

/**
 * New threads of one tenant (`$1`) in one statement, each with its connection's subscription and, if
 * it carries one, its config snapshot: `$2` is a JSON array of rows (`createRowJson`). A row with a
 * snapshot is stored by the config schema's own guarded function (config migration 0004) first, and
 * its thread only if the snapshot was: one commit for a whole start, and no thread without its
 * snapshot; a row whose snapshot's generation is no longer the tenant's is left out. It returns only
 * what Postgres decides (the timestamps, by id); `createdRow` makes the rest from the inputs, so a
 * start neither ships nor parses back the 32 columns it just wrote.
 */
const CREATE_THREADS_SQL = `WITH input AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS t(
      id uuid, cwd text, "modelProvider" text, model text, source jsonb, "sourceKind" text, "threadSource" text,
      "historyMode" text, "isEphemeral" boolean, "cliVersion" text, "projectId" text, settings jsonb, "createdBy" text,
      subscriber text, "forkedFromId" uuid, "parentThreadId" uuid, "dynamicTools" jsonb, originator text,
      "snapshotSubject" text, "sessionLayer" jsonb, effective jsonb, resolved jsonb, generation bigint)
  ), admitted AS (
    SELECT * FROM input
     WHERE CASE WHEN "snapshotSubject" IS NULL THEN true
                ELSE config.record_thread_config_at($1, id::text, "snapshotSubject", cwd, "sessionLayer", effective, resolved,
                                                    "cliVersion", generation) END
  ), created AS (
    INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, model, source, source_kind, thread_source,
      history_mode, is_ephemeral, cli_version, project_id, settings, created_by, forked_from_id, parent_thread_id, loaded_at,
      dynamic_tools, originator)
    SELECT $1, id, id, cwd, "modelProvider", model, source, "sourceKind", "threadSource", "historyMode", "isEphemeral",
           "cliVersion", "projectId", settings, "createdBy", "forkedFromId", "parentThreadId", now(),
           coalesce("dynamicTools", '[]'), originator
      FROM admitted
    RETURNING id, created_at, updated_at, loaded_at
  ), subscribed AS (
    INSERT INTO thread.subscriptions (tenant, thread_id, connection)
    SELECT $1, id, subscriber FROM admitted WHERE subscriber IS NOT NULL
  )
  SELECT id, created_at, updated_at, loaded_at FROM created`;

/**
 * One row of CREATE_THREADS_SQL's `$2`, as JSON text: the NewThread as it is (the statement reads its
 * fields by their own names; `tenant` is `$1`), and the snapshot's fields. The snapshot's documents
 * are JSON texts already (serialized once per start template), so they are spliced in rather than
 * parsed and serialized again.
 */
function createRowJson({ thread, snapshot }: NewThreadInput): string {
  const row = JSON.stringify(thread);
  if (!snapshot) return row;
  return `${row.slice(0, -1)},"snapshotSubject":${JSON.stringify(snapshot.subject)},"generation":${JSON.stringify(snapshot.generation)},"sessionLayer":${snapshot.sessionLayer},"effective":${snapshot.effective},"resolved":${snapshot.resolved}}`;
}

interface NewThreadInput {
  thread: NewThread;
  snapshot?: ConfigSnapshot;
}

type CreatedStamps = Pick<ThreadRow, "created_at" | "updated_at" | "loaded_at">;

/** A just-created thread's row: its inputs, the columns' defaults, and the timestamps Postgres gave it. */
function createdRow(thread: NewThread, stamps: CreatedStamps): ThreadRow {
  // One object literal: built by spreading a shared column object, the row cost the thread service
  // 70–90 µs more CPU per start in `pnpm bench`, twice each way (0.66–0.69× its floor's throughput
  // against 0.84–0.87×).
  return {
    tenant: thread.tenant,
    id: thread.id,
    session_id: thread.id,
    created_at: stamps.created_at,
    updated_at: stamps.updated_at,
    recency_at: null,
    materialized_at: null,
    archived_at: null,
    name: null,
    preview: "",
    cwd: thread.cwd,
    model_provider: thread.modelProvider,
    model: thread.model,
    source: thread.source,
    source_kind: thread.sourceKind,
    thread_source: thread.threadSource,
    history_mode: thread.historyMode,
    is_ephemeral: thread.isEphemeral,
    cli_version: thread.cliVersion,
    project_id: thread.projectId,
    forked_from_id: thread.forkedFromId ?? null,
    parent_thread_id: thread.parentThreadId ?? null,
    settings: thread.settings,
    revision: "0",
    loaded_at: stamps.loaded_at,
    goal: null,
    git_info: null,
    read_revision: "0",
    first_unread: null,
    has_read_state: false,
    originator: thread.originator ?? null,
    dynamic_tools: (thread.dynamicTools ?? []) as Record<string, unknown>[],
    token_usage: null,
    last_token_usage: null,
    active_turn_id: null,
    model_recorded: false,
    section: null,
    section_entered_at: null,
  };
}

export class PgThreadStore implements ThreadStore {
  constructor(
    private readonly db: TenantDb,
    /** Renames and appended items are announced once written (thread-changes.ts). */
    private readonly changes: ThreadChanges,
  ) {}

  async create(thread: NewThread): Promise<ThreadRow> {
    const row = await this.creations.submit(thread.tenant, { thread });
    // Only a snapshot's guard leaves a thread out; a failed statement rejects instead.
    if (!row) throw new Error(`thread ${thread.id} was not created`);
    return row;
  }

  createWithSnapshot(thread: NewThread, snapshot: ConfigSnapshot): Promise<ThreadRow | undefined> {
    return this.creations.submit(thread.tenant, { thread, snapshot });
  }

  /** How many creation statements ran and how many threads they were asked to create. */
  get creationStats(): { batches: number; inputs: number } {
    return this.creations.stats;
  }

  /**
   * Thread creations written together (write-batcher.ts): starts that reach this instance at once, or
   * while the tenant's previous statement runs, share one statement and one commit. A lone start
   * waits only for the end of its turn of the event loop.
   */
  private readonly creations = new WriteBatcher<NewThreadInput, ThreadRow | undefined>({
    keyOf: (input) => input.thread.id,
    maxBatch: 64,
    maxInFlight: 1,
    run: async (tenant, inputs) => {
      const result = await this.db.query<CreatedStamps & { id: string }>(
        tenant,
        "insert threads",
        CREATE_THREADS_SQL,
        [tenant, `[${inputs.map(createRowJson).join(",")}]`],
        { prepare: true },
      );
      const stamps = new Map(result.rows.map((row) => [row.id, row]));
      return inputs.map((input) => {
        const created = stamps.get(input.thread.id.toLowerCase());
        return created && createdRow(input.thread, created);
      });
    },
  });

  async read(tenant: string, threadId: string): Promise<ThreadRow | undefined> {
    if (!isThreadId(threadId)) return undefined;
    const result = await this.db.query<ThreadRow>(
      tenant,
      "select thread",
      `SELECT ${THREAD_COLUMNS} FROM thread.threads WHERE tenant = $1 AND id = $2`,
      [tenant, threadId],
      { prepare: true },
    );
    return result.rows[0];
  }

  async readItems(tenant: string, threadId: string): Promise<StoredItem[]> {
    const result = await this.db.query<{ turn_id: string; item: Record<string, unknown> }>(
      tenant,
      "select items",
      "SELECT turn_id, item FROM thread.items WHERE tenant = $1 AND thread_id = $2 AND item IS NOT NULL ORDER BY seq",
      [tenant, threadId],
      { prepare: true },
    );
    return result.rows.map((row) => ({ turnId: row.turn_id, item: row.item }));
  }

  async turnStates(tenant: string, threadId: string): Promise<Map<string, TurnState>> {
    const result = await this.db.query<TurnState & { id: string }>(tenant, "turn states", TURN_STATES_SQL, [tenant, threadId], {
      prepare: true,
    });
    return turnStatesOf(result.rows);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const sortExpression = SORT_EXPRESSIONS[query.sortKey];
    const params: unknown[] = [query.tenant, query.isArchived];
    // As Codex: the live list shows threads with content, the archived list every archived thread.
    const where = ["tenant = $1", "(archived_at IS NOT NULL) = $2"];
    if (!query.isArchived) where.push("materialized_at IS NOT NULL");
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.cwds) where.push(`cwd = ANY(${bind(query.cwds)}::text[])`);
    if (query.originators && query.originators.length > 0) {
      where.push(`originator = ANY(${bind(query.originators)}::text[])`);
    }
    if (query.modelProviders && query.modelProviders.length > 0) {
      where.push(`model_provider = ANY(${bind(query.modelProviders)}::text[])`);
    }
    if (query.sourceKinds && query.sourceKinds.length > 0) {
      where.push(`source_kind = ANY(${bind(query.sourceKinds)}::text[])`);
    }
    const excluded = query.excludedIds.filter(isThreadId);
    if (excluded.length > 0) where.push(`id <> ALL(${bind(excluded)}::uuid[])`);
    if (query.includedIds) {
      const included = query.includedIds.filter(isThreadId);
      if (included.length === 0) return { rows: [], nextCursor: null, backwardsCursor: null };
      where.push(`id = ANY(${bind(included)}::uuid[])`);
    }
    if (query.parentThreadId) {
      if (!isThreadId(query.parentThreadId)) return { rows: [], nextCursor: null, backwardsCursor: null };
      where.push(`parent_thread_id = ${bind(query.parentThreadId)}::uuid`);
    }
    if (query.ancestorThreadId) {
      if (!isThreadId(query.ancestorThreadId)) return { rows: [], nextCursor: null, backwardsCursor: null };
      // Descendants along parent edges (threads_by_parent, one probe per thread found); UNION stops on a cycle.
      where.push(`id IN (
        WITH RECURSIVE descendants(id) AS (
          SELECT id FROM thread.threads WHERE tenant = $1 AND parent_thread_id = ${bind(query.ancestorThreadId)}::uuid
          UNION
          SELECT child.id FROM thread.threads child JOIN descendants ON child.tenant = $1 AND child.parent_thread_id = descendants.id
        )
        SELECT id FROM descendants)`);
    }
    if (query.projectId === null) where.push("project_id IS NULL");
    else if (query.projectId !== undefined) where.push(`project_id = ${bind(query.projectId)}`);
    if (query.sectionId === null) where.push("section_id IS NULL");
    else if (query.sectionId !== undefined) {
      if (!isThreadId(query.sectionId)) return { rows: [], nextCursor: null, backwardsCursor: null };
      where.push(`section_id = ${bind(query.sectionId)}::uuid`);
    }
    if (query.cursor) {
      const position = decodeCursor(query.cursor, query.sortKey);
      if (!isThreadId(position.id)) return { rows: [], nextCursor: null, backwardsCursor: null };
      const comparison = query.direction === "desc" ? "<" : ">";
      const type = query.sortKey === "section_position" ? "bigint" : "timestamptz";
      where.push(`(${sortExpression}, id) ${comparison} (${bind(position.at)}::${type}, ${bind(position.id)}::uuid)`);
    }
    const direction = query.direction === "desc" ? "DESC" : "ASC";
    const orderBy = `${sortExpression} ${direction}, id ${direction}`;
    let rows: ThreadRow[] | undefined;
    const title = "(coalesce(name, '') || ' ' || preview)";
    if (query.searchTerm && hasTrigram(query.searchTerm)) {
      // Row-level security keeps ILIKE off the trigram index, so a rare term's few titles come from
      // the index through threads_with_matching_titles (migration 0020) and the page from them; a
      // common term (the cap reached) walks the list index below, where matches come early.
      // The index is asked for titles holding the term's first characters (a long term's trigrams
      // would cost more than the rows they find); the page keeps only those holding all of it.
      const indexedTerm = Array.from(query.searchTerm).slice(0, MAX_INDEXED_TERM_CHARS).join("");
      const candidateParams = [
        ...params,
        likePattern(indexedTerm),
        CANDIDATE_CAP,
        query.limit + 1,
        likePattern(query.searchTerm),
      ];
      const [indexedPattern, cap, pageLimit, pattern] = [4, 3, 2, 1].map((back) => `$${candidateParams.length - back + 1}`);
      const candidates = await this.db.query<ThreadRow & { is_capped: boolean; sort_value: unknown }>(
        query.tenant,
        "list threads by title",
        `WITH title_hits AS MATERIALIZED (
           SELECT thread_id FROM thread.threads_with_matching_titles(${indexedPattern}, ${cap})
         ), meta AS (
           SELECT (SELECT count(*) FROM title_hits) >= ${cap} AS is_capped
         )
         SELECT meta.is_capped, page.* FROM meta LEFT JOIN LATERAL (
           SELECT ${THREAD_COLUMNS}, (${sortExpression})::text AS sort_at, ${sortExpression} AS sort_value
             FROM thread.threads
            WHERE id IN (SELECT thread_id FROM title_hits) AND ${where.join(" AND ")}
              AND ${title} ILIKE ${pattern} AND NOT meta.is_capped
            ORDER BY ${orderBy}
            LIMIT ${pageLimit}
         ) AS page ON true
         ORDER BY page.sort_value ${direction}, page.id ${direction}`,
        candidateParams,
      );
      if (candidates.rows[0]?.is_capped === false) {
        rows = candidates.rows
          .filter((row) => row.id !== null)
          .map(({ is_capped: _capped, sort_value: _sortValue, ...row }) => row as ThreadRow);
      }
    }
    if (!rows) {
      // The walk matches as ILIKE does (it lower-cases both sides in UTF-8 databases), written with
      // strpos: under row-level security the planner may not use column statistics for ILIKE, would
      // expect no matching rows and sort them all instead of walking the list index and stopping early.
      if (query.searchTerm) where.push(`strpos(lower(${title}), lower(${bind(query.searchTerm)})) > 0`);
      const result = await this.db.query<ThreadRow>(
        query.tenant,
        "list threads",
        `SELECT ${THREAD_COLUMNS}, (${sortExpression})::text AS sort_at
           FROM thread.threads
          WHERE ${where.join(" AND ")}
          ORDER BY ${orderBy}
          LIMIT ${bind(query.limit + 1)}`,
        params,
      );
      rows = result.rows;
    }
    const hasMore = rows.length > query.limit;
    rows = rows.slice(0, query.limit);
    const positionOf = (row: ThreadRow): CursorPosition => ({ sortKey: query.sortKey, at: row.sort_at as string, id: row.id });
    const first = rows[0];
    const last = rows[rows.length - 1];
    return {
      rows,
      nextCursor: hasMore && last ? encodeCursor(positionOf(last)) : null,
      backwardsCursor: first ? encodeCursor(positionOf(first)) : null,
    };
  }

  async setName(tenant: string, threadId: string, name: string, commandId: string): Promise<SetNameOutcome> {
    if (!isThreadId(threadId)) return "threadNotFound";
    return this.renames.submit(tenant, { threadId, name, commandId });
  }

  /** How many rename statements ran and how many renames they wrote. */
  get renameStats(): { batches: number; inputs: number } {
    return this.renames.stats;
  }

  /** Renames written together (write-batcher.ts): one statement per tenant for what arrives at once. */
  private readonly renames = new WriteBatcher<RenameInput, SetNameOutcome>({
    keyOf: (input) => input.threadId,
    maxBatch: 64,
    maxInFlight: 1,
    run: async (tenant, inputs) => {
      const result = await this.db.query<{ is_applied: boolean; does_exist: boolean }>(
        tenant,
        "set name",
        SET_NAMES_SQL,
        [
          tenant,
          inputs.map((input) => input.threadId),
          inputs.map((input) => input.commandId),
          inputs.map((input) => input.name),
        ],
        { prepare: true },
      );
      const outcomes = result.rows.map((row): SetNameOutcome => {
        if (!row.does_exist) return "threadNotFound";
        return row.is_applied ? "applied" : "alreadyApplied";
      });
      // Before any of them is answered; a redelivered rename is announced again (its first notice may be lost).
      this.changes.announce(
        tenant,
        inputs.filter((_, index) => outcomes[index] !== "threadNotFound").map((input) => input.threadId),
      );
      return outcomes;
    },
  });

  async appendItems(tenant: string, threadId: string, items: StoredItem[], preview?: string): Promise<void> {
    if (items.length === 0) return;
    await this.db.query(tenant, "append items", APPEND_ITEMS_SQL, appendItemsParams(tenant, threadId, items, preview ?? null));
    this.changes.announce(tenant, [threadId]);
  }
}
