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
  assert.deepEqual(decodeOutcome({ headers: undefined, data: outcomeBody({ ok: true, result: null }) }), {
    ok: true,
    result: null,
  });
  assert.deepEqual(decodeOutcome({ headers: undefined, data: outcomeBody({ ok: true, result: undefined }) }), {
    ok: true,
    result: {},
  });
});
