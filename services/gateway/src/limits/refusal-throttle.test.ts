import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_PAUSE_MS, MIN_PAUSE_MS, REFUSAL_SCORE_TO_PAUSE, RefusalThrottle } from "./refusal-throttle.js";

/** Refusals every `everyMs` from `fromMs`: the pauses asked for, in order (undefined: keep reading). */
function refuse(throttle: RefusalThrottle, count: number, everyMs: number, fromMs = 0, retryAfterMs = 5) {
  return Array.from({ length: count }, (_, index) => throttle.refused(retryAfterMs, fromMs + index * everyMs));
}

describe("refusal throttle", () => {
  test("a burst of refusals pauses reading once the score reaches the threshold, for at least a second", () => {
    const pauses = refuse(new RefusalThrottle(), REFUSAL_SCORE_TO_PAUSE + 2, 1);
    const first = pauses.findIndex((pause) => pause !== undefined);
    // Refusals 1 ms apart barely decay: the threshold's refusal or the one after is the first to pause.
    assert.ok(first === REFUSAL_SCORE_TO_PAUSE - 1 || first === REFUSAL_SCORE_TO_PAUSE, `first pause at index ${first}`);
    for (const pause of pauses.slice(first)) assert.ok(pause !== undefined && pause >= MIN_PAUSE_MS && pause <= MAX_PAUSE_MS);
  });

  test("a client that backs off as told (a few refusals a second) is never paused", () => {
    // Five refusals a second, for a minute: the score settles near five, under the threshold.
    assert.deepEqual(refuse(new RefusalThrottle(), 300, 200), Array(300).fill(undefined));
  });

  test("admitted requests between refusals do not spare a flood: a steady 20 refusals a second pauses", () => {
    // A flood spread over a tenant's connections: each is admitted now and then, refused 20 times a second.
    const pauses = refuse(new RefusalThrottle(), 40, 50);
    assert.ok(
      pauses.some((pause) => pause !== undefined),
      "paused",
    );
  });

  test("the pause grows with the score and stays within its bounds; a longer retry time is kept", () => {
    const throttle = new RefusalThrottle();
    const pauses = refuse(throttle, 200, 0).filter((pause): pause is number => pause !== undefined);
    assert.equal(pauses[0], MIN_PAUSE_MS);
    assert.ok(
      pauses.every((pause, index) => index === 0 || pause >= (pauses[index - 1] as number)),
      "never shrinks",
    );
    assert.equal(pauses.at(-1), MAX_PAUSE_MS);
    const patient = new RefusalThrottle();
    const withRetry = refuse(patient, REFUSAL_SCORE_TO_PAUSE, 0, 0, 1_500).at(-1);
    assert.equal(withRetry, 1_500);
  });

  test("the score fades: after a quiet spell the next refusals do not pause", () => {
    const throttle = new RefusalThrottle();
    assert.ok(refuse(throttle, REFUSAL_SCORE_TO_PAUSE, 0).at(-1) !== undefined, "paused at first");
    // Five seconds later the score is under 1% of what it was.
    assert.deepEqual(refuse(throttle, 3, 0, 5_000), [undefined, undefined, undefined]);
  });
});
