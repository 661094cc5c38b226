// Request-rate admission: one token from the tenant's bucket and one from the token's, both or
// neither, in one Redis script shared by every gateway. Two things keep Redis off most requests:
//  - a busy principal takes tokens ahead of need, as many as it sent in the current second, up to a
//    batch (1% of the smaller burst, at least 1); a newcomer takes one
//    and spends them in process for up to RESERVE_TTL_MS; tokens are only ever taken ahead of need,
//    so a limit is never exceeded (a principal may be refused up to one batch early per gateway);
//  - a refusal is remembered until its bucket can hold a token again, so a tenant flooding past its
//    limit costs no Redis round trip per refused request.
// While Redis is unavailable the same buckets are kept in process (per gateway).
import type { OverloadLimit } from "@switchyard/protocol";
import type { Principal } from "../auth/authenticator.js";
import type { LimitKeys } from "./keys.js";
import { tokenKeyOf } from "./keys.js";
import type { LimitStoreHealth } from "./limit-store-health.js";
import { LocalTokenBuckets } from "./local-buckets.js";
import type { LimitRedis } from "./scripts.js";
import type { LimitBook, Limits } from "./settings.js";

export type RateRefusal = Extract<OverloadLimit, { kind: "requestRate" }>;
/** Undefined: admitted. Synchronous when decided without Redis. */
export type RateAdmission = RateRefusal | undefined | Promise<RateRefusal | undefined>;

const SCOPES = ["tenant", "token"] as const;
/** Past this many remembered refusals or reserves the expired ones are swept (a bound, not a tuning knob). */
const MAX_REMEMBERED = 10_000;
/** Reserved tokens not spent within this are dropped (taken, never returned: the limit errs low). */
const RESERVE_TTL_MS = 1_000;

/** Tokens to take per Redis call: 1% of the smaller burst, at least 1 (exact for small limits). */
const batchOf = (limits: Limits) => Math.max(1, Math.floor(Math.min(limits.requestBurst, limits.tokenRequestBurst) / 100));

interface Reserve {
  tokens: number;
  expiresAt: number;
}

export class RequestRateLimiter {
  private readonly local = new LocalTokenBuckets();
  /** Redis key of an empty bucket → when it holds a token again (ms). */
  private readonly emptyUntil = new Map<string, number>();
  /** Token bucket key (one per principal) → tokens taken from both its buckets and not yet spent. */
  private readonly reserves = new Map<string, Reserve>();
  /** Token bucket key → the batch fetch in flight for that principal (settles, never rejects). */
  private readonly fetching = new Map<string, Promise<void>>();
  /** Token bucket key → that principal's requests in the current window (a batch follows demand). */
  private readonly demand = new Map<string, { since: number; requests: number }>();

  constructor(
    private readonly redis: LimitRedis,
    private readonly health: LimitStoreHealth,
    private readonly keys: LimitKeys,
    private readonly book: LimitBook,
  ) {}

  admit(principal: Principal): RateAdmission {
    const limits = this.book.of(principal.tenant);
    const bucketKeys = [this.keys.tenantRate(principal.tenant), this.keys.tokenRate(tokenKeyOf(principal))] as const;
    this.noteRequest(bucketKeys[1], Date.now());
    const decided = this.decideWithoutRedis(limits, bucketKeys);
    if (decided !== "ask") return decided;
    return this.admitThroughRedis(limits, bucketKeys);
  }

  /** A remembered refusal, a reserved token, the local bound while degraded, or "ask" Redis. */
  private decideWithoutRedis(limits: Limits, bucketKeys: readonly [string, string]): RateRefusal | undefined | "ask" {
    const now = Date.now();
    for (const [index, key] of bucketKeys.entries()) {
      const until = this.emptyUntil.get(key);
      if (until === undefined) continue;
      if (until > now) return refusal(limits, index, until - now);
      this.emptyUntil.delete(key);
    }
    if (this.health.isDegraded) return this.admitLocally(limits, bucketKeys);
    const reserve = this.reserves.get(bucketKeys[1]);
    if (reserve && reserve.tokens > 0 && reserve.expiresAt > now) {
      reserve.tokens--;
      return undefined;
    }
    return "ask";
  }

  /**
   * One batch fetch in flight per principal: requests arriving meanwhile wait for it and spend
   * from the reserve it fills (each taking its own batch would drain the shared buckets in Redis
   * with tokens nobody spends).
   */
  private async admitThroughRedis(limits: Limits, bucketKeys: readonly [string, string]): Promise<RateRefusal | undefined> {
    for (let inFlight = this.fetching.get(bucketKeys[1]); inFlight; inFlight = this.fetching.get(bucketKeys[1])) {
      await inFlight;
      const decided = this.decideWithoutRedis(limits, bucketKeys);
      if (decided !== "ask") return decided;
    }
    const fetched = this.fetchBatch(limits, bucketKeys);
    const settled = fetched.then(() => {
      this.fetching.delete(bucketKeys[1]);
    });
    this.fetching.set(bucketKeys[1], settled);
    return fetched;
  }

  /**
   * Takes tokens from both buckets in Redis: one for this request and, for a principal sending
   * several, a reserve for its next ones: as many as it sent in the current window, up to a batch.
   * A crowd of new users (a gateway's clients reconnecting) thus takes about what it spends; fixed
   * batches would each leave the tenant's bucket drained by tokens that expire unspent.
   */
  private fetchBatch(limits: Limits, bucketKeys: readonly [string, string]): Promise<RateRefusal | undefined> {
    const recent = this.demand.get(bucketKeys[1])?.requests ?? 1;
    const take = Math.max(1, Math.min(batchOf(limits), recent));
    return this.redis
      .takeRequestTokens(
        bucketKeys[0],
        bucketKeys[1],
        limits.requestsPerS,
        limits.requestBurst,
        limits.tokenRequestsPerS,
        limits.tokenRequestBurst,
        take,
      )
      .then(
        ([admitted, emptyBucketOrTaken, retryAfterMs]) => {
          if (admitted === 1) {
            const spare = (emptyBucketOrTaken ?? 1) - 1;
            if (spare > 0) this.keepReserve(bucketKeys[1], spare);
            return undefined;
          }
          const index = (emptyBucketOrTaken ?? 1) - 1;
          this.remember(bucketKeys[index] as string, Date.now() + (retryAfterMs ?? 0));
          return refusal(limits, index, retryAfterMs ?? 0);
        },
        (error: unknown) => {
          this.health.noteFailure(error);
          return this.admitLocally(limits, bucketKeys);
        },
      );
  }

  private admitLocally(limits: Limits, bucketKeys: readonly [string, string]): RateRefusal | undefined {
    const empty = this.local.take([
      { key: bucketKeys[0], rate: { perSecond: limits.requestsPerS, burst: limits.requestBurst } },
      { key: bucketKeys[1], rate: { perSecond: limits.tokenRequestsPerS, burst: limits.tokenRequestBurst } },
    ]);
    return empty && refusal(limits, empty.index, empty.retryAfterMs);
  }

  private remember(key: string, until: number): void {
    if (this.emptyUntil.size >= MAX_REMEMBERED) {
      const now = Date.now();
      for (const [remembered, at] of this.emptyUntil) if (at <= now) this.emptyUntil.delete(remembered);
      if (this.emptyUntil.size >= MAX_REMEMBERED) return;
    }
    this.emptyUntil.set(key, until);
  }

  private noteRequest(key: string, at: number): void {
    const current = this.demand.get(key);
    if (current && at - current.since < RESERVE_TTL_MS) {
      current.requests++;
      return;
    }
    if (!current && this.demand.size >= MAX_REMEMBERED) {
      for (const [known, entry] of this.demand) if (at - entry.since >= RESERVE_TTL_MS) this.demand.delete(known);
      if (this.demand.size >= MAX_REMEMBERED) return;
    }
    this.demand.set(key, { since: at, requests: 1 });
  }

  private keepReserve(key: string, tokens: number): void {
    const now = Date.now();
    const current = this.reserves.get(key);
    if (current && current.expiresAt > now) {
      current.tokens += tokens;
      return;
    }
    if (!current && this.reserves.size >= MAX_REMEMBERED) {
      for (const [reserved, entry] of this.reserves) if (entry.expiresAt <= now) this.reserves.delete(reserved);
      if (this.reserves.size >= MAX_REMEMBERED) return;
    }
    this.reserves.set(key, { tokens, expiresAt: now + RESERVE_TTL_MS });
  }
}

function refusal(limits: Limits, index: number, retryAfterMs: number): RateRefusal {
  const scope = SCOPES[index] ?? "token";
  return scope === "tenant"
    ? { kind: "requestRate", scope, requestsPerS: limits.requestsPerS, burst: limits.requestBurst, retryAfterMs }
    : { kind: "requestRate", scope, requestsPerS: limits.tokenRequestsPerS, burst: limits.tokenRequestBurst, retryAfterMs };
}
