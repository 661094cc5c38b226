import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { childLogLevel, connectableUrl, instanceEnvironment, instanceNames, parseScale } from "./start.js";

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

  it("parses --scale: counts per existing service, with clear refusals", () => {
    const services = ["config", "gateway", "remote-control", "thread"];
    assert.deepEqual(
      [...parseScale("gateway=2, thread=3,config=2,remote-control=2", services)],
      [
        ["gateway", 2],
        ["thread", 3],
        ["config", 2],
        ["remote-control", 2],
      ],
    );
    assert.deepEqual([...parseScale("", services)], []);
    assert.throws(() => parseScale("thread", services), /"thread" is not service=count/);
    assert.throws(() => parseScale("threads=2", services), /no service "threads"/);
    assert.throws(() => parseScale("thread=0", services), /1 to 16 instances/);
    assert.throws(() => parseScale("gateway=99", services), /1 to 16 instances/);
  });

  it("gives further gateway and remote-control instances free ports; the first keeps the configured one", () => {
    assert.deepEqual(instanceEnvironment("gateway", 0), {});
    assert.deepEqual(instanceEnvironment("gateway", 1), { GATEWAY_PORT: "0" });
    assert.deepEqual(instanceEnvironment("remote-control", 2), { REMOTE_CONTROL_PORT: "0" });
    assert.deepEqual(instanceEnvironment("thread", 3), {});
  });
});
