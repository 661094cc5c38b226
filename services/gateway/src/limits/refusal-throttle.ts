// Push-back on a connection that keeps sending past its rate limit. Each refusal is cheap, but a
// client answering every -32001 with another request makes the gateway spend its CPU on refusals,
// which other tenants feel. After REFUSALS_BEFORE_PAUSE rate refusals in a row, the connection's
// socket is not read for a while (TCP holds the client's next frames back); an admitted request
// resets the count. A client that backs off as told never meets this.
export const REFUSALS_BEFORE_PAUSE = 16;
const MIN_PAUSE_MS = 250;
const MAX_PAUSE_MS = 1_000;

export class RefusalThrottle {
  private consecutive = 0;

  /** A rate refusal: how long to stop reading the connection (ms), or undefined to keep reading. */
  refused(retryAfterMs: number): number | undefined {
    this.consecutive++;
    if (this.consecutive < REFUSALS_BEFORE_PAUSE) return undefined;
    return Math.min(MAX_PAUSE_MS, Math.max(MIN_PAUSE_MS, retryAfterMs));
  }

  admitted(): void {
    this.consecutive = 0;
  }
}
