// When to restart a process that died: exponential back-off (250 ms doubling up to 10 s by default),
// back to the first delay once a run has lasted long enough to count as healthy.

export interface BackoffPolicy {
  /** Delay before the first restart of a streak. */
  initialDelayMs: number;
  /** No delay is longer than this. */
  maxDelayMs: number;
  /** Each further failure of the streak multiplies the delay by this. */
  multiplier: number;
  /** A run at least this long ends the streak: the next death restarts after `initialDelayMs` again. */
  resetAfterMs: number;
}

export const defaultBackoffPolicy: BackoffPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  multiplier: 2,
  resetAfterMs: 30_000,
};

/** The delay before restart number `attempt` (1-based) of a streak. */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const delay = policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, Math.round(delay));
}

export interface RestartPlan {
  /** 1 for the first restart after a healthy run, then 2, 3… while the process keeps dying early. */
  attempt: number;
  delayMs: number;
}

/** The failure streak of one supervised process. */
export class RestartBackoff {
  private streak = 0;

  constructor(private readonly policy: BackoffPolicy = defaultBackoffPolicy) {}

  /** Called when the process died after running for `uptimeMs`: which restart this is and when. */
  next(uptimeMs: number): RestartPlan {
    if (uptimeMs >= this.policy.resetAfterMs) this.streak = 0;
    this.streak += 1;
    return { attempt: this.streak, delayMs: backoffDelay(this.policy, this.streak) };
  }
}
