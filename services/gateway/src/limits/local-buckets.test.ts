import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LocalTokenBuckets } from "./local-buckets.js";

describe("local token buckets", () => {
  const tenant = { perSecond: 10, burst: 3 };
  const token = { perSecond: 2, burst: 1 };

  test("a burst is served, then the empty bucket refuses with the time until its next token", () => {
    let now = 0;
    const buckets = new LocalTokenBuckets(() => now);
    for (let index = 0; index < 3; index++) assert.equal(buckets.take([{ key: "t:a", rate: tenant }]), undefined);
    assert.deepEqual(buckets.take([{ key: "t:a", rate: tenant }]), { index: 0, retryAfterMs: 100 });
    now = 100;
    assert.equal(buckets.take([{ key: "t:a", rate: tenant }]), undefined, "refilled at 10/s");
    assert.deepEqual(buckets.take([{ key: "t:a", rate: tenant }]), { index: 0, retryAfterMs: 100 });
  });

  test("refill never exceeds the burst", () => {
    let now = 0;
    const buckets = new LocalTokenBuckets(() => now);
    buckets.take([{ key: "t:a", rate: tenant }]);
    now = 60_000;
    for (let index = 0; index < 3; index++) assert.equal(buckets.take([{ key: "t:a", rate: tenant }]), undefined);
    assert.ok(buckets.take([{ key: "t:a", rate: tenant }]));
  });

  test("both buckets or neither: an empty token bucket does not drain its tenant's", () => {
    let now = 0;
    const buckets = new LocalTokenBuckets(() => now);
    const both = [
      { key: "t:a", rate: tenant },
      { key: "k:1", rate: token },
    ];
    assert.equal(buckets.take(both), undefined);
    assert.deepEqual(buckets.take(both), { index: 1, retryAfterMs: 500 });
    assert.deepEqual(buckets.take(both), { index: 1, retryAfterMs: 500 });
    // The tenant bucket paid once: two of its three tokens are left for another token.
    assert.equal(
      buckets.take([
        { key: "t:a", rate: tenant },
        { key: "k:2", rate: token },
      ]),
      undefined,
    );
    assert.equal(
      buckets.take([
        { key: "t:a", rate: tenant },
        { key: "k:3", rate: token },
      ]),
      undefined,
    );
    assert.deepEqual(
      buckets.take([
        { key: "t:a", rate: tenant },
        { key: "k:4", rate: token },
      ]),
      { index: 0, retryAfterMs: 100 },
    );
    now = 500;
    assert.equal(buckets.take(both), undefined);
  });

  test("keys are bounded: old buckets are forgotten first", () => {
    let now = 0;
    const buckets = new LocalTokenBuckets(() => now, 2);
    buckets.take([{ key: "a", rate: token }]);
    now = 61_000;
    buckets.take([{ key: "b", rate: token }]);
    buckets.take([{ key: "c", rate: token }]);
    assert.equal(buckets.size, 2);
    buckets.take([{ key: "d", rate: token }]);
    assert.equal(buckets.size, 2);
  });
});
