import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeOutcome, outcomeBody, outcomeHeaders } from "./bus-codec.js";

test("an error message with line breaks travels: one-line header, the whole message in the body", () => {
  const outcome = { ok: false as const, error: { code: -32600, message: "first line\nsecond line\r\nthird" } };
  const headers = outcomeHeaders(outcome);
  assert.ok(headers);
  assert.equal(headers.get("Nats-Service-Error"), "first line second line third");
  assert.deepEqual(decodeOutcome({ headers, data: outcomeBody(outcome) }), outcome);
});

test("a null result stays null; an absent one is an empty object", () => {
  const nullResult = decodeOutcome({ headers: undefined, data: outcomeBody({ ok: true, result: null }) });
  assert.deepEqual({ ok: nullResult.ok, result: nullResult.ok && nullResult.result }, { ok: true, result: null });
  const absent = decodeOutcome({ headers: undefined, data: outcomeBody({ ok: true, result: undefined }) });
  assert.deepEqual({ ok: absent.ok, result: absent.ok && absent.result }, { ok: true, result: {} });
});

test("a result keeps the text the service wrote, parsed only when read", () => {
  const result = { thread: { id: "t1", name: "caf\u00e9 \u{1F600}", turns: [1, 2.5, -0, null] } };
  const decoded = decodeOutcome({ headers: undefined, data: outcomeBody({ ok: true, result }) });
  assert.ok(decoded.ok);
  assert.equal(decoded.json, JSON.stringify(result));
  assert.deepEqual(decoded.result, JSON.parse(JSON.stringify(result)));
  assert.equal(decoded.result, decoded.result, "parsed once, then the same value");
});
