import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { REFUSALS_BEFORE_PAUSE, RefusalThrottle } from "./refusal-throttle.js";

describe("refusal throttle", () => {
  test("only a run of refusals pauses reading, for the retry time bounded to 250 ms – 1 s", () => {
    const throttle = new RefusalThrottle();
    for (let index = 1; index < REFUSALS_BEFORE_PAUSE; index++) assert.equal(throttle.refused(5), undefined);
    assert.equal(throttle.refused(5), 250);
    assert.equal(throttle.refused(600), 600);
    assert.equal(throttle.refused(5_000), 1_000);
  });

  test("an admitted request starts the count again", () => {
    const throttle = new RefusalThrottle();
    for (let index = 1; index < REFUSALS_BEFORE_PAUSE; index++) throttle.refused(5);
    throttle.admitted();
    assert.equal(throttle.refused(5), undefined);
  });
});
