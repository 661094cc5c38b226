// Thread lifecycle persistence: loaded state and subscribers, archive/unarchive/delete, forks,
// goals, git info, settings, read state, injected items, and the pages of turns and items. Every
// statement is tenant-qualified and runs through TenantDb (row-level security). Keyed writes that
// are not a single statement run through `applyOnce`: one transaction that records the command and
// its answer in the ledger, so a redelivered command gets the first answer and changes nothing.
import { SwitchyardError } from "@switchyard/protocol";
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";
import { TURN_STATES_SQL, type TurnState, turnStatesOf } from "../thread-view.js";
import type { ThreadChanges } from "./thread-changes.js";
import { APPEND_ITEMS_SQL, appendItemsParams, isThreadId, THREAD_COLUMNS, type ThreadRow } from "./thread-store.js";

export interface StoredItemRow {
  seq: string;
  turn_id: string;
  item: Record<string, unknown>;
  created_at: Date;
}

/** One entry of a thread's timeline as stored (thread/timeline/list), newest first from `timelinePage`. */
export interface TimelineRow {
  /** Decimal digits (a Postgres bigint). */
  position: string;
  /** Codex's cursor kinds: 0 a turn's start, 1 an item, 3 a turn's end (2, realtime, never occurs here). */
  kind: 0 | 1 | 3;
  /** The turn's id for its boundaries, the item's for an item (the cursor's tie-break). */
  id: string;
  turn_id: string;
  item: Record<string, unknown> | null;
  status: string | null;
  error: unknown;
  started_at: Date | null;
  completed_at: Date | null;
}

/** Where a timeline page ends: entries strictly before this (position, kind, id), in byte order of the id. */
export interface TimelineBound {
  position: string;
  kind: number;
  id: string;
}

/**
 * A thread's timeline, derived from its items' log: the thread items in `seq` order, each turn (a
 * run of one turn's items, as thread/read groups them) opened by its start and, once it is no longer
 * running, closed by its end. Positions come from the items' `seq` (an item at 3·seq, its turn's
 * start at 3·(first seq) − 1, its end at 3·(last seq) + 1), so an entry keeps its position as the
 * thread grows and a cursor stays valid; an end and the next turn's start never share one. The
 * window functions find each run's first and last item; one statement answers a page.
 */
const TIMELINE_PAGE_SQL = `
  WITH visible AS (
    SELECT seq, turn_id, coalesce(item->>'id', '') AS item_id,
           lag(turn_id) OVER by_seq AS turn_before, lead(turn_id) OVER by_seq AS turn_after
      FROM thread.items
     WHERE tenant = $1 AND thread_id = $2 AND item IS NOT NULL
    WINDOW by_seq AS (ORDER BY seq)
  ), entries AS (
    SELECT 3 * seq - 1 AS position, 0 AS kind, turn_id AS id, turn_id, NULL::bigint AS seq
      FROM visible WHERE turn_before IS DISTINCT FROM turn_id
    UNION ALL
    SELECT 3 * seq, 1, item_id, turn_id, seq FROM visible
    UNION ALL
    SELECT 3 * v.seq + 1, 3, v.turn_id, v.turn_id, NULL
      FROM visible v
      LEFT JOIN thread.turns t ON t.tenant = $1 AND t.thread_id = $2 AND t.id = v.turn_id
     WHERE v.turn_after IS DISTINCT FROM v.turn_id AND coalesce(t.status, 'completed') <> 'inProgress'
  )
  SELECT e.position::text, e.kind, e.id, e.turn_id, i.item, t.status, t.error, t.started_at, t.completed_at
    FROM entries e
    LEFT JOIN thread.items i ON i.tenant = $1 AND i.thread_id = $2 AND i.seq = e.seq
    LEFT JOIN thread.turns t ON t.tenant = $1 AND t.thread_id = $2 AND t.id = e.turn_id
   WHERE $3::bigint IS NULL OR (e.position, e.kind, e.id COLLATE "C") < ($3::bigint, $4::int, $5::text COLLATE "C")
   ORDER BY e.position DESC, e.kind DESC, e.id COLLATE "C" DESC
   LIMIT $6`;

export interface NewItem {
  turnId: string;
  /** The wire ThreadItem, or null for a model-visible item with no thread-item rendering. */
  item: Record<string, unknown> | null;
  responseItem: unknown;
}

export interface TurnSummary {
  turn_id: string;
  first_seq: string;
  started_at: Date;
  completed_at: Date;
}

/** The thread's row, locked for the caller's transaction (keyed writes, turn admission). */
export async function selectThreadForUpdate(
  tx: TenantQueryable,
  tenant: string,
  threadId: string,
): Promise<ThreadRow | undefined> {
  const result = await tx.query<ThreadRow>(
    "lock thread",
    `SELECT ${THREAD_COLUMNS} FROM thread.threads WHERE tenant = $1 AND id = $2 FOR UPDATE`,
    [tenant, threadId],
  );
  return result.rows[0];
}

/** The ledger's thread column for a command about no one thread (a tenant's sections or projects). */
export const NO_THREAD = "00000000-0000-0000-0000-000000000000";

export class LifecycleStore {
  constructor(
    private readonly db: TenantDb,
    /** Threads this store's writes change are announced once their transaction commits (thread-changes.ts). */
    readonly changes: ThreadChanges,
  ) {}

  transaction<T>(tenant: string, work: (tx: TenantQueryable) => Promise<T>): Promise<T> {
    return this.changes.transaction(this.db, tenant, work);
  }

  /**
   * Runs a keyed write once: a redelivered command (same id) is answered with the stored result and
   * `apply` is not run again. An error thrown by `apply` rolls everything back (nothing recorded).
   */
  async applyOnce<T>(
    tenant: string,
    command: { commandId: string; method: string; threadId: string },
    apply: (tx: TenantQueryable) => Promise<T>,
  ): Promise<{ result: T; isReplay: boolean }> {
    return this.changes.transaction(this.db, tenant, async (tx) => {
      // Announced even for a replay: the first run may have committed and died before its notice.
      if (command.threadId !== NO_THREAD && isThreadId(command.threadId)) this.changes.mark(tx, command.threadId);
      const prior = await tx.query<{ result: T }>(
        "ledger lookup",
        "SELECT result FROM thread.applied_commands WHERE tenant = $1 AND command_id = $2",
        [tenant, command.commandId],
      );
      if (prior.rows[0]) return { result: prior.rows[0].result, isReplay: true };
      const result = await apply(tx);
      await tx.query(
        "ledger insert",
        `INSERT INTO thread.applied_commands (tenant, command_id, method, thread_id, result)
         VALUES ($1, $2, $3, $4, $5)`,
        [tenant, command.commandId, command.method, command.threadId, JSON.stringify(result ?? null)],
      );
      return { result, isReplay: false };
    });
  }

  /** Whether a command has run already (its ledger row is there): a redelivery of it must not act again. */
  async wasApplied(tenant: string, commandId: string): Promise<boolean> {
    const prior = await this.db.query(
      tenant,
      "ledger check",
      "SELECT 1 FROM thread.applied_commands WHERE tenant = $1 AND command_id = $2",
      [tenant, commandId],
    );
    return prior.rows.length > 0;
  }

  /**
   * Records in a thread/fork's ledger entry that its fork's session is settled (its config resolved
   * and stored): a replay of the command then answers from the fork as it is, without resolving again.
   */
  async markForkSettled(tx: TenantQueryable, tenant: string, commandId: string): Promise<void> {
    await tx.query(
      "mark fork settled",
      `UPDATE thread.applied_commands SET result = result || '{"isSettled": true}'::jsonb
        WHERE tenant = $1 AND command_id = $2 AND jsonb_typeof(result) = 'object'`,
      [tenant, commandId],
    );
  }

  async turnStates(tenant: string, threadId: string): Promise<Map<string, TurnState>> {
    const result = await this.db.query<TurnState & { id: string }>(tenant, "turn states", TURN_STATES_SQL, [tenant, threadId]);
    return turnStatesOf(result.rows);
  }

  /** The thread, locked for the rest of the transaction; undefined when it does not exist here. */
  async lockThread(tx: TenantQueryable, tenant: string, threadId: string): Promise<ThreadRow | undefined> {
    if (!isThreadId(threadId)) return undefined;
    const row = await selectThreadForUpdate(tx, tenant, threadId);
    // Locked to be changed (conservatively: a locked thread may be left as it was).
    if (row) this.changes.mark(tx, threadId);
    return row;
  }

  async updateThread(tx: TenantQueryable, tenant: string, threadId: string, set: string, params: unknown[]): Promise<ThreadRow> {
    const result = await tx.query<ThreadRow>(
      "update thread",
      `UPDATE thread.threads SET ${set} WHERE tenant = $1 AND id = $2 RETURNING ${THREAD_COLUMNS}`,
      [tenant, threadId, ...params],
    );
    const row = result.rows[0];
    if (!row) throw new SwitchyardError({ reason: "threadNotFound", threadId });
    this.changes.mark(tx, threadId);
    return row;
  }

  async subscribe(tx: TenantQueryable, tenant: string, threadId: string, connection: string): Promise<void> {
    await tx.query(
      "subscribe",
      // Only to a thread that exists, key-share locked until this commits so a delete cannot slip in
      // between (what the foreign key did before migration 0034; a delete removes its subscriptions).
      `INSERT INTO thread.subscriptions (tenant, thread_id, connection)
       SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM thread.threads WHERE tenant = $1 AND id = $2 FOR KEY SHARE)
       ON CONFLICT DO NOTHING`,
      [tenant, threadId, connection],
    );
  }

  /** Removes one subscription; true when there was one. */
  async unsubscribe(tx: TenantQueryable, tenant: string, threadId: string, connection: string): Promise<boolean> {
    const result = await tx.query(
      "unsubscribe",
      "DELETE FROM thread.subscriptions WHERE tenant = $1 AND thread_id = $2 AND connection = $3",
      [tenant, threadId, connection],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async dropSubscribers(tx: TenantQueryable, tenant: string, threadIds: string[]): Promise<void> {
    await tx.query("drop subscribers", "DELETE FROM thread.subscriptions WHERE tenant = $1 AND thread_id = ANY($2::uuid[])", [
      tenant,
      threadIds,
    ]);
  }

  /** Everything a connection subscribed to, forgotten (it closed). */
  async forgetConnection(tenant: string, connection: string): Promise<number> {
    const result = await this.db.query(
      tenant,
      "forget connection",
      "DELETE FROM thread.subscriptions WHERE tenant = $1 AND connection = $2",
      [tenant, connection],
    );
    return result.rowCount ?? 0;
  }

  /** A thread and every thread it spawned, at any depth (sub-agents, through parent_thread_id). */
  async withDescendants(tx: TenantQueryable, tenant: string, threadId: string): Promise<string[]> {
    const result = await tx.query<{ id: string }>(
      "descendants",
      `WITH RECURSIVE family AS (
         SELECT id FROM thread.threads WHERE tenant = $1 AND id = $2
         UNION
         SELECT child.id FROM thread.threads child JOIN family ON child.parent_thread_id = family.id WHERE child.tenant = $1
       )
       SELECT id FROM family`,
      [tenant, threadId],
    );
    // Asked for to change them all (archive).
    const family = result.rows.map((row) => row.id);
    this.changes.mark(tx, family);
    return family;
  }

  async loadedPage(tenant: string, after: string | null, limit: number): Promise<string[]> {
    const result = await this.db.query<{ id: string }>(
      tenant,
      "loaded threads",
      `SELECT id FROM thread.threads
        WHERE tenant = $1 AND loaded_at IS NOT NULL AND ($2::uuid IS NULL OR id > $2::uuid)
        ORDER BY id LIMIT $3`,
      [tenant, after, limit],
    );
    return result.rows.map((row) => row.id);
  }

  /**
   * Copies a thread's history (all, or up to a fork point) to another thread: its displayable and
   * model-visible items, and the recorded states of the turns they belong to (status, error, times),
   * so the fork shows its turns as Codex 0.171.0's fork does (probed). A turn still running in the
   * source is copied as interrupted: the fork does not run it.
   */
  async copyHistory(tx: TenantQueryable, tenant: string, from: string, to: string, throughSeq: string | null): Promise<void> {
    await tx.query(
      "copy items",
      `INSERT INTO thread.items (tenant, thread_id, seq, turn_id, item, response_item)
       SELECT tenant, $3, seq, turn_id, item, response_item FROM thread.items
        WHERE tenant = $1 AND thread_id = $2 AND ($4::bigint IS NULL OR seq <= $4::bigint)`,
      [tenant, from, to, throughSeq],
    );
    await tx.query(
      "copy turns",
      `INSERT INTO thread.turns (tenant, thread_id, id, root_turn_id, kind, status, error, started_at, completed_at, fence, request)
       SELECT t.tenant, $3, t.id, t.root_turn_id, t.kind,
              CASE WHEN t.status = 'inProgress' THEN 'interrupted' ELSE t.status END, t.error, t.started_at,
              CASE WHEN t.status = 'inProgress' THEN now() ELSE t.completed_at END, 0, '{}'::jsonb
         FROM thread.turns t
        WHERE t.tenant = $1 AND t.thread_id = $2
          AND EXISTS (SELECT 1 FROM thread.items i WHERE i.tenant = $1 AND i.thread_id = $3 AND i.turn_id = t.id)`,
      [tenant, from, to],
    );
    this.changes.mark(tx, to);
  }

  /**
   * Cuts a thread's history before one of its turns (thread/revert): the items from `fromSeq` (that
   * turn's first) on, that turn and every turn started with or after it. The ids of the turns removed.
   */
  async cutHistory(tx: TenantQueryable, tenant: string, threadId: string, turnId: string, fromSeq: string): Promise<string[]> {
    const items = await tx.query<{ turn_id: string }>(
      "cut items",
      "DELETE FROM thread.items WHERE tenant = $1 AND thread_id = $2 AND seq >= $3::bigint RETURNING turn_id",
      [tenant, threadId, fromSeq],
    );
    const cut = await tx.query<{ id: string }>(
      "cut turns",
      `DELETE FROM thread.turns AS t
        WHERE t.tenant = $1 AND t.thread_id = $2
          AND (t.id = ANY($3::text[])
               OR t.started_at >= (SELECT started_at FROM thread.turns WHERE tenant = $1 AND thread_id = $2 AND id = $4))
       RETURNING t.id`,
      [tenant, threadId, [...new Set(items.rows.map((row) => row.turn_id))], turnId],
    );
    this.changes.mark(tx, threadId);
    return cut.rows.map((row) => row.id);
  }

  /** The seq bounds of one turn of a thread, or undefined when the thread has no such turn. */
  async turnBounds(
    tx: TenantQueryable,
    tenant: string,
    threadId: string,
    turnId: string,
  ): Promise<{ first: string; last: string } | undefined> {
    const result = await tx.query<{ first: string | null; last: string | null }>(
      "turn bounds",
      "SELECT min(seq)::text AS first, max(seq)::text AS last FROM thread.items WHERE tenant = $1 AND thread_id = $2 AND turn_id = $3",
      [tenant, threadId, turnId],
    );
    const row = result.rows[0];
    return row?.first && row.last ? { first: row.first, last: row.last } : undefined;
  }

  async appendItems(
    tx: TenantQueryable,
    tenant: string,
    threadId: string,
    items: NewItem[],
    preview: string | null,
  ): Promise<void> {
    await tx.query("append items", APPEND_ITEMS_SQL, appendItemsParams(tenant, threadId, items, preview));
    this.changes.mark(tx, threadId);
  }

  /**
   * A page of turns (grouped items) in seq order. `afterSeq`/`beforeSeq` bound the page by the
   * turns' first item, exclusive.
   */
  async turnsPage(
    tenant: string,
    threadId: string,
    page: { afterSeq: string | null; beforeSeq: string | null; direction: "asc" | "desc"; limit: number },
  ): Promise<TurnSummary[]> {
    const direction = page.direction === "asc" ? "ASC" : "DESC";
    const result = await this.db.query<TurnSummary>(
      tenant,
      "turns page",
      `SELECT turn_id, min(seq)::text AS first_seq, min(created_at) AS started_at, max(created_at) AS completed_at
         FROM thread.items
        WHERE tenant = $1 AND thread_id = $2 AND item IS NOT NULL
        GROUP BY turn_id
       HAVING ($3::bigint IS NULL OR min(seq) > $3::bigint) AND ($4::bigint IS NULL OR min(seq) < $4::bigint)
        ORDER BY min(seq) ${direction}
        LIMIT $5`,
      [tenant, threadId, page.afterSeq, page.beforeSeq, page.limit],
    );
    return result.rows;
  }

  async itemsOfTurns(tenant: string, threadId: string, turnIds: string[]): Promise<StoredItemRow[]> {
    const result = await this.db.query<StoredItemRow>(
      tenant,
      "items of turns",
      `SELECT seq::text, turn_id, item, created_at FROM thread.items
        WHERE tenant = $1 AND thread_id = $2 AND turn_id = ANY($3::text[]) AND item IS NOT NULL
        ORDER BY thread.items.seq`,
      [tenant, threadId, turnIds],
    );
    return result.rows;
  }

  /** A page of displayable items in seq order, optionally of one turn; bounds exclusive. */
  /** Up to `limit` timeline entries before `bound` (all of them without one), newest first. */
  async timelinePage(tenant: string, threadId: string, bound: TimelineBound | null, limit: number): Promise<TimelineRow[]> {
    const result = await this.db.query<TimelineRow>(
      tenant,
      "timeline page",
      TIMELINE_PAGE_SQL,
      [tenant, threadId, bound?.position ?? null, bound?.kind ?? null, bound?.id ?? null, limit],
      { prepare: true },
    );
    return result.rows;
  }

  async itemsPage(
    tenant: string,
    threadId: string,
    page: { turnId: string | null; afterSeq: string | null; beforeSeq: string | null; direction: "asc" | "desc"; limit: number },
  ): Promise<StoredItemRow[]> {
    const direction = page.direction === "asc" ? "ASC" : "DESC";
    const result = await this.db.query<StoredItemRow>(
      tenant,
      "items page",
      `SELECT seq::text, turn_id, item, created_at FROM thread.items
        WHERE tenant = $1 AND thread_id = $2 AND item IS NOT NULL
          AND ($3::text IS NULL OR turn_id = $3) AND ($4::bigint IS NULL OR seq > $4::bigint) AND ($5::bigint IS NULL OR seq < $5::bigint)
        ORDER BY thread.items.seq ${direction}
        LIMIT $6`,
      [tenant, threadId, page.turnId, page.afterSeq, page.beforeSeq, page.limit],
    );
    return result.rows;
  }
}
