import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ReceiveWindow } from "./receive-window.js";

describe("receive window (replay and de-duplication)", () => {
  test("each seq is forwarded once; a replay of a delivered one is re-acknowledged, of an in-flight one dropped", () => {
    const window = new ReceiveWindow();
    assert.equal(window.admit("c", "s", 1), "forward");
    assert.equal(window.admit("c", "s", 2), "forward");
    assert.equal(window.admit("c", "s", 1), "duplicateInFlight");
    assert.deepEqual(window.settle("c", "s", 1), [1]);
    assert.equal(window.admit("c", "s", 1), "duplicateDelivered");
    assert.equal(window.admit("c", "s", 2), "duplicateInFlight");
    assert.deepEqual(window.settle("c", "s", 2), [2]);
    assert.equal(window.admit("c", "s", 2), "duplicateDelivered");
  });

  test("acknowledgements never overtake an earlier envelope still in flight", () => {
    const window = new ReceiveWindow();
    for (const seq of [1, 2, 3]) assert.equal(window.admit("c", "s", seq), "forward");
    assert.deepEqual(window.settle("c", "s", 3), []);
    assert.deepEqual(window.settle("c", "s", 2), []);
    assert.deepEqual(window.settle("c", "s", 1), [1, 2, 3]);
    assert.equal(window.admit("c", "s", 3), "duplicateDelivered");
  });

  test("streams are independent, and a stream first seen mid-way (after a failover) starts there", () => {
    const window = new ReceiveWindow();
    assert.equal(window.admit("c", "s", 4), "forward");
    assert.equal(window.admit("c", "t", 1), "forward");
    assert.equal(window.admit("d", "s", 1), "forward");
    assert.deepEqual(window.settle("c", "s", 4), [4]);
    assert.equal(window.admit("c", "s", 3), "duplicateDelivered", "acknowledged by the previous instance");
    window.forgetClient("c");
    assert.equal(window.streamCount, 1);
  });
});
