// In-process token buckets, one per key (a tenant or a token): the local bound that holds while
// Redis is unavailable. Same rates as the shared buckets, but per gateway. Full buckets carry no
// information, so they are forgotten when the map grows past `maxKeys`.
export interface BucketRate {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

export class LocalTokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** The bucket's level after refilling up to now. */
  private refill(key: string, rate: BucketRate): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.forgetFull(now);
      bucket = { tokens: rate.burst, updatedAtMs: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsedMs = Math.max(0, now - bucket.updatedAtMs);
    bucket.tokens = Math.min(rate.burst, bucket.tokens + (elapsedMs * rate.perSecond) / 1000);
    bucket.updatedAtMs = now;
    return bucket;
  }

  /**
   * Takes one token from every bucket named, or from none: undefined when taken, else the index of
   * the first bucket that was empty and how long until it holds a token.
   */
  take(entries: { key: string; rate: BucketRate }[]): { index: number; retryAfterMs: number } | undefined {
    const buckets = entries.map((entry) => this.refill(entry.key, entry.rate));
    for (const [index, bucket] of buckets.entries()) {
      if (bucket.tokens < 1) {
        const perSecond = (entries[index] as { rate: BucketRate }).rate.perSecond;
        return { index, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / perSecond) };
      }
    }
    for (const bucket of buckets) bucket.tokens -= 1;
    return undefined;
  }

  get size(): number {
    return this.buckets.size;
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      // A bucket untouched for a minute has refilled at any sane rate; dropping it costs nothing.
      if (now - bucket.updatedAtMs >= 60_000) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
