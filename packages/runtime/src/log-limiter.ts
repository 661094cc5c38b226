// Rate-limited logging for lines a client can cause (bad frames, bad commands): at most `burst` lines
// per key (a connection) per window; the first line after a quiet spell says how many were dropped.
// A flood of bad input costs the operator a few lines, not megabytes.
import type { Logger } from "./logger.js";

interface Window {
  startedAt: number;
  logged: number;
  suppressed: number;
}

export class LogLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: Logger,
    private readonly options: { burst: number; windowMs: number; maxKeys: number } = {
      burst: 5,
      windowMs: 10_000,
      maxKeys: 10_000,
    },
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.options.windowMs) {
      const suppressed = window?.suppressed ?? 0;
      if (!window && this.windows.size >= this.options.maxKeys) this.prune(now);
      window = { startedAt: now, logged: 0, suppressed: 0 };
      this.windows.set(key, window);
      if (suppressed > 0) fields = { ...fields, suppressedSinceLastLine: suppressed };
    }
    if (window.logged >= this.options.burst) {
      window.suppressed++;
      return;
    }
    window.logged++;
    this.log.warn(fields, message);
  }

  /** Forgets a key (its connection closed). */
  forget(key: string): void {
    this.windows.delete(key);
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.options.windowMs) this.windows.delete(key);
    }
    // Still full of live windows: forget the oldest rather than grow without bound.
    if (this.windows.size >= this.options.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }
}
