import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { busSubjects } from "@switchyard/protocol";
import { ReadCache } from "./read-cache.js";

const subjects = busSubjects("sy.test");
const THREAD = "019a0000-0000-7000-8000-000000000001";
const OTHER = "019a0000-0000-7000-8000-000000000002";

function cacheWith(options: Partial<ConstructorParameters<typeof ReadCache>[0]> = {}) {
  let now = 1_000;
  const cache = new ReadCache({ maxEntries: 100, maxBytes: 1_000_000, ttlMs: 5_000, now: () => now, ...options });
  return { cache, advance: (ms: number) => (now += ms) };
}

/** A fill from start to finish: what a miss that got `json` back does. */
function fill(cache: ReadCache, key: string, json: string) {
  cache.complete(cache.begin(key), json);
}

describe("read cache (thread/read, config/read)", () => {
  test("a completed fill is served until the thread's change notice; both shapes are dropped by it", () => {
    const { cache } = cacheWith();
    const plain = ReadCache.threadKey("acme", { threadId: THREAD });
    const withTurns = ReadCache.threadKey("acme", { threadId: THREAD, includeTurns: true });
    const other = ReadCache.threadKey("acme", { threadId: OTHER });
    assert.equal(cache.get(plain), undefined);
    fill(cache, plain, '{"thread":1}');
    fill(cache, withTurns, '{"thread":2}');
    fill(cache, other, '{"thread":3}');
    assert.equal(cache.get(plain), '{"thread":1}');
    assert.equal(cache.get(withTurns), '{"thread":2}');
    cache.threadChanged(subjects.threadChanged("acme", THREAD));
    assert.equal(cache.get(plain), undefined);
    assert.equal(cache.get(withTurns), undefined);
    assert.equal(cache.get(other), '{"thread":3}', "another thread's answer stays");
    assert.deepEqual(cache.snapshot(), { hits: 3, misses: 3, invalidations: 1, entries: 1, bytes: 12 });
  });

  test("an answer whose thread changed while it was being read is passed on but not kept", () => {
    const { cache } = cacheWith();
    const key = ReadCache.threadKey("acme", { threadId: THREAD });
    const token = cache.begin(key);
    cache.threadChanged(subjects.threadChanged("acme", THREAD));
    cache.complete(token, '{"stale":true}');
    assert.equal(cache.get(key), undefined);
    // A fill begun after the notice is kept.
    fill(cache, key, '{"fresh":true}');
    assert.equal(cache.get(key), '{"fresh":true}');
  });

  test("only the latest fill of a key is kept; an abandoned one keeps nothing", () => {
    const { cache } = cacheWith();
    const key = ReadCache.threadKey("acme", { threadId: THREAD });
    const first = cache.begin(key);
    const second = cache.begin(key);
    cache.complete(first, '{"first":true}');
    assert.equal(cache.get(key), undefined);
    cache.abandon(second);
    cache.complete(second, '{"second":true}');
    assert.equal(cache.get(key), undefined);
  });

  test("tenants never share an entry, and tenants with subject-unsafe names match their notices", () => {
    const { cache } = cacheWith();
    const tenant = "acme.eu west";
    fill(cache, ReadCache.threadKey(tenant, { threadId: THREAD }), '{"a":1}');
    assert.equal(cache.get(ReadCache.threadKey("acme", { threadId: THREAD })), undefined);
    assert.equal(cache.get(ReadCache.threadKey(tenant, { threadId: THREAD })), '{"a":1}');
    cache.threadChanged(subjects.threadChanged("acme", THREAD));
    assert.equal(cache.get(ReadCache.threadKey(tenant, { threadId: THREAD })), '{"a":1}', "another tenant's notice");
    cache.threadChanged(subjects.threadChanged(tenant, THREAD));
    assert.equal(cache.get(ReadCache.threadKey(tenant, { threadId: THREAD })), undefined);
  });

  test("losing the bus empties the cache and keeps nothing until it is back; fills begun before are dropped", () => {
    const { cache } = cacheWith();
    const key = ReadCache.threadKey("acme", { threadId: THREAD });
    fill(cache, key, '{"a":1}');
    const before = cache.begin(ReadCache.threadKey("acme", { threadId: OTHER }));
    cache.disconnected();
    assert.equal(cache.get(key), undefined);
    fill(cache, key, '{"during":1}');
    assert.equal(cache.get(key), undefined, "nothing kept while disconnected");
    const during = cache.begin(key);
    cache.reconnected();
    cache.complete(during, '{"during":2}');
    cache.complete(before, '{"before":1}');
    assert.equal(cache.get(key), undefined);
    assert.equal(cache.get(ReadCache.threadKey("acme", { threadId: OTHER })), undefined);
    fill(cache, key, '{"after":1}');
    assert.equal(cache.get(key), '{"after":1}');
  });

  test("entries expire, and the least recently used go first past the count or byte budget", () => {
    const { cache, advance } = cacheWith({ maxEntries: 2, maxBytes: 800 });
    const keys = ["a", "b", "c"].map((tenant) => ReadCache.threadKey(tenant, { threadId: THREAD }));
    const [a, b, c] = keys as [string, string, string];
    fill(cache, a, '"a"');
    fill(cache, b, '"b"');
    assert.equal(cache.get(a), '"a"'); // a is now the most recently used
    fill(cache, c, '"c"');
    assert.equal(cache.get(b), undefined, "b was the least recently used");
    assert.equal(cache.get(a), '"a"');
    advance(5_001);
    assert.equal(cache.get(a), undefined, "expired");
    fill(cache, a, "x".repeat(101));
    assert.equal(cache.get(a), undefined, "larger than an eighth of the byte budget: never kept");
    fill(cache, a, "y".repeat(100));
    assert.equal(cache.get(a), "y".repeat(100));
    assert.ok(cache.snapshot().bytes <= 800);
  });

  test("a config notice drops every config answer of its tenant (any user, cwd or shape) and nothing else", () => {
    const { cache } = cacheWith();
    const alice = ReadCache.configKey("acme", "alice", null);
    const aliceCwd = ReadCache.configKey("acme", "alice", { cwd: "/repo", includeLayers: true });
    const bob = ReadCache.configKey("acme", "bob", {});
    const otherTenant = ReadCache.configKey("globex", "alice", null);
    const thread = ReadCache.threadKey("acme", { threadId: THREAD });
    assert.notEqual(alice, aliceCwd);
    assert.notEqual(alice, otherTenant);
    assert.equal(
      alice,
      ReadCache.configKey("acme", "alice", { cwd: null, includeLayers: false }),
      "absent and default params read alike",
    );
    for (const [index, key] of [alice, aliceCwd, bob, otherTenant, thread].entries()) fill(cache, key, `{"n":${index}}`);
    const inFlight = cache.begin(ReadCache.configKey("acme", "carol", null));
    cache.configChanged(subjects.configChanged("acme"));
    for (const key of [alice, aliceCwd, bob]) assert.equal(cache.get(key), undefined);
    cache.complete(inFlight, '{"stale":true}');
    assert.equal(cache.get(ReadCache.configKey("acme", "carol", null)), undefined, "a fill begun before the notice is not kept");
    assert.equal(cache.get(otherTenant), '{"n":3}', "another tenant's config stays");
    assert.equal(cache.get(thread), '{"n":4}', "the tenant's thread answers stay");
    cache.threadChanged(subjects.threadChanged("acme", THREAD));
    fill(cache, alice, '{"n":5}');
    assert.equal(cache.get(alice), '{"n":5}', "a thread notice leaves config answers alone");
    assert.deepEqual(cache.stats.config, { hits: 2, misses: 4, invalidations: 1 });
    assert.deepEqual(cache.stats.thread, { hits: 1, misses: 0, invalidations: 1 });
  });

  test("a config reset drops every tenant's config answers and fills, and no thread answer", () => {
    const { cache } = cacheWith();
    const keys = ["acme", "globex"].map((tenant) => ReadCache.configKey(tenant, "u", null));
    const thread = ReadCache.threadKey("acme", { threadId: THREAD });
    for (const key of [...keys, thread]) fill(cache, key, "{}");
    const inFlight = cache.begin(ReadCache.configKey("initech", "u", null));
    cache.configReset();
    cache.complete(inFlight, "{}");
    for (const key of keys) assert.equal(cache.get(key), undefined);
    assert.equal(cache.get(ReadCache.configKey("initech", "u", null)), undefined);
    assert.equal(cache.get(thread), "{}");
    assert.deepEqual(cache.snapshot().entries, 1);
  });

  test("a notice for several threads drops each of them; an unreadable one drops every thread answer of its tenant", () => {
    const { cache } = cacheWith();
    const [a, b, c] = [THREAD, OTHER, "019a0000-0000-7000-8000-000000000003"].map((threadId) =>
      ReadCache.threadKey("acme", { threadId }),
    ) as [string, string, string];
    const elsewhere = ReadCache.threadKey("globex", { threadId: THREAD });
    const config = ReadCache.configKey("acme", "u", null);
    for (const key of [a, b, c, elsewhere, config]) fill(cache, key, "{}");
    cache.threadsChanged(subjects.threadsChanged("acme"), JSON.stringify([THREAD, OTHER]));
    assert.equal(cache.get(a), undefined);
    assert.equal(cache.get(b), undefined);
    assert.equal(cache.get(c), "{}", "a thread the notice does not list stays");
    cache.threadsChanged(subjects.threadsChanged("acme"), "not json");
    assert.equal(cache.get(c), undefined);
    assert.equal(cache.get(elsewhere), "{}", "another tenant's threads stay");
    assert.equal(cache.get(config), "{}", "the tenant's config answers stay");
  });
});
