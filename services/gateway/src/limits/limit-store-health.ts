// Whether the shared limits in Redis can be used. The first failed or slow limit command switches
// the gateway to local per-gateway bounds (logged once, as a warning); from then on no request waits
// on Redis, and a probe every second switches back once Redis answers again (logged once, as info).
import type { Logger, Redis } from "@switchyard/runtime";

export class LimitStoreHealth {
  private isDown = false;
  private probe: NodeJS.Timeout | undefined;
  private readonly recoveryListeners: (() => void)[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly probeIntervalMs = 1_000,
  ) {
    // ioredis reports connection errors as events; the commands that fail are what count here.
    redis.on("error", () => {});
  }

  get isDegraded(): boolean {
    return this.isDown;
  }

  /** Called once Redis is usable again (e.g. to put locally admitted connections back into it). */
  onRecovered(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  noteFailure(error: unknown): void {
    if (this.isDown) return;
    this.isDown = true;
    this.log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "rate limits degraded: Redis unavailable; enforcing local per-gateway bounds",
    );
    this.probe = setInterval(() => void this.check(), this.probeIntervalMs);
    this.probe.unref();
  }

  private async check(): Promise<void> {
    try {
      await this.redis.ping();
    } catch {
      return;
    }
    if (!this.isDown) return;
    this.isDown = false;
    clearInterval(this.probe);
    this.probe = undefined;
    this.log.info("rate limits restored: Redis reachable; enforcing shared limits again");
    for (const listener of this.recoveryListeners) listener();
  }

  stop(): void {
    clearInterval(this.probe);
  }
}
