// Closes turns whose runner died: every instance looks, every third of a lease, for running turns
// whose lease lapsed (their instance stopped renewing it: killed, partitioned, hung) and ends them as
// failed, with Codex's closing notifications, so no client waits forever on a turn/completed. The
// take-over bumps the thread's fence first, so a runner that was only slow cannot write afterwards;
// the row lock in `takeOver` lets one instance win when several sweep the same turn. The scan spans
// tenants, so it runs on the maintenance pool (the login role); each take-over is per tenant.
import type { TurnError } from "@switchyard/protocol";
import type { EventPublisher, Logger, Pool } from "@switchyard/runtime";
import { announceEnding } from "./turn-runner.js";
import { EXPIRED_TURNS_SQL, type TurnStore } from "./turn-store.js";

export const leaseLapsedError = (): TurnError => ({
  message:
    "the Switchyard instance running this turn stopped (its lease expired before the turn finished); send the prompt again",
  codexErrorInfo: "other",
  additionalDetails: null,
  misalignment: null,
});

export function startTurnSweeper(options: {
  pool: Pool;
  turns: TurnStore;
  events: EventPublisher;
  leaseMs: number;
  log: Logger;
}): () => void {
  const { pool, turns, events, log } = options;
  let isSweeping = false;
  const sweep = async () => {
    if (isSweeping) return;
    isSweeping = true;
    try {
      const expired = await pool.query<{ tenant: string; thread_id: string; id: string }>(EXPIRED_TURNS_SQL, [100]);
      for (const turn of expired.rows) {
        const ended = await turns.takeOver(turn.tenant, turn.thread_id, turn.id, {
          status: "failed",
          error: leaseLapsedError(),
          onlyIfLeaseExpired: true,
        });
        if (!ended) continue; // renewed meanwhile, or another instance closed it
        log.warn(
          { tenant: turn.tenant, threadId: turn.thread_id, turnId: turn.id },
          "closed a turn whose runner stopped (lease expired)",
        );
        announceEnding(events, { tenant: turn.tenant, threadId: turn.thread_id }, ended, []);
      }
    } catch (error) {
      log.warn({ err: String(error) }, "turn lease sweep failed; will try again");
    } finally {
      isSweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), Math.max(100, Math.floor(options.leaseMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}
