// The gateway's cache of `thread/read` answers: a hot thread is read without the hop to the thread
// service and Postgres, and stays correct because the thread service announces every committed
// change of a thread (`threadChanged` subject) before it answers the request that made it or
// announces it to clients.
//
// Correctness, in the order things happen:
// - Fill: a miss records a fill token for its key before the request leaves. The answer is stored
//   only if that token is still current when it comes back: a change notice for the thread that
//   arrived in between (the answer may predate the change) drops the token, so the answer is passed
//   on but not kept.
// - Read-your-writes: the writer publishes the notice and then its answer on one NATS connection,
//   and this gateway receives both on one connection, so the notice is handled before the write's
//   answer reaches the client; a read behind the write (per-key ordering) misses. Notifications the
//   thread service emits about a change are published after its notice, so a client acting on one
//   reads the change too.
// - Bus outage: notices sent while this gateway was disconnected are lost, so the whole cache is
//   dropped when the connection goes down and again when it comes back, and answers of fills that
//   began before either are not kept. Nothing is served from the cache while disconnected.
// - Tenancy: the key is the tenant, the thread and the one parameter that shapes the answer; params
//   arrive already validated (unknown fields stripped), and only successful answers are kept.
// - A thread service that died between its commit and its notice: entries also expire (ttlMs),
//   which bounds how long such a lost notice can be felt.
// Entries are kept in least-recently-used order within a count and a byte budget.

import { subjectToken } from "@switchyard/protocol";

export interface ThreadReadCacheOptions {
  maxEntries: number;
  /** Total serialized bytes kept; an answer larger than an eighth of it is never kept. */
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}

interface Entry {
  json: string;
  storedAt: number;
}

/** A fill in flight: the answer is kept only while this token is still the key's current fill. */
export interface FillToken {
  key: string;
  epoch: number;
}

export interface ThreadReadCacheStats {
  hits: number;
  misses: number;
  invalidations: number;
  entries: number;
  bytes: number;
}

const keyFor = (tenantToken: string, threadToken: string, turns: 0 | 1) => `${tenantToken}.${threadToken}.${turns}`;

export class ThreadReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly fills = new Map<string, FillToken>();
  private bytes = 0;
  private epoch = 0;
  private isConnected = true;
  private readonly now: () => number;
  readonly stats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(private readonly options: ThreadReadCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The key of a validated thread/read request of `tenant` (tokens as in the change notice's subject). */
  static keyOf(tenant: string, params: { threadId: string; includeTurns?: boolean | null }): string {
    return keyFor(subjectToken(tenant), subjectToken(params.threadId), params.includeTurns ? 1 : 0);
  }

  /** The serialized answer kept for `key`, or undefined (a miss). */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry || !this.isConnected) {
      this.stats.misses++;
      return undefined;
    }
    if (this.now() - entry.storedAt > this.options.ttlMs) {
      this.drop(key, entry);
      this.stats.misses++;
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.stats.hits++;
    return entry.json;
  }

  /** Records a fill of `key` about to be sent; pass the token to `complete` with its answer. */
  begin(key: string): FillToken {
    const token = { key, epoch: this.epoch };
    this.fills.set(key, token);
    return token;
  }

  /** Keeps a fill's answer unless the thread changed (or the bus dropped) since `begin`. */
  complete(token: FillToken, json: string): void {
    if (this.fills.get(token.key) !== token) return;
    this.fills.delete(token.key);
    if (token.epoch !== this.epoch || !this.isConnected) return;
    if (json.length > this.options.maxBytes / 8) return;
    const prior = this.entries.get(token.key);
    if (prior) this.drop(token.key, prior);
    this.entries.set(token.key, { json, storedAt: this.now() });
    this.bytes += json.length;
    this.evict();
  }

  /** A fill that failed: nothing to keep. */
  abandon(token: FillToken): void {
    if (this.fills.get(token.key) === token) this.fills.delete(token.key);
  }

  /** A change notice arrived (its subject): forget the thread's answers (both shapes) and any fill in flight. */
  changed(subject: string): void {
    const tokens = subject.split(".");
    const tenantToken = tokens[tokens.length - 2];
    const threadToken = tokens[tokens.length - 1];
    if (tenantToken === undefined || threadToken === undefined) return;
    this.stats.invalidations++;
    for (const turns of [0, 1] as const) {
      const key = keyFor(tenantToken, threadToken, turns);
      this.fills.delete(key);
      const entry = this.entries.get(key);
      if (entry) this.drop(key, entry);
    }
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

  snapshot(): ThreadReadCacheStats {
    return { ...this.stats, entries: this.entries.size, bytes: this.bytes };
  }

  private clear(): void {
    this.epoch++;
    this.entries.clear();
    this.fills.clear();
    this.bytes = 0;
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.json.length;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) return;
      this.drop(key, entry);
    }
  }
}
