// The metrics module: bounded labels, and the Prometheus text served on /metrics of the health
// server once metrics are started (counters, histograms and registered gauges).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { toWireError } from "@switchyard/protocol";
import { startHealthServer } from "./health.js";
import {
  type MetricsHandle,
  methodLabel,
  observeGauge,
  outcomeLabel,
  recordOverflow,
  recordRequest,
  startMetrics,
} from "./metrics.js";

let metrics: MetricsHandle;
let server: Awaited<ReturnType<typeof startHealthServer>>;
let url: string;

before(async () => {
  metrics = await startMetrics({ service: "unit" });
  server = await startHealthServer({ host: "127.0.0.1", port: 0, readiness: async () => ({ ok: true }) });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});
after(async () => {
  server.close();
  await metrics.shutdown();
});

test("method labels come from the registry; anything else is `unknown`", () => {
  assert.equal(methodLabel("thread/start"), "thread/start");
  assert.equal(methodLabel("initialize"), "initialize");
  assert.equal(methodLabel("internal/config/resolveThread"), "internal/config/resolveThread");
  assert.equal(methodLabel("made/up"), "unknown");
  assert.equal(methodLabel("x".repeat(10_000)), "unknown");
});

test("outcomes are classes of the error", () => {
  assert.equal(outcomeLabel(undefined), "ok");
  assert.equal(outcomeLabel(toWireError({ reason: "invalidRequest", detail: "x" })), "invalid_request");
  assert.equal(outcomeLabel(toWireError({ reason: "overloaded" })), "overloaded");
  assert.equal(outcomeLabel(toWireError({ reason: "serviceUnavailable", service: "thread" })), "unavailable");
  assert.equal(outcomeLabel(toWireError({ reason: "internal", message: "boom" })), "internal");
});

test("/metrics serves what was recorded, in Prometheus text", async () => {
  recordRequest("unit", "thread/read", "ok", 0.02);
  recordRequest("unit", "thread/read", "ok", 0.03);
  recordRequest("unit", "bogus/method", "invalid_request", 0.001);
  recordOverflow("connection_closed");
  const stop = observeGauge("connections", (observe) => observe(3, { kind: "client" }));
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const text = await response.text();
  stop();
  assert.match(text, /^switchyard_requests_total\{service="unit",method="thread\/read",outcome="ok"\} 2$/m);
  assert.match(text, /^switchyard_requests_total\{service="unit",method="unknown",outcome="invalid_request"\} 1$/m);
  assert.match(text, /^switchyard_request_duration_seconds_count\{service="unit",method="thread\/read",outcome="ok"\} 2$/m);
  assert.match(
    text,
    /^switchyard_request_duration_seconds_bucket\{service="unit",method="thread\/read",outcome="ok",le="0.05"\} 2$/m,
  );
  assert.match(text, /^switchyard_overflow_total\{action="connection_closed"\} 1$/m);
  assert.match(text, /^switchyard_connections\{kind="client"\} 3$/m);
});

test("the metrics SDK hashes a frozen label set once (the project's patch), a mutable one on every record", () => {
  const require = createRequire(import.meta.url);
  const build = dirname(require.resolve("@opentelemetry/sdk-metrics"));
  const { hashAttributes } = require(join(build, "utils.js")) as { hashAttributes(attributes: object): string };
  const frozen = Object.freeze({ service: "unit", method: "thread/read", outcome: "ok" });
  const mutable = { service: "unit", method: "thread/read", outcome: "ok" };
  const keys = Object.keys;
  const listed = new Map<object, number>();
  Object.keys = (value: object) => {
    listed.set(value, (listed.get(value) ?? 0) + 1);
    return keys(value);
  };
  try {
    const first = hashAttributes(frozen);
    assert.equal(hashAttributes(frozen), first);
    assert.equal(hashAttributes(mutable), first, "the same labels hash alike, frozen or not");
    hashAttributes(mutable);
  } finally {
    Object.keys = keys;
  }
  assert.equal(listed.get(frozen), 1, "a frozen set is hashed once");
  assert.equal(listed.get(mutable), 2, "a mutable set is hashed every time");
});
