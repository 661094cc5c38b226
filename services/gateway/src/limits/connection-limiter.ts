// Concurrent-connection admission at the upgrade, per tenant and per token across gateways: each
// live connection is a member of two Redis sorted sets scored by expiry. The gateway renews its
// members every RENEW_INTERVAL_MS for LEASE_MS, so a crashed gateway's connections age out. A
// connection's slot is freed when its socket closes. While Redis is unavailable, this gateway's own
// connections are counted against the same limits (a local bound), and re-added once Redis is back.
import { randomUUID } from "node:crypto";
import type { Principal } from "../auth/authenticator.js";
import type { LimitKeys } from "./keys.js";
import { tokenKeyOf } from "./keys.js";
import type { LimitStoreHealth } from "./limit-store-health.js";
import type { LimitRedis } from "./scripts.js";
import type { LimitBook } from "./settings.js";

export const LEASE_MS = 30_000;
const RENEW_INTERVAL_MS = 10_000;
/** Leases renewed per script call (each is two sorted sets). */
const RENEW_BATCH = 500;

export type ConnectionAdmission =
  | { ok: true; release(): void }
  | { ok: false; scope: "tenant" | "token"; limit: number; retryAfterS: number };

interface Lease {
  tenantSet: string;
  tokenSet: string;
}

export class ConnectionLimiter {
  private readonly leases = new Map<string, Lease>();
  /** Live connections on this gateway per sorted-set key (the local bound's counts). */
  private readonly localCounts = new Map<string, number>();
  private readonly renewal: NodeJS.Timeout;

  constructor(
    private readonly redis: LimitRedis,
    private readonly health: LimitStoreHealth,
    private readonly keys: LimitKeys,
    private readonly book: LimitBook,
  ) {
    this.renewal = setInterval(() => void this.renew(), RENEW_INTERVAL_MS);
    this.renewal.unref();
    health.onRecovered(() => void this.renew());
  }

  async admit(principal: Principal): Promise<ConnectionAdmission> {
    const limits = this.book.of(principal.tenant);
    const lease: Lease = {
      tenantSet: this.keys.tenantConnections(principal.tenant),
      tokenSet: this.keys.tokenConnections(tokenKeyOf(principal)),
    };
    const full = (index: number): ConnectionAdmission => ({
      ok: false,
      scope: index === 0 ? "tenant" : "token",
      limit: index === 0 ? limits.connections : limits.tokenConnections,
      retryAfterS: RENEW_INTERVAL_MS / 1000,
    });
    const id = randomUUID();
    let fullIndex: number | undefined;
    if (!this.health.isDegraded) {
      try {
        const [admitted, fullSet] = await this.redis.admitConnection(
          lease.tenantSet,
          lease.tokenSet,
          id,
          LEASE_MS,
          limits.connections,
          limits.tokenConnections,
        );
        if (admitted !== 1) fullIndex = (fullSet ?? 1) - 1;
      } catch (error) {
        this.health.noteFailure(error);
      }
    }
    if (this.health.isDegraded && fullIndex === undefined) {
      if (this.localCount(lease.tenantSet) >= limits.connections) fullIndex = 0;
      else if (this.localCount(lease.tokenSet) >= limits.tokenConnections) fullIndex = 1;
    }
    if (fullIndex !== undefined) return full(fullIndex);
    this.leases.set(id, lease);
    this.count(lease.tenantSet, 1);
    this.count(lease.tokenSet, 1);
    let isReleased = false;
    return {
      ok: true,
      release: () => {
        if (isReleased) return;
        isReleased = true;
        this.release(id, lease);
      },
    };
  }

  get liveCount(): number {
    return this.leases.size;
  }

  private release(id: string, lease: Lease): void {
    this.leases.delete(id);
    this.count(lease.tenantSet, -1);
    this.count(lease.tokenSet, -1);
    // If this fails the member expires on its own within LEASE_MS.
    if (!this.health.isDegraded)
      this.redis
        .pipeline()
        .zrem(lease.tenantSet, id)
        .zrem(lease.tokenSet, id)
        .exec(() => {});
  }

  private localCount(key: string): number {
    return this.localCounts.get(key) ?? 0;
  }

  private count(key: string, delta: number): void {
    const next = this.localCount(key) + delta;
    if (next > 0) this.localCounts.set(key, next);
    else this.localCounts.delete(key);
  }

  /** Renews every live lease (and re-adds those admitted while Redis was away). */
  private async renew(): Promise<void> {
    if (this.health.isDegraded) return;
    const entries = [...this.leases.entries()];
    for (let start = 0; start < entries.length; start += RENEW_BATCH) {
      const batch = entries.slice(start, start + RENEW_BATCH);
      const keys = batch.flatMap(([, lease]) => [lease.tenantSet, lease.tokenSet]);
      const members = batch.flatMap(([id]) => [id, id]);
      try {
        await this.redis.renewConnections(keys.length, ...keys, LEASE_MS, ...members);
      } catch (error) {
        this.health.noteFailure(error);
        return;
      }
    }
  }

  stop(): void {
    clearInterval(this.renewal);
  }
}
