// Out-of-band elicitation counts (migration 0038): how many elicitations a client is running outside
// the protocol for a loaded thread (an MCP server's form, say), and the clock of the time the thread's
// waits were paused by them. The count is the loaded session's: it counts only while its epoch is the
// thread's `loaded_at`.
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";

/** Whether the thread's waits are paused now, and how long they have been paused in all (ms). */
export interface PauseReading {
  isPaused: boolean;
  pausedMs: number;
}

/** The count is the current session's (an older session's count is zero). */
const COUNTS = "(elicitation_epoch IS NOT DISTINCT FROM loaded_at)";

export class ElicitationStore {
  constructor(private readonly db: TenantDb) {}

  /**
   * Adds `delta` to the loaded thread's count; the count after it, `notFound` for a thread that is not
   * loaded here (unknown, archived, unloaded: Codex counts only for a running session), `alreadyZero`
   * for a decrement of zero. The pause starts when the count leaves zero and ends when it returns.
   */
  async change(
    tx: TenantQueryable,
    tenant: string,
    threadId: string,
    delta: 1 | -1,
  ): Promise<number | "notFound" | "alreadyZero"> {
    const found = await tx.query<{ count: number; archived: boolean; loaded: boolean }>(
      "lock elicitation count",
      `SELECT CASE WHEN ${COUNTS} THEN elicitation_count ELSE 0 END AS count, archived_at IS NOT NULL AS archived,
              loaded_at IS NOT NULL AS loaded
         FROM thread.threads WHERE tenant = $1 AND id = $2 FOR UPDATE`,
      [tenant, threadId],
    );
    const row = found.rows[0];
    if (!row?.loaded || row.archived) return "notFound";
    if (delta < 0 && row.count === 0) return "alreadyZero";
    const count = row.count + delta;
    const pause = row.count === 0 ? "starts" : count === 0 ? "ends" : "goesOn";
    await tx.query(
      "change elicitation count",
      `UPDATE thread.threads
          SET elicitation_count = $3, elicitation_epoch = loaded_at,
              elicitation_paused_ms = elicitation_paused_ms + CASE WHEN $4 = 'ends'
                THEN floor(extract(epoch FROM now() - elicitation_paused_at) * 1000)::bigint ELSE 0 END,
              elicitation_paused_at = CASE $4 WHEN 'starts' THEN now() WHEN 'ends' THEN NULL ELSE elicitation_paused_at END
        WHERE tenant = $1 AND id = $2`,
      [tenant, threadId, count, pause],
    );
    return count;
  }

  /** The thread's pause clock now (a thread it does not know is not paused). */
  async reading(tenant: string, threadId: string): Promise<PauseReading> {
    const result = await this.db.query<{ is_paused: boolean; paused_ms: string }>(
      tenant,
      "elicitation pause",
      `SELECT ${COUNTS} AND elicitation_count > 0 AS is_paused,
              elicitation_paused_ms + CASE WHEN ${COUNTS} AND elicitation_count > 0
                THEN floor(extract(epoch FROM clock_timestamp() - elicitation_paused_at) * 1000)::bigint ELSE 0 END AS paused_ms
         FROM thread.threads WHERE tenant = $1 AND id = $2`,
      [tenant, threadId],
    );
    const row = result.rows[0];
    return { isPaused: row?.is_paused ?? false, pausedMs: Number(row?.paused_ms ?? 0) };
  }
}
