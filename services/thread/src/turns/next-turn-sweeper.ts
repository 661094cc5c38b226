// Starts the turns their instances owed and did not start: a thread's next queued submission or its
// goal's continuation, when the instance that owed it stopped between two turns. A next turn that is
// owed is marked on its thread in the transaction that owes it (migration 0031); the instance that
// owes it admits it at once and so clears the mark. A mark older than the grace was left by an
// instance that stopped or died first, or whose admission failed: every instance looks for such
// marks and admits the turn itself, under the thread row's lock, so of several sweepers (and a late
// owner) exactly one admits it. The scan spans tenants, so it runs on the maintenance pool (the login
// role); each admission is per tenant.
import type { Logger, Pool } from "@switchyard/runtime";
import { type NextTurn, OWED_NEXT_TURNS_SQL } from "./turn-store.js";

/** How many owed turns one sweep takes on. */
const SWEEP_BATCH = 50;

export function startNextTurnSweeper(options: {
  pool: Pool;
  turns: { continueThread(tenant: string, threadId: string, subject: string): Promise<NextTurn> };
  /** How old an owed turn's mark must be before anyone but its owner admits it. */
  graceMs: number;
  log: Logger;
}): () => void {
  const { pool, turns, log } = options;
  let isSweeping = false;
  const sweep = async () => {
    if (isSweeping) return;
    isSweeping = true;
    try {
      const owed = await pool.query<{ tenant: string; id: string; subject: string | null }>(OWED_NEXT_TURNS_SQL, [
        options.graceMs,
        SWEEP_BATCH,
      ]);
      for (const thread of owed.rows) {
        // The subject is written with every mark (null only if someone set the mark by hand).
        const next = await turns.continueThread(thread.tenant, thread.id, thread.subject ?? "");
        if (next.kind === "queued" || next.kind === "goal") {
          log.warn(
            { tenant: thread.tenant, threadId: thread.id, source: next.kind },
            "started a thread's next turn that its instance did not start (stopped or failed)",
          );
        }
      }
    } catch (error) {
      log.warn({ err: String(error) }, "next-turn sweep failed; will try again");
    } finally {
      isSweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), Math.max(100, Math.floor(options.graceMs / 2)));
  timer.unref();
  return () => clearInterval(timer);
}
