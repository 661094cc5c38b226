// Turn persistence: admission (one running turn per thread), the lease and its fencing token, the
// items a turn produces, and its ending. Admission runs inside the keyed command's ledger
// transaction; everything the runner writes afterwards is fenced — it applies only while the fence
// the turn was admitted with is still the thread's `turn_fence` and the turn is still running, so a
// runner that lost its lease (presumed dead, its turn closed by another instance) changes nothing.
import type { QueuedSubmission, ThreadGoal, ThreadItem, TurnError, TurnStatus, UserInput } from "@switchyard/protocol";
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";
import { selectThreadForUpdate } from "../store/lifecycle-store.js";
import type { ThreadChanges } from "../store/thread-changes.js";
import { APPEND_ITEMS_SQL, appendItemsParams, type LastTokenUsage, type ThreadRow } from "../store/thread-store.js";
import { accountedGoal, type GoalProgress, goalContinuationItem, goalInOrder } from "./goal-turns.js";
import { previewOf, userInputItem } from "./turn-items.js";

const jsonOrNull = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** A thread's read state after a turn ended on it (Codex marks the thread unread; not ephemeral ones). */
export interface EndedReadState {
  revision: string;
  firstUnread: { type: "turn"; turnId: string } | { type: "threadStart" };
}

export interface TurnRow {
  tenant: string;
  thread_id: string;
  id: string;
  root_turn_id: string | null;
  kind: "regular" | "compact" | "review";
  status: TurnStatus;
  error: TurnError | null;
  started_at: Date;
  completed_at: Date | null;
  fence: string;
  owner: string | null;
  lease_expires_at: Date | null;
  request: Record<string, unknown>;
  /** Set on the row an ending returns: the thread's new read state (absent for an ephemeral thread). */
  readState?: EndedReadState;
  /** Set on the row an ending returns when the turn was accounted to the thread's goal: the goal after it. */
  goal?: ThreadGoal;
  /** Set on the row an ending returns: whether the thread is owed its next turn (queue or goal). */
  owesNextTurn?: boolean;
}

/**
 * What an ending does to the thread: no longer active, and unread from the first turn not yet read,
 * with a new read-state revision, unless the thread is ephemeral, the turn was a compaction or it was
 * interrupted (`$6`): Codex 0.171.0 leaves the read state alone for those. `$3` is the ended turn's id,
 * `$4` the thread's token usage after it and `$5` its last model call's (`{turnId, usage}`; null:
 * unchanged).
 */
const THREAD_AFTER_TURN_SQL = `WITH ended AS (
    SELECT coalesce(bool_or(kind = 'compact'), false) OR $6::boolean AS keeps_read_state
      FROM thread.turns WHERE tenant = $1 AND thread_id = $2 AND id = $3
  )
  UPDATE thread.threads
    SET active_turn_id = NULL, updated_at = now(), token_usage = coalesce($4::jsonb, token_usage),
        last_token_usage = coalesce($5::jsonb, last_token_usage),
        read_revision = CASE WHEN is_ephemeral OR ended.keeps_read_state THEN read_revision ELSE read_revision + 1 END,
        first_unread = CASE WHEN is_ephemeral OR ended.keeps_read_state THEN first_unread
                            ELSE coalesce(first_unread, jsonb_build_object('type', 'turn', 'turnId', $3::text)) END,
        next_turn_due_at = CASE WHEN ($7::text IS NOT NULL AND goal->>'status' = 'active') OR (NOT $6::boolean AND EXISTS (
                                      SELECT 1 FROM thread.queued_submissions AS q WHERE q.tenant = $1 AND q.thread_id = $2))
                                THEN now() END,
        next_turn_subject = CASE WHEN goal->>'status' = 'active' THEN $7::text END
   FROM ended
  WHERE tenant = $1 AND id = $2
  RETURNING is_ephemeral OR ended.keeps_read_state AS keeps_read_state, read_revision::text AS revision, first_unread,
            next_turn_due_at IS NOT NULL AS owes_next_turn`;

async function markThreadAfterTurn(
  tx: TenantQueryable,
  tenant: string,
  threadId: string,
  turnId: string,
  status: Exclude<TurnStatus, "inProgress">,
  usage: { tokenUsage?: unknown; lastTokenUsage?: LastTokenUsage; continueGoalAs?: string } = {},
) {
  const result = await tx.query<{
    keeps_read_state: boolean;
    revision: string;
    first_unread: EndedReadState["firstUnread"];
    owes_next_turn: boolean;
  }>("thread after turn", THREAD_AFTER_TURN_SQL, [
    tenant,
    threadId,
    turnId,
    jsonOrNull(usage.tokenUsage),
    jsonOrNull(usage.lastTokenUsage),
    status === "interrupted",
    usage.continueGoalAs ?? null,
  ]);
  const row = result.rows[0];
  return {
    readState: row && !row.keeps_read_state ? { revision: row.revision, firstUnread: row.first_unread } : undefined,
    owesNextTurn: row?.owes_next_turn === true,
  };
}

/** Appends a turn's items after the thread's last (the caller holds the thread row's lock). */
async function appendTurnItems(tx: TenantQueryable, lease: TurnLease, items: TurnItem[], preview: string | null) {
  await tx.query(
    "append turn items",
    APPEND_ITEMS_SQL,
    appendItemsParams(
      lease.tenant,
      lease.threadId,
      items.map((entry) => ({ turnId: lease.turnId, ...entry })),
      preview,
    ),
  );
}

/** An item a turn stores: its wire ThreadItem (null: model-visible only) and its Responses API item. */
export interface TurnItem {
  item: Record<string, unknown> | null;
  responseItem: unknown;
}

/** What a runner holds: enough to fence every write it makes. */
export interface TurnLease {
  tenant: string;
  threadId: string;
  turnId: string;
  fence: string;
  owner: string;
}

export interface StoredHistoryRow {
  seq: string;
  turn_id: string;
  item: Record<string, unknown> | null;
  response_item: Record<string, unknown> | null;
}

const TURN_COLUMNS = `tenant, thread_id, id, root_turn_id, kind, status, error, started_at, completed_at, fence::text AS fence,
  owner, lease_expires_at, request`;

/** A fenced write applies only while the turn runs and its fence is the thread's. */
const FENCE_HOLDS = `EXISTS (SELECT 1 FROM thread.threads f WHERE f.tenant = $1 AND f.id = $2 AND f.turn_fence = $4::bigint)`;

export class TurnStore {
  constructor(
    private readonly db: TenantDb,
    /** Every write here changes what thread/read shows; announced once committed (thread-changes.ts). */
    private readonly changes: ThreadChanges,
  ) {}

  /** The thread's running turn, if any. */
  async runningTurn(queryable: TenantQueryable | undefined, tenant: string, threadId: string): Promise<TurnRow | undefined> {
    const sql = `SELECT ${TURN_COLUMNS} FROM thread.turns WHERE tenant = $1 AND thread_id = $2 AND status = 'inProgress'`;
    const result = queryable
      ? await queryable.query<TurnRow>("running turn", sql, [tenant, threadId])
      : await this.db.query<TurnRow>(tenant, "running turn", sql, [tenant, threadId]);
    return result.rows[0];
  }

  /** The thread's latest turn (running or ended), if it has any. */
  async latestTurn(tenant: string, threadId: string): Promise<TurnRow | undefined> {
    const result = await this.db.query<TurnRow>(
      tenant,
      "latest turn",
      `SELECT ${TURN_COLUMNS} FROM thread.turns WHERE tenant = $1 AND thread_id = $2 ORDER BY started_at DESC, id DESC LIMIT 1`,
      [tenant, threadId],
    );
    return result.rows[0];
  }

  async read(tenant: string, threadId: string, turnId: string): Promise<TurnRow | undefined> {
    const result = await this.db.query<TurnRow>(
      tenant,
      "read turn",
      `SELECT ${TURN_COLUMNS} FROM thread.turns WHERE tenant = $1 AND thread_id = $2 AND id = $3`,
      [tenant, threadId, turnId],
    );
    return result.rows[0];
  }

  /**
   * Admits a turn inside the caller's transaction (the thread row is locked by the caller): bumps the
   * thread's fence, records the turn as running under `owner`'s lease, and stores its first items.
   * Whatever goal continuation was owed is settled by this turn (its end decides whether another is).
   */
  async admit(
    tx: TenantQueryable,
    turn: {
      tenant: string;
      threadId: string;
      turnId: string;
      rootTurnId: string;
      kind: TurnRow["kind"];
      owner: string;
      leaseMs: number;
      request: Record<string, unknown>;
      items: TurnItem[];
      preview: string | null;
    },
  ): Promise<TurnRow> {
    const fenced = await tx.query<{ turn_fence: string }>(
      "bump turn fence",
      `UPDATE thread.threads SET turn_fence = turn_fence + 1, active_turn_id = $3, model_recorded = true,
              next_turn_due_at = NULL, next_turn_subject = NULL
        WHERE tenant = $1 AND id = $2 RETURNING turn_fence::text`,
      [turn.tenant, turn.threadId, turn.turnId],
    );
    const fence = fenced.rows[0]?.turn_fence;
    if (fence === undefined) throw new Error(`thread ${turn.threadId} vanished during admission`);
    this.changes.mark(tx, turn.threadId);
    const inserted = await tx.query<TurnRow>(
      "admit turn",
      `INSERT INTO thread.turns (tenant, thread_id, id, root_turn_id, kind, status, fence, owner, lease_expires_at, request)
       VALUES ($1, $2, $3, $4, $5, 'inProgress', $6::bigint, $7, now() + make_interval(secs => $8::double precision / 1000), $9)
       RETURNING ${TURN_COLUMNS}`,
      [turn.tenant, turn.threadId, turn.turnId, turn.rootTurnId, turn.kind, fence, turn.owner, turn.leaseMs, turn.request],
    );
    if (turn.items.length > 0) {
      await tx.query(
        "append turn items",
        APPEND_ITEMS_SQL,
        appendItemsParams(
          turn.tenant,
          turn.threadId,
          turn.items.map((entry) => ({ turnId: turn.turnId, ...entry })),
          turn.preview,
        ),
      );
    }
    return inserted.rows[0] as TurnRow;
  }

  /** Extends the lease; false when the turn is no longer this runner's (ended, or taken over). */
  async renewLease(lease: TurnLease, leaseMs: number): Promise<boolean> {
    const result = await this.db.query(
      lease.tenant,
      "renew turn lease",
      `UPDATE thread.turns SET lease_expires_at = now() + make_interval(secs => $5::double precision / 1000)
        WHERE tenant = $1 AND thread_id = $2 AND id = $3 AND status = 'inProgress' AND ${FENCE_HOLDS}`,
      [lease.tenant, lease.threadId, lease.turnId, lease.fence, leaseMs],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Stores items the turn produced, in order; false (nothing stored) when the fence no longer holds. */
  async appendItems(lease: TurnLease, items: TurnItem[], preview: string | null = null): Promise<boolean> {
    if (items.length === 0) return true;
    return this.changes.transaction(this.db, lease.tenant, async (tx) => {
      this.changes.mark(tx, lease.threadId);
      // The thread row's lock comes first, so the append's next seq is read after any keyed write
      // to the thread (thread/inject_items holds the same lock) has committed.
      if (!(await this.holdsFence(tx, lease))) return false;
      await appendTurnItems(tx, lease, items, preview);
      return true;
    });
  }

  /** Ends the turn (and stores its last items and the thread's token usage); false when fenced out. */
  async complete(
    lease: TurnLease,
    ending: {
      status: Exclude<TurnStatus, "inProgress">;
      error: TurnError | null;
      items?: TurnItem[];
      tokenUsage?: unknown;
      lastTokenUsage?: LastTokenUsage;
      /**
       * What the turn spent toward the thread's goal since it was last accounted (goal-turns.ts's
       * accountedGoal: counted while the goal is active or budget-limited), and whether a failure
       * blocks an active goal (as a failed turn does in Codex 0.171.0; not when this instance's
       * shutdown ended it: the goal carries on elsewhere).
       */
      goalProgress?: GoalProgress & { blocksOnFailure: boolean };
      /**
       * Who the goal's next turn runs as, when this turn's end owes it one (a completed turn, or one
       * a shutdown ended): marked on the thread, in this transaction, if the goal is still active
       * after the turn is accounted (migration 0031), so it is owed even if this instance stops.
       */
      continueGoalAs?: string;
    },
  ): Promise<TurnRow | undefined> {
    return this.changes.transaction(this.db, lease.tenant, async (tx) => {
      this.changes.mark(tx, lease.threadId);
      const held = await this.holdsFence(tx, lease);
      if (!held) return undefined;
      if (ending.items && ending.items.length > 0) await appendTurnItems(tx, lease, ending.items, null);
      const goal = ending.goalProgress && (await this.closeGoal(tx, lease, held.goal, ending.status, ending.goalProgress));
      const after = await markThreadAfterTurn(tx, lease.tenant, lease.threadId, lease.turnId, ending.status, ending);
      const ended = await tx.query<TurnRow>(
        "end turn",
        `UPDATE thread.turns SET status = $4, error = $5, completed_at = now(), lease_expires_at = NULL
          WHERE tenant = $1 AND thread_id = $2 AND id = $3 AND status = 'inProgress'
          RETURNING ${TURN_COLUMNS}`,
        [lease.tenant, lease.threadId, lease.turnId, ending.status, ending.error ? JSON.stringify(ending.error) : null],
      );
      return ended.rows[0] && { ...ended.rows[0], readState: after.readState, goal, owesNextTurn: after.owesNextTurn };
    });
  }

  /**
   * A turn's last progress on the thread's goal (`current`, read under the thread row's lock), and a
   * failed turn's block of an active goal: the goal as stored when either changed it.
   */
  private async closeGoal(
    tx: TenantQueryable,
    lease: TurnLease,
    current: ThreadGoal | null,
    status: Exclude<TurnStatus, "inProgress">,
    progress: GoalProgress & { blocksOnFailure: boolean },
  ): Promise<ThreadGoal | undefined> {
    if (!current) return undefined;
    const now = Math.floor(Date.now() / 1000);
    let goal = accountedGoal(current, progress, now);
    if (status === "failed" && progress.blocksOnFailure && (goal ?? current).status === "active") {
      goal = goalInOrder({ ...(goal ?? current), status: "blocked", updatedAt: now });
    }
    if (goal) await this.storeGoal(tx, lease, goal);
    return goal;
  }

  private async storeGoal(tx: TenantQueryable, lease: TurnLease, goal: ThreadGoal): Promise<void> {
    await tx.query(
      "store goal",
      "UPDATE thread.threads SET goal = $3::jsonb, has_read_state = NOT is_ephemeral WHERE tenant = $1 AND id = $2",
      [lease.tenant, lease.threadId, JSON.stringify(goal)],
    );
  }

  /**
   * A running turn's progress on the thread's goal, accounted (fenced like the turn's other writes):
   * the goal as stored when it counted, undefined when it did not (no goal, or one it does not count
   * toward), false when the turn is no longer this runner's.
   */
  async accountGoalProgress(lease: TurnLease, progress: GoalProgress): Promise<ThreadGoal | undefined | false> {
    return this.changes.transaction(this.db, lease.tenant, async (tx) => {
      this.changes.mark(tx, lease.threadId);
      const held = await this.holdsFence(tx, lease);
      if (!held) return false;
      const goal = held.goal && accountedGoal(held.goal, progress, Math.floor(Date.now() / 1000));
      if (goal) await this.storeGoal(tx, lease, goal);
      return goal ?? undefined;
    });
  }

  /**
   * The model's `update_goal` during its turn (fenced like the turn's other writes): the turn's
   * progress accounted first, as Codex does, then the new status. What each step stored (`accounted`
   * undefined when the progress did not count), undefined when the thread has no goal, false when the
   * turn is no longer this runner's.
   */
  async setGoalStatus(
    lease: TurnLease,
    status: ThreadGoal["status"],
    progress: GoalProgress,
  ): Promise<{ accounted?: ThreadGoal; goal: ThreadGoal } | undefined | false> {
    return this.changes.transaction(this.db, lease.tenant, async (tx) => {
      this.changes.mark(tx, lease.threadId);
      const held = await this.holdsFence(tx, lease);
      if (!held) return false;
      if (!held.goal) return undefined;
      const now = Math.floor(Date.now() / 1000);
      const accounted = accountedGoal(held.goal, progress, now);
      const goal = goalInOrder({ ...(accounted ?? held.goal), status, updatedAt: now });
      await this.storeGoal(tx, lease, goal);
      return { accounted, goal };
    });
  }

  /**
   * The model's `create_goal` during its turn: a new active goal, unless the thread has one that is
   * not complete (Codex 0.171.0 replaces only a complete one). The goal objective becomes the preview
   * of a thread that has none, as a goal/set's does. False when the turn is no longer this runner's.
   */
  async createGoal(
    lease: TurnLease,
    wanted: { objective: string; tokenBudget: number | null },
    /** The root of the turn creating it: its continuations' root (migration 0043). */
    rootTurnId: string,
  ): Promise<{ goal: ThreadGoal } | { unfinished: ThreadGoal } | false> {
    return this.changes.transaction(this.db, lease.tenant, async (tx) => {
      this.changes.mark(tx, lease.threadId);
      const held = await this.holdsFence(tx, lease);
      if (!held) return false;
      if (held.goal && held.goal.status !== "complete") return { unfinished: held.goal };
      const now = Math.floor(Date.now() / 1000);
      const goal: ThreadGoal = {
        threadId: lease.threadId,
        objective: wanted.objective,
        status: "active",
        tokenBudget: wanted.tokenBudget,
        tokensUsed: 0,
        timeUsedSeconds: 0,
        createdAt: now,
        updatedAt: now,
      };
      await tx.query(
        "create goal",
        `UPDATE thread.threads SET goal = $3::jsonb, has_read_state = NOT is_ephemeral, goal_root_turn_id = $5,
                preview = CASE WHEN preview = '' THEN $4 ELSE preview END
          WHERE tenant = $1 AND id = $2`,
        [lease.tenant, lease.threadId, JSON.stringify(goal), goal.objective, rootTurnId],
      );
      return { goal };
    });
  }

  /** The thread's goal as stored now (the model's `get_goal`). */
  async goalOf(tenant: string, threadId: string): Promise<ThreadGoal | null> {
    const result = await this.db.query<{ goal: ThreadGoal | null }>(
      tenant,
      "read goal",
      "SELECT goal FROM thread.threads WHERE tenant = $1 AND id = $2",
      [tenant, threadId],
    );
    const goal = result.rows[0]?.goal;
    return goal ? goalInOrder(goal) : null;
  }

  /**
   * Admits the turn a thread is owed, as `owner`, under the thread row's lock (so a turn/start racing
   * it admits one turn, not two): its next queued submission, which leaves the queue in this transaction and loads the thread, as Codex 0.171.0 does;
   * else, on a loaded thread whose goal is active, a goal continuation. Whatever was owed is settled
   * here: a running turn's end decides afresh, and a thread with nothing to start owes nothing.
   */
  async admitNextTurn(
    tenant: string,
    threadId: string,
    turn: { turnId: string; owner: string; leaseMs: number },
  ): Promise<NextTurn> {
    return this.changes.transaction(this.db, tenant, (tx) => this.admitNextTurnIn(tx, tenant, threadId, turn));
  }

  /**
   * `admitNextTurn` inside the caller's transaction (thread/queue/start's ledger transaction); with
   * `queueOnly`, a queued submission or nothing (a goal is not started in its place).
   */
  async admitNextTurnIn(
    tx: TenantQueryable,
    tenant: string,
    threadId: string,
    turn: { turnId: string; owner: string; leaseMs: number },
    options: { submissionId?: string; queueOnly?: boolean } = {},
  ): Promise<NextTurn> {
    const row = await selectThreadForUpdate(tx, tenant, threadId);
    const settle = async (outcome: NextTurn) => {
      await tx.query("settle next turn", SETTLE_NEXT_TURN_SQL, [tenant, threadId]);
      return outcome;
    };
    if (!row || row.archived_at) return settle({ kind: "none" });
    if (await this.runningTurn(tx, tenant, threadId)) return settle({ kind: "busy" });
    const settings = row.settings as { effort?: string | null; summary?: string | null };
    const request = { effort: settings.effort ?? null, summary: settings.summary ?? null };
    const admitRegular = (
      turnRequest: Record<string, unknown>,
      items: TurnItem[],
      preview: string | null,
      rootTurnId: string = turn.turnId,
    ) =>
      this.admit(tx, {
        tenant,
        threadId,
        turnId: turn.turnId,
        rootTurnId,
        kind: "regular",
        owner: turn.owner,
        leaseMs: turn.leaseMs,
        request: turnRequest,
        items,
        preview,
      });
    const taken = await tx.query<QueuedRow>(
      "take queued submission",
      `DELETE FROM thread.queued_submissions WHERE (tenant, thread_id, id) = (
           SELECT tenant, thread_id, id FROM thread.queued_submissions
            WHERE tenant = $1 AND thread_id = $2 AND ($3::uuid IS NULL OR id = $3::uuid)
            ORDER BY position LIMIT 1)
         RETURNING ${QUEUED_COLUMNS}`,
      [tenant, threadId, options.submissionId ?? null],
    );
    const submission = taken.rows[0];
    if (submission) {
      const input = submission.input as UserInput[];
      const user = userInputItem(input, submission.client_user_message_id, Date.now());
      if (!row.loaded_at) {
        await tx.query("load thread", "UPDATE thread.threads SET loaded_at = now() WHERE tenant = $1 AND id = $2", [
          tenant,
          threadId,
        ]);
      }
      const admitted = await admitRegular({ ...request, queuedSubmissionId: submission.id }, [user], previewOf(input));
      const loaded = row.loaded_at ? row : { ...row, loaded_at: new Date() };
      return { kind: "queued", row: loaded, turn: admitted, userItems: [user.item], subject: submission.subject };
    }
    if (options.submissionId !== undefined) return settle({ kind: "notQueued" });
    if (options.queueOnly) return settle({ kind: "none" });
    const goal = row.goal as ThreadGoal | null;
    if (!row.loaded_at || goal?.status !== "active") return settle({ kind: "none" });
    // A goal the model created hangs its continuations under the turn that created it (migration 0043).
    const root = await tx.query<{ goal_root_turn_id: string | null }>(
      "goal root turn",
      "SELECT goal_root_turn_id FROM thread.threads WHERE tenant = $1 AND id = $2",
      [tenant, threadId],
    );
    const rootTurnId = root.rows[0]?.goal_root_turn_id ?? turn.turnId;
    const admitted = await admitRegular(request, [goalContinuationItem(goal)], null, rootTurnId);
    return { kind: "goal", row, turn: admitted, userItems: [] };
  }

  /** A thread's queued submissions, next first. */
  async queued(tx: TenantQueryable, tenant: string, threadId: string): Promise<QueuedRow[]> {
    const result = await tx.query<QueuedRow>(
      "queued submissions",
      `SELECT ${QUEUED_COLUMNS} FROM thread.queued_submissions WHERE tenant = $1 AND thread_id = $2 ORDER BY position`,
      [tenant, threadId],
    );
    return result.rows;
  }

  /**
   * Closes a running turn whose runner cannot be reached, from another instance: bumps the fence
   * first (the old runner's writes stop applying), then ends the turn. Undefined when it was not
   * running any more.
   */
  async takeOver(
    tenant: string,
    threadId: string,
    turnId: string,
    ending: { status: "failed" | "interrupted"; error: TurnError | null; onlyIfLeaseExpired: boolean },
  ): Promise<TurnRow | undefined> {
    return this.changes.transaction(this.db, tenant, async (tx) => {
      this.changes.mark(tx, threadId);
      const running = await tx.query<{ id: string }>(
        "lock running turn",
        `SELECT id FROM thread.turns WHERE tenant = $1 AND thread_id = $2 AND id = $3 AND status = 'inProgress'
           AND ($4::boolean = false OR lease_expires_at < now()) FOR UPDATE`,
        [tenant, threadId, turnId, ending.onlyIfLeaseExpired],
      );
      if (!running.rows[0]) return undefined;
      await tx.query("bump turn fence", "UPDATE thread.threads SET turn_fence = turn_fence + 1 WHERE tenant = $1 AND id = $2", [
        tenant,
        threadId,
      ]);
      const after = await markThreadAfterTurn(tx, tenant, threadId, turnId, ending.status);
      const ended = await tx.query<TurnRow>(
        "end turn",
        `UPDATE thread.turns SET status = $4, error = $5, completed_at = now(), lease_expires_at = NULL
          WHERE tenant = $1 AND thread_id = $2 AND id = $3 RETURNING ${TURN_COLUMNS}`,
        [tenant, threadId, turnId, ending.status, ending.error ? JSON.stringify(ending.error) : null],
      );
      return ended.rows[0] && { ...ended.rows[0], readState: after.readState, owesNextTurn: after.owesNextTurn };
    });
  }

  /** Whether anything is in the thread's history (items, or model-only entries). */
  async hasHistory(tenant: string, threadId: string): Promise<boolean> {
    const result = await this.db.query<{ has: boolean }>(
      tenant,
      "has history",
      "SELECT EXISTS (SELECT 1 FROM thread.items WHERE tenant = $1 AND thread_id = $2) AS has",
      [tenant, threadId],
    );
    return result.rows[0]?.has === true;
  }

  /** The model-visible history of a thread, in order (for the next model request). */
  async history(tenant: string, threadId: string): Promise<StoredHistoryRow[]> {
    const result = await this.db.query<StoredHistoryRow>(
      tenant,
      "turn history",
      `SELECT seq::text, turn_id, item, response_item FROM thread.items WHERE tenant = $1 AND thread_id = $2 ORDER BY thread.items.seq`,
      [tenant, threadId],
    );
    return result.rows;
  }

  /** Turn rows by id for a thread (status, error, times), for views of turns. */
  async turnsById(tenant: string, threadId: string, turnIds: string[]): Promise<Map<string, TurnRow>> {
    if (turnIds.length === 0) return new Map();
    const result = await this.db.query<TurnRow>(
      tenant,
      "turns by id",
      `SELECT ${TURN_COLUMNS} FROM thread.turns WHERE tenant = $1 AND thread_id = $2 AND id = ANY($3::text[])`,
      [tenant, threadId, turnIds],
    );
    return new Map(result.rows.map((row) => [row.id, row]));
  }

  /**
   * Locks the thread row while the turn runs under this fence: every write of the runner happens
   * under it, so a take-over (which bumps the fence on the same row) either waits for the write or
   * makes it find the fence gone. Undefined when the fence no longer holds; else the thread's goal
   * as it stands under the lock.
   */
  private async holdsFence(tx: TenantQueryable, lease: TurnLease): Promise<{ goal: ThreadGoal | null } | undefined> {
    const result = await tx.query<{ goal: ThreadGoal | null }>(
      "check turn fence",
      `SELECT f.goal FROM thread.threads f
        WHERE f.tenant = $1 AND f.id = $2 AND f.turn_fence = $4::bigint
          AND EXISTS (SELECT 1 FROM thread.turns t
                       WHERE t.tenant = $1 AND t.thread_id = $2 AND t.id = $3 AND t.status = 'inProgress')
        FOR UPDATE OF f`,
      [lease.tenant, lease.threadId, lease.turnId, lease.fence],
    );
    return result.rows[0];
  }
}

/**
 * Turns whose lease lapsed, across tenants (the sweeper's query; run on the login role's pool, which
 * row-level security does not restrict — the rows it returns are then handled per tenant).
 */
/** A queued submission as stored (migration 0033). */
export interface QueuedRow {
  id: string;
  position: string;
  client_user_message_id: string;
  input: unknown;
  metadata: Record<string, string> | null;
  subject: string;
}
/** The columns a `QueuedRow` is read with. */
export const QUEUED_COLUMNS = "id, position::text, client_user_message_id, input, metadata, subject";

/** A queued submission as the wire shows it. */
export const queuedView = (row: QueuedRow): QueuedSubmission => ({
  id: row.id,
  input: row.input as UserInput[],
  clientUserMessageId: row.client_user_message_id,
  responsesapiClientMetadata: row.metadata,
});

/** What `admitNextTurn` did: admitted a queued submission's turn or a goal's, or why nothing. */
export type NextTurn =
  | { kind: "queued"; row: ThreadRow; turn: TurnRow; userItems: ThreadItem[]; subject: string }
  | { kind: "goal"; row: ThreadRow; turn: TurnRow; userItems: ThreadItem[] }
  | { kind: "busy" }
  | { kind: "notQueued" }
  | { kind: "none" };

const SETTLE_NEXT_TURN_SQL = `UPDATE thread.threads SET next_turn_due_at = NULL, next_turn_subject = NULL
  WHERE tenant = $1 AND id = $2 AND next_turn_due_at IS NOT NULL`;

/** Owed next turns older than `$1` ms, oldest first (the next-turn sweeper's scan, across tenants). */
export const OWED_NEXT_TURNS_SQL = `SELECT tenant, id, next_turn_subject AS subject FROM thread.threads
  WHERE next_turn_due_at < now() - make_interval(secs => $1::double precision / 1000)
  ORDER BY next_turn_due_at LIMIT $2`;

export const EXPIRED_TURNS_SQL = `SELECT tenant, thread_id, id FROM thread.turns
  WHERE status = 'inProgress' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT $1`;
