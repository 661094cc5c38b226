import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type GateState, gateRequest } from "./request-gate.js";

const ready: GateState = {
  isInitialized: true,
  isExperimentalApi: false,
  inFlight: 0,
  maxInFlight: 2,
  tenantInFlight: 0,
  maxTenantInFlight: 3,
  isLocal: (m) => m === "model/list" || m === "mock/experimentalMethod",
};
const reasonOf = (decision: ReturnType<typeof gateRequest>) =>
  decision.kind === "refuse" ? decision.detail.reason : decision.kind;

describe("request gate", () => {
  test("decode comes first: unknown method, missing params and bad fields are refused even before initialize", () => {
    const fresh = { ...ready, isInitialized: false };
    assert.equal(reasonOf(gateRequest({ method: "nope/nope", params: {}, hasParams: true }, fresh)), "unknownMethod");
    assert.equal(reasonOf(gateRequest({ method: "thread/read", params: undefined, hasParams: false }, fresh)), "invalidRequest");
    const mistyped = gateRequest({ method: "thread/read", params: { threadId: 7 }, hasParams: true }, fresh);
    assert.equal(
      mistyped.kind === "refuse" && mistyped.detail.reason === "invalidRequest" && mistyped.detail.detail,
      "invalid type: integer `7`, expected a string",
    );
  });

  test("a thread id is parsed as Codex parses it: malformed refused by its method's words, other forms canonical", () => {
    const malformed = gateRequest({ method: "thread/archive", params: { threadId: "0199a8f0-0000" }, hasParams: true }, ready);
    assert.deepEqual(malformed.kind === "refuse" && malformed.detail, {
      reason: "invalidArgument",
      message: "invalid session id: invalid group count: expected 5, found 2",
    });
    const rename = gateRequest({ method: "thread/name/set", params: { threadId: "x", name: "n" }, hasParams: true }, ready);
    assert.equal(rename.kind === "refuse" && rename.detail.reason, "invalidArgument");
    const braced = gateRequest(
      { method: "thread/read", params: { threadId: "{0199A8F0-0000-7000-8000-00000000DEAD}" }, hasParams: true },
      ready,
    );
    assert.deepEqual(braced.kind === "route" && braced.params, { threadId: "0199a8f0-0000-7000-8000-00000000dead" });
    // Methods that name no thread are untouched.
    assert.equal(gateRequest({ method: "thread/list", params: {}, hasParams: true }, ready).kind, "route");
  });

  test("then initialization: initialize passes, anything else waits for it; Codex-only methods too", () => {
    const fresh = { ...ready, isInitialized: false };
    const init = gateRequest(
      { method: "initialize", params: { clientInfo: { name: "c", version: "1" } }, hasParams: true },
      fresh,
    );
    assert.equal(init.kind, "initialize");
    assert.equal(reasonOf(gateRequest({ method: "thread/list", params: {}, hasParams: true }, fresh)), "notInitialized");
    assert.equal(
      reasonOf(gateRequest({ method: "thread/realtime/start", params: {}, hasParams: true }, fresh)),
      "notInitialized",
    );
    assert.equal(
      reasonOf(gateRequest({ method: "thread/realtime/start", params: {}, hasParams: true }, ready)),
      "methodNotSupported",
    );
  });

  test("then the experimental gate, for methods and for fields", () => {
    assert.equal(
      reasonOf(gateRequest({ method: "mock/experimentalMethod", params: {}, hasParams: true }, ready)),
      "experimentalApiRequired",
    );
    // As Codex 0.171.0 gates them (each probed without the capability).
    const thread = { threadId: "019a0000-0000-7000-8000-000000000000" };
    for (const [method, params] of [
      ["userVerification/status", {}],
      ["userVerification/enroll", {}],
      ["server/diagnostics", {}],
      ["rollout/compress", {}],
      ["accountSession/switch", { sessionId: "s", accountId: "a" }],
      ["account/bedrock/discover", {}],
      ["mcpServer/event/stream/stop", { subscriptionId: "s" }],
      ["thread/backgroundTerminals/list", thread],
      ["thread/backgroundTerminals/clean", thread],
    ] as const) {
      assert.equal(reasonOf(gateRequest({ method, params, hasParams: true }, ready)), "experimentalApiRequired", method);
    }
    const field = gateRequest({ method: "thread/start", params: { mockExperimentalField: "x" }, hasParams: true }, ready);
    assert.equal(
      field.kind === "refuse" && field.detail.reason === "experimentalApiRequired" && field.detail.method,
      "thread/start.mockExperimentalField",
    );
    assert.equal(
      gateRequest({ method: "mock/experimentalMethod", params: {}, hasParams: true }, { ...ready, isExperimentalApi: true }).kind,
      "local",
    );
  });

  test("then the gateway's own answers (never refused for load), then admission, then routing", () => {
    const full = { ...ready, inFlight: 2 };
    assert.equal(gateRequest({ method: "model/list", params: {}, hasParams: true }, full).kind, "local");
    assert.equal(reasonOf(gateRequest({ method: "thread/list", params: {}, hasParams: true }, full)), "overloaded");
    const routed = gateRequest({ method: "thread/list", params: {}, hasParams: true }, ready);
    assert.equal(routed.kind === "route" && routed.spec.owner, "thread");
    assert.equal(reasonOf(gateRequest({ method: "switchyard/environments/list", params: {}, hasParams: false }, ready)), "route");
  });

  test("admission names the in-flight limit that refused: the connection's, then the tenant's on this gateway", () => {
    const refusal = (state: GateState) => {
      const decision = gateRequest({ method: "thread/list", params: {}, hasParams: true }, state);
      return decision.kind === "refuse" ? decision.detail : undefined;
    };
    assert.deepEqual(refusal({ ...ready, inFlight: 2, tenantInFlight: 3 }), {
      reason: "overloaded",
      limit: { kind: "inFlight", scope: "connection", limit: 2 },
    });
    assert.deepEqual(refusal({ ...ready, tenantInFlight: 3 }), {
      reason: "overloaded",
      limit: { kind: "inFlight", scope: "tenant", limit: 3 },
    });
    assert.equal(refusal({ ...ready, tenantInFlight: 2 }), undefined);
  });
});
