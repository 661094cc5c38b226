// Carries on goals whose instance stopped between two of their turns. A goal continuation that is
// owed is marked on its thread in the transaction that owes it (migration 0031); the instance that
// owes it admits it at once and so clears the mark. A mark older than the grace was left by an
// instance that stopped or died first, or whose admission failed: every instance looks for such
// marks and admits the continuation itself, under the thread row's lock, so of several sweepers
// (and a late owner) exactly one admits it. The scan spans tenants, so it runs on the maintenance
// pool (the login role); each admission is per tenant.
import type { Logger, Pool } from "@switchyard/runtime";
import { OWED_GOAL_CONTINUATIONS_SQL } from "./turn-store.js";

/** How many owed continuations one sweep takes on. */
const SWEEP_BATCH = 50;

export function startGoalSweeper(options: {
  pool: Pool;
  goals: { continueGoal(tenant: string, threadId: string, subject: string): Promise<boolean> };
  /** How old an owed continuation must be before anyone but its owner admits it. */
  graceMs: number;
  log: Logger;
}): () => void {
  const { pool, goals, log } = options;
  let isSweeping = false;
  const sweep = async () => {
    if (isSweeping) return;
    isSweeping = true;
    try {
      const owed = await pool.query<{ tenant: string; id: string; subject: string | null }>(OWED_GOAL_CONTINUATIONS_SQL, [
        options.graceMs,
        SWEEP_BATCH,
      ]);
      for (const thread of owed.rows) {
        // The subject is written with every mark (null only if someone set the mark by hand).
        const isAdmitted = await goals.continueGoal(thread.tenant, thread.id, thread.subject ?? "");
        if (isAdmitted) {
          log.warn(
            { tenant: thread.tenant, threadId: thread.id },
            "carried on a goal whose continuation its instance did not start (stopped or failed)",
          );
        }
      }
    } catch (error) {
      log.warn({ err: String(error) }, "goal continuation sweep failed; will try again");
    } finally {
      isSweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), Math.max(100, Math.floor(options.graceMs / 2)));
  timer.unref();
  return () => clearInterval(timer);
}
