// Push-back on a connection that keeps sending past its rate limit. Each refusal is cheap, but a
// client answering every -32001 with another request makes the gateway spend its CPU on refusals,
// which other tenants feel. Each connection keeps a score of its recent rate refusals, decaying
// with a one-second time constant (so a steady stream of r refusals a second holds it near r).
// Admitted requests do not clear it: a flood spread over many connections of one tenant has each of
// them admitted now and then, between many refusals. From REFUSAL_SCORE_TO_PAUSE on, each refusal
// stops reading the connection's socket (TCP holds the client's next frames back meanwhile) for a
// time that grows with the score, MIN_PAUSE_MS at the threshold, or the bucket's retry time when that
// is longer, never past MAX_PAUSE_MS (well inside the ping interval, so a paused client is not taken
// for dead). A client that backs off as told never meets this; one that does not is read about as
// fast as it can be served.
export const REFUSAL_SCORE_TO_PAUSE = 8;
export const MIN_PAUSE_MS = 1_000;
export const MAX_PAUSE_MS = 2_000;
const DECAY_MS = 1_000;

export class RefusalThrottle {
  private score = 0;
  private scoredAt = 0;

  /** A rate refusal at `nowMs`: how long to stop reading the connection (ms), or undefined to keep reading. */
  refused(retryAfterMs: number, nowMs: number = performance.now()): number | undefined {
    this.score = this.score * Math.exp(-Math.max(0, nowMs - this.scoredAt) / DECAY_MS) + 1;
    this.scoredAt = nowMs;
    if (this.score < REFUSAL_SCORE_TO_PAUSE) return undefined;
    const pauseMs = Math.max(retryAfterMs, (MIN_PAUSE_MS * this.score) / REFUSAL_SCORE_TO_PAUSE);
    return Math.min(MAX_PAUSE_MS, pauseMs);
  }
}
