import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelay, defaultBackoffPolicy, RestartBackoff } from "./backoff.js";

describe("restart back-off", () => {
  it("doubles from 250 ms and stops at 10 s by default", () => {
    const delays = Array.from({ length: 9 }, (_, index) => backoffDelay(defaultBackoffPolicy, index + 1));
    assert.deepEqual(delays, [250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it("counts a streak of early deaths and grows the delay with it", () => {
    const backoff = new RestartBackoff();
    assert.deepEqual(backoff.next(100), { attempt: 1, delayMs: 250 });
    assert.deepEqual(backoff.next(100), { attempt: 2, delayMs: 500 });
    assert.deepEqual(backoff.next(29_999), { attempt: 3, delayMs: 1_000 });
  });

  it("starts over after a run that lasted long enough", () => {
    const backoff = new RestartBackoff();
    for (let index = 0; index < 6; index++) backoff.next(0);
    assert.deepEqual(backoff.next(30_000), { attempt: 1, delayMs: 250 });
    assert.deepEqual(backoff.next(10), { attempt: 2, delayMs: 500 });
  });

  it("follows a custom policy", () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 3, resetAfterMs: 5_000 };
    const backoff = new RestartBackoff(policy);
    assert.deepEqual(
      [0, 0, 0, 0].map(() => backoff.next(0).delayMs),
      [100, 300, 900, 1_000],
    );
    assert.equal(backoffDelay(policy, 0), 100, "attempt numbers below 1 get the first delay");
  });
});
