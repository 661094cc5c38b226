import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatJson, formatPretty, isLevelEnabled, readinessOf } from "./log-format.js";

const plain = { useColor: false, nameWidth: 8 };

describe("formatPretty", () => {
  it("shows level, name, message and the extra fields of a pino line", () => {
    const line = JSON.stringify({
      level: "info",
      time: "2025-01-01T10:00:00.000Z",
      service: "thread",
      instance: "thread-ab12",
      msg: "thread service ready",
      healthPort: 40123,
      queue: "sy thread",
    });
    const shown = formatPretty("thread", line, "stdout", plain);
    assert.match(shown, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}thread {3}thread service ready {2}healthPort=40123 queue="sy thread"$/);
    assert.doesNotMatch(shown, /instance=/);
  });
  it("accepts numeric pino levels and puts stacks on their own lines", () => {
    const shown = formatPretty("gateway", JSON.stringify({ level: 50, msg: "boom", err: "Error: x\n  at y" }), "stdout", plain);
    const [first, ...rest] = shown.split("\n");
    assert.match(first ?? "", /ERROR gateway {2}boom {2}err=↓$/);
    assert.deepEqual(rest, ["    Error: x", "      at y"]);
  });
  it("marks plain lines by stream", () => {
    assert.match(formatPretty("thread-2", "listen EADDRINUSE", "stderr", plain), / ERR {3}thread-2 listen EADDRINUSE$/);
    assert.match(formatPretty("thread-2", "hello", "stdout", plain), / OUT {3}thread-2 hello$/);
  });
  it("colours only when asked", () => {
    const shown = formatPretty("x", JSON.stringify({ level: "warn", msg: "m" }), "stdout", { useColor: true, nameWidth: 1 });
    assert.ok(shown.includes("\u001b[33mWARN"), shown);
  });
});

describe("formatJson", () => {
  it("passes JSON through and wraps the rest", () => {
    const line = JSON.stringify({ level: "info", msg: "x" });
    assert.equal(formatJson("thread", line, "stdout"), line);
    const wrapped = JSON.parse(formatJson("thread", "plain text", "stderr"));
    assert.equal(wrapped.level, "error");
    assert.equal(wrapped.service, "thread");
    assert.equal(wrapped.msg, "plain text");
  });
});

describe("readinessOf", () => {
  it("recognises the gateway and thread readiness lines", () => {
    const gateway = readinessOf(
      JSON.stringify({ level: "info", event: "gateway.ready", url: "ws://127.0.0.1:4545", msg: "ready" }),
    );
    assert.equal(gateway?.url, "ws://127.0.0.1:4545");
    assert.ok(readinessOf(JSON.stringify({ level: "info", msg: "thread service ready" })));
  });
  it("ignores other lines", () => {
    assert.equal(readinessOf(JSON.stringify({ level: "info", msg: "readying caches" })), undefined);
    assert.equal(readinessOf("thread service ready"), undefined);
    assert.equal(readinessOf(JSON.stringify({ level: "info", msg: "gateway listening" })), undefined);
  });
});

describe("isLevelEnabled", () => {
  it("compares pino levels", () => {
    assert.equal(isLevelEnabled("warn", "info"), true);
    assert.equal(isLevelEnabled("debug", "info"), false);
    assert.equal(isLevelEnabled("fatal", "silent"), false);
  });
});
