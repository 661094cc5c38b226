// The gateway's cache of hot read answers — `thread/read` and `config/read` — served without the hop
// to their service and Postgres, and kept correct by change notices: the thread service announces
// every committed change of a thread (`threadChanged`), the config service every committed change
// of a tenant's config (`configChanged`: any write bumps the tenant's config generation, which is
// what a config/read answer depends on), each before it answers the request that made the change
// or announces it to clients.
//
// Entries belong to a scope — one thread of a tenant, or one tenant's config — and a notice drops
// every entry and fill of its scope. Correctness, in the order things happen:
// - Fill: a miss records a fill token for its key before the request leaves. The answer is stored
//   only if that token is still current when it comes back: a change notice for its scope that
//   arrived in between (the answer may predate the change) drops the token, so the answer is passed
//   on but not kept.
// - Read-your-writes: the writer publishes the notice and then its answer on one NATS connection,
//   and this gateway receives both on one connection, so the notice is handled before the write's
//   answer reaches the client; a read behind the write (per-key ordering) misses. Notifications a
//   service emits about a change are published after its notice, so a client acting on one reads
//   the change too.
// - Bus outage: notices sent while this gateway was disconnected are lost, so the whole cache is
//   dropped when the connection goes down and again when it comes back, and answers of fills that
//   began before either are not kept. Nothing is served from the cache while disconnected.
// - Tenancy: the key is the scope (tenant-qualified) plus what else shapes the answer (the thread
//   read's `includeTurns`; the config read's user, cwd and `includeLayers`); params arrive already
//   validated (unknown fields stripped), and only successful answers are kept.
// - A service that died between its commit and its notice: entries also expire (ttlMs), which
//   bounds how long such a lost notice can be felt.
// Entries are kept in least-recently-used order within a count and a byte budget shared by both kinds.

import { subjectToken } from "@switchyard/protocol";

export interface ReadCacheOptions {
  maxEntries: number;
  /** Total serialized bytes kept; an answer larger than an eighth of it is never kept. */
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}

/** What a cached answer answers. */
export type ReadKind = "thread" | "config";
export const READ_KINDS: readonly ReadKind[] = ["thread", "config"];

interface Entry {
  json: string;
  storedAt: number;
}

/** A fill in flight: the answer is kept only while this token is still the key's current fill. */
export interface FillToken {
  key: string;
  epoch: number;
}

export interface ReadCacheLookups {
  hits: number;
  misses: number;
  invalidations: number;
}

export interface ReadCacheStats extends ReadCacheLookups {
  entries: number;
  bytes: number;
}

const THREAD_SCOPE = "t";
const CONFIG_SCOPE = "c";
const threadScope = (tenantToken: string, threadToken: string) => `${THREAD_SCOPE}.${tenantToken}.${threadToken}`;
const configScope = (tenantToken: string) => `${CONFIG_SCOPE}.${tenantToken}`;
const scopeOf = (key: string) => key.slice(0, key.indexOf("|"));
const kindOf = (key: string): ReadKind => (key.startsWith(THREAD_SCOPE) ? "thread" : "config");

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly fills = new Map<string, FillToken>();
  /** Every key with an entry or a fill, by scope: what a notice drops. */
  private readonly scopes = new Map<string, Set<string>>();
  private bytes = 0;
  private epoch = 0;
  private isConnected = true;
  private readonly now: () => number;
  readonly stats: Record<ReadKind, ReadCacheLookups> = {
    thread: { hits: 0, misses: 0, invalidations: 0 },
    config: { hits: 0, misses: 0, invalidations: 0 },
  };

  constructor(private readonly options: ReadCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The key of a validated thread/read request of `tenant` (tokens as in the change notice's subject). */
  static threadKey(tenant: string, params: { threadId: string; includeTurns?: boolean | null }): string {
    return `${threadScope(subjectToken(tenant), subjectToken(params.threadId))}|${params.includeTurns ? 1 : 0}`;
  }

  /** The key of a validated config/read request of `subject` in `tenant`. */
  static configKey(
    tenant: string,
    subject: string,
    params: { cwd?: string | null; includeLayers?: boolean | null } | null,
  ): string {
    return `${configScope(subjectToken(tenant))}|${JSON.stringify([subject, params?.cwd ?? null, params?.includeLayers === true])}`;
  }

  /** The serialized answer kept for `key`, or undefined (a miss). */
  get(key: string): string | undefined {
    const stats = this.stats[kindOf(key)];
    const entry = this.entries.get(key);
    if (!entry || !this.isConnected) {
      stats.misses++;
      return undefined;
    }
    if (this.now() - entry.storedAt > this.options.ttlMs) {
      this.drop(key, entry);
      stats.misses++;
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    stats.hits++;
    return entry.json;
  }

  /** Records a fill of `key` about to be sent; pass the token to `complete` with its answer. */
  begin(key: string): FillToken {
    const token = { key, epoch: this.epoch };
    this.fills.set(key, token);
    this.track(key);
    return token;
  }

  /** Keeps a fill's answer unless its scope changed (or the bus dropped) since `begin`. */
  complete(token: FillToken, json: string): void {
    if (this.fills.get(token.key) !== token) return;
    this.fills.delete(token.key);
    if (token.epoch !== this.epoch || !this.isConnected || json.length > this.options.maxBytes / 8) {
      this.untrack(token.key);
      return;
    }
    const prior = this.entries.get(token.key);
    if (prior) this.drop(token.key, prior);
    this.entries.set(token.key, { json, storedAt: this.now() });
    this.track(token.key);
    this.bytes += json.length;
    this.evict();
  }

  /** A fill that failed: nothing to keep. */
  abandon(token: FillToken): void {
    if (this.fills.get(token.key) !== token) return;
    this.fills.delete(token.key);
    this.untrack(token.key);
  }

  /** A thread change notice arrived (its subject, `….chg.<tenant>.<thread>`): forget the thread's answers and fills. */
  threadChanged(subject: string): void {
    const tokens = subject.split(".");
    const tenantToken = tokens[tokens.length - 2];
    const threadToken = tokens[tokens.length - 1];
    if (tenantToken === undefined || threadToken === undefined) return;
    this.invalidate(threadScope(tenantToken, threadToken), "thread");
  }

  /** A notice for several threads of a tenant arrived (`….chgs.<tenant>`, a JSON array of thread ids). */
  threadsChanged(subject: string, body: string): void {
    const tenantToken = subject.slice(subject.lastIndexOf(".") + 1);
    let ids: unknown;
    try {
      ids = JSON.parse(body);
    } catch {
      ids = undefined;
    }
    if (!tenantToken || !Array.isArray(ids)) {
      // Unreadable: which threads changed is unknown, so none of the tenant's answers can be trusted.
      this.invalidateTenantThreads(tenantToken);
      return;
    }
    for (const id of ids) if (typeof id === "string") this.invalidate(threadScope(tenantToken, subjectToken(id)), "thread");
  }

  /** A config change notice arrived (its subject, `….cfgchg.<tenant>`): forget the tenant's config answers and fills. */
  configChanged(subject: string): void {
    const tenantToken = subject.slice(subject.lastIndexOf(".") + 1);
    if (tenantToken) this.invalidate(configScope(tenantToken), "config");
  }

  /** Config may have changed anywhere (notices could have been missed): forget every config answer and fill. */
  configReset(): void {
    this.stats.config.invalidations++;
    for (const scope of [...this.scopes.keys()]) if (scope.startsWith(CONFIG_SCOPE)) this.dropScope(scope);
  }

  /** The bus connection went down: forget everything and keep nothing until it is back. */
  disconnected(): void {
    this.isConnected = false;
    this.clear();
  }

  /** The bus connection is back: notices may have been missed meanwhile, so start empty. */
  reconnected(): void {
    this.isConnected = true;
    this.clear();
  }

  /** Lookups of both kinds together, with what is kept now. */
  snapshot(): ReadCacheStats {
    const total = { hits: 0, misses: 0, invalidations: 0 };
    for (const kind of READ_KINDS) {
      total.hits += this.stats[kind].hits;
      total.misses += this.stats[kind].misses;
      total.invalidations += this.stats[kind].invalidations;
    }
    return { ...total, entries: this.entries.size, bytes: this.bytes };
  }

  private invalidateTenantThreads(tenantToken: string): void {
    this.stats.thread.invalidations++;
    const prefix = `${THREAD_SCOPE}.${tenantToken}.`;
    for (const scope of [...this.scopes.keys()]) if (scope.startsWith(prefix)) this.dropScope(scope);
  }

  private invalidate(scope: string, kind: ReadKind): void {
    this.stats[kind].invalidations++;
    this.dropScope(scope);
  }

  private dropScope(scope: string): void {
    const keys = this.scopes.get(scope);
    if (!keys) return;
    this.scopes.delete(scope);
    for (const key of keys) {
      this.fills.delete(key);
      const entry = this.entries.get(key);
      if (entry) {
        this.entries.delete(key);
        this.bytes -= entry.json.length;
      }
    }
  }

  private track(key: string): void {
    const scope = scopeOf(key);
    let keys = this.scopes.get(scope);
    if (!keys) {
      keys = new Set();
      this.scopes.set(scope, keys);
    }
    keys.add(key);
  }

  /** Forgets `key` in its scope once it has neither an entry nor a fill. */
  private untrack(key: string): void {
    if (this.entries.has(key) || this.fills.has(key)) return;
    const scope = scopeOf(key);
    const keys = this.scopes.get(scope);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.scopes.delete(scope);
  }

  private clear(): void {
    this.epoch++;
    this.entries.clear();
    this.fills.clear();
    this.scopes.clear();
    this.bytes = 0;
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.json.length;
    this.untrack(key);
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) return;
      this.drop(key, entry);
    }
  }
}
