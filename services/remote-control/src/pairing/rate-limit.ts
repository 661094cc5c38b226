// Fixed-window rate limits in Redis (pairing codes created, pairing claims attempted), per tenant.
// Redis being down fails closed: a pairing step is refused with "retry later" rather than let
// guesses at manual codes through unmetered.
import type { Redis } from "@switchyard/runtime";

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

// INCR, start the window on the first hit, and report the count and the window's remaining time.
const TAKE_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Counts one event against `limit` per `windowMs` for `bucket`; throws if Redis is unavailable. */
  async take(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    const key = `${this.prefix}:rc:rate:${bucket}`;
    const [count, ttl] = (await this.redis.eval(TAKE_SCRIPT, 1, key, String(windowMs))) as [number, number];
    return count <= limit ? { allowed: true } : { allowed: false, retryAfterMs: Math.max(1, ttl) };
  }
}
