import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { childLogLevel, connectableUrl, instanceNames } from "./start.js";

describe("start helpers", () => {
  it("numbers instances only when there are several", () => {
    assert.deepEqual(instanceNames("thread", 1), ["thread"]);
    assert.deepEqual(instanceNames("thread", 3), ["thread-1", "thread-2", "thread-3"]);
  });
  it("turns wildcard listen addresses into loopback", () => {
    assert.equal(connectableUrl("ws://0.0.0.0:4545"), "ws://127.0.0.1:4545");
    assert.equal(connectableUrl("ws://[::]:4545"), "ws://127.0.0.1:4545");
    assert.equal(connectableUrl("ws://10.0.0.2:4545"), "ws://10.0.0.2:4545");
  });
  it("lets children log at least at info, so their readiness lines are seen", () => {
    assert.equal(childLogLevel("warn"), "info");
    assert.equal(childLogLevel("silent"), "info");
    assert.equal(childLogLevel("info"), "info");
    assert.equal(childLogLevel("debug"), "debug");
    assert.equal(childLogLevel("trace"), "trace");
  });
});
