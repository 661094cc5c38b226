import assert from "node:assert/strict";
import { test } from "node:test";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { BusHeader } from "@switchyard/protocol";
import {
  type BusRequest,
  decodeOutcome,
  decodeRequest,
  encodeJson,
  outcomeBody,
  outcomeHeaders,
  requestHeaders,
} from "./bus-codec.js";

const meta = (extra: Partial<Omit<BusRequest, "params" | "headers">> = {}): Omit<BusRequest, "params" | "headers"> => ({
  commandId: "cmd-1",
  method: "thread/name/set",
  caller: { tenant: "acme \u00e9\u{1F600}", subject: 'ann,"quoted"', roles: ["orchestrator", "admin"] },
  deadlineMs: 1_765_000_000_123,
  connection: "gw1/c7",
  clientRequestId: 7,
  clientVersion: "0.171.0",
  clientName: "codex-tui",
  ...extra,
});

const strip = ({ params: _params, headers: _headers, ...rest }: BusRequest) => rest;

test("a request's identity travels in one header and comes back whole", () => {
  for (const request of [
    meta(),
    meta({ clientRequestId: "abc" }),
    meta({ method: "thread/start", newThreadId: "0199a8f0-0000-7000-8000-000000000001" }),
    meta({ clientRequestId: undefined, clientVersion: "", clientName: "", caller: { tenant: "t", subject: "s", roles: [] } }),
  ]) {
    const headers = requestHeaders(request, "_INBOX.reply");
    assert.deepEqual(
      [...headers.keys()].sort(),
      [BusHeader.request, BusHeader.replyTo].sort(),
      "one header, and the reply subject",
    );
    const decoded = decodeRequest({ headers, data: encodeJson({ name: "x" }) });
    assert.deepEqual(strip(decoded), request);
    assert.deepEqual(decoded.params, { name: "x" });
  }
  assert.equal(requestHeaders(meta()).has(BusHeader.replyTo), false);
});

test("an envelope from a publisher before the client name decodes with none", () => {
  const headers = natsHeaders();
  headers.set(
    BusHeader.request,
    JSON.stringify(["cmd-2", "thread/start", "acme", "ann", [], 1_765_000_000_000, "gw1/c1", 3, "0.169.0"]),
  );
  const decoded = decodeRequest({ headers, data: encodeJson({}) });
  assert.equal(decoded.clientName, "");
  assert.equal(decoded.clientVersion, "0.169.0");
});

test("a request from an earlier publisher (one header per field) still decodes", () => {
  const headers = natsHeaders();
  headers.set(BusHeader.commandId, "cmd-old");
  headers.set(BusHeader.method, "thread/read");
  headers.set(BusHeader.tenant, "acme");
  headers.set(BusHeader.subject, "ann");
  headers.set(BusHeader.roles, "a,b");
  headers.set(BusHeader.deadline, "1765000000000");
  headers.set(BusHeader.connection, "gw1/c1");
  headers.set(BusHeader.requestId, '"r-1"');
  headers.set(BusHeader.clientVersion, "0.169.0");
  assert.deepEqual(strip(decodeRequest({ headers, data: new Uint8Array() })), {
    commandId: "cmd-old",
    method: "thread/read",
    caller: { tenant: "acme", subject: "ann", roles: ["a", "b"] },
    deadlineMs: 1_765_000_000_000,
    connection: "gw1/c1",
    clientRequestId: "r-1",
    clientVersion: "0.169.0",
  });
});

test("a malformed request header is refused with what is wrong, never half-read", () => {
  const withEnvelope = (value: string) => {
    const headers = natsHeaders();
    headers.set(BusHeader.request, value);
    return { headers, data: new Uint8Array() };
  };
  const valid = JSON.parse(requestHeaders(meta()).get(BusHeader.request)) as unknown[];
  const replaced = (index: number, value: unknown) => JSON.stringify(valid.map((field, at) => (at === index ? value : field)));
  assert.throws(() => decodeRequest(withEnvelope("{not json")), /unreadable Sy-Request/);
  assert.throws(() => decodeRequest(withEnvelope('{"commandId":"x"}')), /not an array/);
  assert.throws(() => decodeRequest(withEnvelope(replaced(0, ""))), /without commandId/);
  assert.throws(() => decodeRequest(withEnvelope(replaced(2, 5))), /without tenant/);
  assert.throws(() => decodeRequest(withEnvelope(replaced(4, "admin"))), /without roles/);
  assert.throws(() => decodeRequest(withEnvelope(replaced(5, "soon"))), /without deadline/);
  assert.throws(() => decodeRequest(withEnvelope(replaced(6, null))), /without connection/);
  assert.throws(() => decodeRequest({ headers: undefined, data: new Uint8Array() }), /without Sy-Command-Id/);
  assert.equal(decodeRequest(withEnvelope(replaced(7, { not: "an id" }))).clientRequestId, undefined);
  // The new thread's id is used as the thread's primary key: only the canonical form is taken.
  for (const notCanonical of ["th-1", "0199A8F0-0000-7000-8000-000000000001", "{0199a8f0-0000-7000-8000-000000000001}", 7]) {
    assert.throws(() => decodeRequest(withEnvelope(replaced(10, notCanonical))), /new thread id is not a lower-case UUID/);
  }
  assert.equal(decodeRequest(withEnvelope(replaced(10, null))).newThreadId, undefined);
});

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
