import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { busSubjects, subjectToken } from "./bus.js";
import { classifyIncoming } from "./envelope.js";
import { type ErrorDetail, toWireError } from "./errors.js";
import { lookupMethod, mayAskAgain, methodRegistry } from "./registry.js";
import { fnv1a32, KEYED_PARTITIONS, partitionOf, scopeKey } from "./scope.js";
import { serdeDetail } from "./serde-messages.js";

describe("partitioning", () => {
  test("FNV-1a matches the reference vectors, so every language computes the same partition", () => {
    assert.equal(fnv1a32(""), 0x811c9dc5);
    assert.equal(fnv1a32("a"), 0xe40c292c);
    assert.equal(fnv1a32("foobar"), 0xbf9cf968);
  });

  test("keys are tenant-qualified and spread over every partition", () => {
    assert.equal(scopeKey("thread", "acme", "t1"), "thread:acme:t1");
    assert.notEqual(partitionOf(scopeKey("thread", "acme", "t1")), undefined);
    const used = new Set(Array.from({ length: 2000 }, (_, i) => partitionOf(scopeKey("thread", "acme", `thread-${i}`))));
    assert.equal(used.size, KEYED_PARTITIONS);
  });
});

describe("bus subjects", () => {
  test("tenant and thread tokens never break the subject hierarchy", () => {
    assert.equal(subjectToken("acme-corp_1"), "acme-corp_1");
    for (const hostile of ["a.b", "a*", ">", "a b", "ünï"]) {
      const token = subjectToken(hostile);
      assert.doesNotMatch(token, /[.*> \s]/);
      assert.ok(token.startsWith("~"));
    }
    const subjects = busSubjects("sy");
    assert.equal(subjects.rpc("thread/name/set"), "sy.rpc.thread.name.set");
    assert.equal(subjects.tenantEvents("a.b"), `sy.evt.${subjectToken("a.b")}.tenant`);
    assert.equal(subjects.keyedStream("remote-control"), "SY_KEYED_REMOTE_CONTROL");
  });
});

describe("envelopes", () => {
  test("requests, notifications and responses are told apart; anything else is malformed", () => {
    assert.deepEqual(classifyIncoming({ id: 1, method: "m", params: { a: 1 } }), {
      kind: "request",
      id: 1,
      method: "m",
      params: { a: 1 },
      hasParams: true,
    });
    assert.equal(classifyIncoming({ id: "x", method: "m", params: null }).kind, "request");
    assert.equal((classifyIncoming({ id: "x", method: "m", params: null }) as { hasParams: boolean }).hasParams, false);
    assert.equal(classifyIncoming({ method: "initialized" }).kind, "notification");
    assert.equal(classifyIncoming({ id: 3, result: {} }).kind, "response");
    for (const bad of [null, 5, "x", [], { id: 1.5, method: "m" }, { id: {}, method: "m" }, { foo: 1 }]) {
      assert.equal(classifyIncoming(bad).kind, "malformed");
    }
  });
});

describe("errors", () => {
  test("every reason renders to a code and a message", () => {
    const details: ErrorDetail[] = [
      { reason: "notInitialized" },
      { reason: "alreadyInitialized" },
      { reason: "unknownMethod", method: "x/y", knownMethods: ["a", "b", "c"] },
      { reason: "invalidRequest", detail: "missing field `threadId`" },
      { reason: "experimentalApiRequired", method: "m" },
      { reason: "invalidClientName", name: "n" },
      { reason: "methodNotSupported", method: "m" },
      { reason: "threadNotFound", threadId: "t" },
      { reason: "invalidCursor", cursor: "c".repeat(1_000), expected: "a cursor this list returned" },
      { reason: "invalidArgument", message: "bad" },
      { reason: "overloaded" },
      { reason: "deadlineExceeded", method: "m", timeoutMs: 5 },
      { reason: "cancelled", method: "m" },
      { reason: "serviceUnavailable", service: "thread" },
      { reason: "environmentNotFound", environmentId: "e" },
      { reason: "environmentOffline", environmentId: "e" },
      { reason: "pairingCodeInvalid" },
      { reason: "rateLimited", what: "pairing attempts", retryAfterMs: 1500 },
      { reason: "internal", message: "boom" },
    ];
    for (const detail of details) {
      const wire = toWireError(detail);
      assert.ok(Number.isInteger(wire.code) && wire.message.length > 0, detail.reason);
    }
    assert.equal(toWireError({ reason: "overloaded" }).code, -32001);
    assert.equal(
      toWireError({ reason: "unknownMethod", method: "x", knownMethods: ["a", "b"] }).message,
      "Invalid request: unknown variant `x`, expected `a` or `b`",
    );
  });
});

describe("serde-style validation messages", () => {
  const schema = z.object({ threadId: z.string(), limit: z.number().int().nullish(), mode: z.enum(["a", "b"]).nullish() });
  const detail = (input: unknown) => {
    const parsed = schema.safeParse(input);
    assert.equal(parsed.success, false);
    return serdeDetail((parsed as { error: z.ZodError }).error, input);
  };

  test("missing, mistyped and unknown-variant fields", () => {
    assert.equal(detail({}), "missing field `threadId`");
    assert.equal(detail({ threadId: 7 }), "invalid type: integer `7`, expected a string");
    assert.equal(detail({ threadId: "x", limit: "ten" }), 'invalid type: string "ten", expected an integer');
    assert.equal(detail({ threadId: "x", mode: "c" }), "unknown variant `c`, expected `a` or `b`");
    // A wrong value is reported before a missing field, as serde does.
    assert.equal(detail({ limit: "ten" }), 'invalid type: string "ten", expected an integer');
  });
});

describe("registry", () => {
  // Every method's serialization scope, pinned: sample params → the lane and key it must use.
  // Adding a method without a row here fails the last test.
  const scopeTable: Record<string, { params: unknown; kind: "unkeyed" | "exclusive" | "sharedRead"; key?: string }> = {
    initialize: { params: {}, kind: "unkeyed" },
    "mock/experimentalMethod": { params: {}, kind: "unkeyed" },
    "account/read": { params: {}, kind: "unkeyed" },
    getAuthStatus: { params: {}, kind: "unkeyed" },
    // Codex's global config bucket, per tenant and user here: writes exclusive, reads shared.
    "model/list": { params: {}, kind: "unkeyed" },
    "config/read": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "config/value/write": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    "config/batchWrite": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    "configRequirements/read": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "permissionProfile/list": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "experimentalFeature/list": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    "experimentalFeature/enablement/set": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    "modelProvider/default/set": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    "modelProvider/config/write": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    "modelProvider/list": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "modelProvider/capabilities/read": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "mcpServerStatus/list": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "config/mcpServer/reload": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "account/gatewayOAuth/read": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "account/gatewayOAuth/login": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "account/gatewayOAuth/cancel": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "mcpServer/resource/read": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "mcpServer/tool/call": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "mcpServer/oauth/login": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "skills/list": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    "skills/config/write": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    "hooks/list": { params: {}, kind: "sharedRead", key: "config:acme:user:u1" },
    // Session config is the orchestrator's, keyed by its target rather than a user.
    "switchyard/sessionConfig/set": { params: { cwd: "/w" }, kind: "exclusive", key: "config:acme:session:cwd:/w" },
    "switchyard/sessionConfig/read": { params: { threadId: "t1" }, kind: "sharedRead", key: "config:acme:session:thread:t1" },
    "switchyard/sessionConfig/delete": { params: { cwd: "/w" }, kind: "exclusive", key: "config:acme:session:cwd:/w" },
    "switchyard/configLock/export": { params: { threadId: "t1" }, kind: "unkeyed" },
    "switchyard/configLock/save": { params: {}, kind: "exclusive", key: "config:acme:user:u1" },
    // Tenant secrets: unkeyed, so a value never rests in the keyed lane's on-disk stream.
    "switchyard/secret/set": { params: { name: "K", value: "v" }, kind: "unkeyed" },
    "switchyard/secret/delete": { params: { name: "K" }, kind: "unkeyed" },
    "switchyard/secret/list": { params: {}, kind: "unkeyed" },
    "internal/config/resolveThread": { params: {}, kind: "unkeyed" },
    "internal/config/forkThread": { params: {}, kind: "unkeyed" },
    "internal/config/modelProvider": { params: { threadId: "t1", providerId: "openai" }, kind: "unkeyed" },
    "internal/config/modelServiceTiers": { params: { model: "m", modelProvider: "openai" }, kind: "unkeyed" },
    "internal/config/permissionProfile": { params: { threadId: "t1", profile: ":workspace" }, kind: "unkeyed" },
    getConversationSummary: {
      params: { conversationId: "019A0000-0000-7000-8000-000000000000" },
      kind: "unkeyed",
      key: "thread:acme:019a0000-0000-7000-8000-000000000000",
    },
    "thread/start": { params: {}, kind: "unkeyed" },
    "thread/read": { params: { threadId: "t1" }, kind: "unkeyed", key: "thread:acme:t1" },
    "thread/list": { params: {}, kind: "unkeyed" },
    "thread/name/set": { params: { threadId: "t1", name: "n" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/resume": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/fork": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/archive": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/unarchive": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/revert": { params: { threadId: "t1", beforeTurnId: "u1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/delete": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/unsubscribe": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/queue/add": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/queue/list": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/queue/update": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/queue/delete": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/queue/reorder": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/queue/start": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/loaded/list": { params: {}, kind: "unkeyed" },
    "threadSection/list": { params: {}, kind: "unkeyed" },
    "threadSection/create": { params: { name: "n" }, kind: "exclusive", key: "thread:acme:sections" },
    "threadSection/update": { params: { sectionId: "s1", name: "n" }, kind: "exclusive", key: "thread:acme:sections" },
    "threadSection/delete": { params: { sectionId: "s1" }, kind: "exclusive", key: "thread:acme:sections" },
    "thread/section/move": { params: { threadId: "t1", sectionId: null }, kind: "exclusive", key: "thread:acme:t1" },
    "project/list": { params: {}, kind: "unkeyed" },
    "project/read": { params: { projectId: "p1" }, kind: "unkeyed" },
    "project/create": { params: { idempotencyKey: "k", name: "n", roots: [] }, kind: "exclusive", key: "thread:acme:projects" },
    "project/import": { params: { idempotencyKey: "k", name: "n", roots: [] }, kind: "exclusive", key: "thread:acme:projects" },
    "project/update": { params: { projectId: "p1" }, kind: "exclusive", key: "thread:acme:projects" },
    "project/move": { params: { projectId: "p1" }, kind: "exclusive", key: "thread:acme:projects" },
    "project/delete": { params: { projectId: "p1" }, kind: "exclusive", key: "thread:acme:projects" },
    "thread/attachment/add": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/attachment/remove": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/attachment/list": { params: { threadId: "t1" }, kind: "unkeyed", key: "thread:acme:t1" },
    "thread/attachmentOwner/list": { params: {}, kind: "unkeyed" },
    "thread/increment_elicitation": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/decrement_elicitation": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/memoryMode/set": { params: { threadId: "t1", mode: "enabled" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/memory/read": { params: { threadId: "t1" }, kind: "unkeyed", key: "thread:acme:t1" },
    "memory/status": { params: {}, kind: "unkeyed" },
    "memory/reset": { params: {}, kind: "unkeyed" },
    "plugin/search": { params: { searchTerm: "x" }, kind: "unkeyed" },
    "plugin/share/list": { params: {}, kind: "unkeyed" },
    "plugin/read": { params: { pluginName: "p" }, kind: "unkeyed" },
    "plugin/skill/read": { params: {}, kind: "unkeyed" },
    "plugin/install": { params: { pluginName: "p" }, kind: "unkeyed" },
    "plugin/uninstall": { params: { pluginId: "p" }, kind: "unkeyed" },
    "plugin/reconcile": { params: {}, kind: "unkeyed" },
    "marketplace/remove": { params: {}, kind: "unkeyed" },
    "marketplace/upgrade": { params: {}, kind: "unkeyed" },
    "plugin/share/save": { params: {}, kind: "unkeyed" },
    "plugin/share/updateTargets": { params: {}, kind: "unkeyed" },
    "plugin/share/checkout": { params: {}, kind: "unkeyed" },
    "plugin/share/delete": { params: {}, kind: "unkeyed" },
    "skills/extraRoots/set": { params: {}, kind: "unkeyed" },
    "thread/metadata/update": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/goal/set": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "plugin/installed": { params: {}, kind: "unkeyed" },
    "account/bedrock/checkGovCloudRequirements": { params: {}, kind: "unkeyed" },
    "thread/backgroundTerminals/list": { params: { threadId: "t1" }, kind: "unkeyed" },
    "thread/backgroundTerminals/clean": { params: { threadId: "t1" }, kind: "unkeyed" },
    "thread/backgroundTerminals/terminate": { params: { threadId: "t1", processId: "1" }, kind: "unkeyed" },
    "account/rateLimits/read": { params: {}, kind: "unkeyed" },
    "account/usage/read": { params: {}, kind: "unkeyed" },
    "account/workspaceMessages/read": { params: {}, kind: "unkeyed" },
    "account/logout": { params: {}, kind: "unkeyed" },
    "mcpServer/event/stream/start": { params: {}, kind: "unkeyed" },
    "thread/prediction/request": { params: {}, kind: "unkeyed" },
    "environment/info": { params: {}, kind: "unkeyed" },
    "environment/status": { params: {}, kind: "unkeyed" },
    "thread/prepareApprovedPlan": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "remoteControl/status/read": { params: {}, kind: "unkeyed" },
    "remoteControl/enable": { params: {}, kind: "unkeyed" },
    "remoteControl/disable": { params: {}, kind: "unkeyed" },
    "remoteControl/pairing/start": { params: {}, kind: "unkeyed" },
    "remoteControl/pairing/status": { params: {}, kind: "unkeyed" },
    "remoteControl/client/list": { params: {}, kind: "unkeyed" },
    "remoteControl/client/revoke": { params: {}, kind: "unkeyed" },
    "account/securitySetup/read": { params: {}, kind: "unkeyed" },
    "accountSession/list": { params: {}, kind: "unkeyed" },
    "externalAgentConfig/detect": { params: {}, kind: "unkeyed" },
    "userVerification/status": { params: {}, kind: "unkeyed" },
    "userVerification/enroll": { params: {}, kind: "unkeyed" },
    "userVerification/delete": { params: {}, kind: "unkeyed" },
    "userVerification/verify": { params: {}, kind: "unkeyed" },
    "userVerification/cancel": { params: {}, kind: "unkeyed" },
    "server/diagnostics": { params: {}, kind: "unkeyed" },
    "rollout/compress": { params: {}, kind: "unkeyed" },
    "account/login/cancel": { params: {}, kind: "unkeyed" },
    "accountSession/switch": { params: {}, kind: "unkeyed" },
    "account/rateLimitResetCredit/consume": { params: {}, kind: "unkeyed" },
    "account/sendAddCreditsNudgeEmail": { params: {}, kind: "unkeyed" },
    "account/bedrock/discover": { params: {}, kind: "unkeyed" },
    "mcpServer/event/stream/stop": { params: {}, kind: "unkeyed" },
    "externalAgentConfig/import/readHistories": { params: {}, kind: "unkeyed" },
    "plugin/list": { params: {}, kind: "unkeyed" },
    "app/list": { params: {}, kind: "unkeyed" },
    "app/read": { params: { appIds: [] }, kind: "unkeyed" },
    "app/installed": { params: {}, kind: "unkeyed" },
    "windowsSandbox/readiness": { params: {}, kind: "unkeyed" },
    "turn/start": { params: { threadId: "t1", input: [] }, kind: "exclusive", key: "thread:acme:t1" },
    "turn/steer": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "turn/interrupt": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "turn/settings/update": { params: { threadId: "t1", turnId: "u1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/compact/start": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "review/start": {
      params: { threadId: "t1", target: { type: "custom", instructions: "look" } },
      kind: "exclusive",
      key: "thread:acme:t1",
    },
    "collaborationMode/list": { params: {}, kind: "unkeyed" },
    "thread/goal/get": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/goal/clear": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/settings/update": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/turns/list": { params: { threadId: "t1" }, kind: "unkeyed", key: "thread:acme:t1" },
    "thread/items/list": { params: { threadId: "t1" }, kind: "unkeyed", key: "thread:acme:t1" },
    "thread/timeline/list": { params: { threadId: "t1" }, kind: "unkeyed", key: "thread:acme:t1" },
    "thread/inject_items": { params: { threadId: "t1", items: [] }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/readState/update": { params: { threadId: "t1" }, kind: "exclusive", key: "thread:acme:t1" },
    "thread/realtime/list": { params: { threadId: "t1" }, kind: "unkeyed" },
    // Unkeyed: tenant-wide reads of committed state; the cancels must overtake the search they name.
    "thread/search": { params: { searchTerm: "x" }, kind: "unkeyed" },
    "thread/search/stream": { params: { searchTerm: "x" }, kind: "unkeyed" },
    "thread/search/cancel": { params: { requestId: 1 }, kind: "unkeyed" },
    "thread/search/stream/cancel": { params: { requestId: "r" }, kind: "unkeyed" },
    // Unkeyed reads of one thread's append-only items (as Codex's thread/items/list), with read-your-writes.
    "thread/searchOccurrences": { params: { threadId: "t1", searchTerm: "x" }, kind: "unkeyed", key: "thread:acme:t1" },
    "thread/items/read": { params: { threadId: "t1", turnId: "u", itemIds: ["i"] }, kind: "unkeyed", key: "thread:acme:t1" },
    // Unkeyed: a sample reads committed history and waits for a model call it must not hold the
    // thread's lane for (behind the connection's own writes to the thread); its cancel must overtake it.
    "thread/sample": { params: { threadId: "t1", expectedTurnId: "u", prompt: "p" }, kind: "unkeyed", key: "thread:acme:t1" },
    "thread/sample/cancel": { params: { requestId: 1 }, kind: "unkeyed" },
    // A read of a thread's state that always refuses (no Guardian-reviewable calls here), behind the connection's own writes.
    "thread/guardianReview": { params: { threadId: "t1" }, kind: "unkeyed", key: "thread:acme:t1" },
    // Exclusive: an approved denial joins the thread's model history.
    "thread/approveGuardianDeniedAction": { params: { threadId: "t1", event: {} }, kind: "exclusive", key: "thread:acme:t1" },
    // Unkeyed: feedback changes nothing of its thread; kept once per command id.
    "feedback/upload": { params: { classification: "bug" }, kind: "unkeyed" },
    "switchyard/environments/list": { params: {}, kind: "unkeyed" },
    "switchyard/environments/pairing/claim": { params: { pairingCode: "p" }, kind: "unkeyed" },
  };

  test("every method's scope is pinned: lane kind and tenant-qualified key", () => {
    for (const [method, expected] of Object.entries(scopeTable)) {
      const spec = methodRegistry.get(method);
      assert.ok(spec, `${method} is registered`);
      assert.equal(spec.scope.kind, expected.kind, method);
      const scope = spec.scope;
      const caller = { subject: "u1" };
      const key =
        scope.kind === "unkeyed"
          ? scope.readYourWrites &&
            scopeKey(scope.readYourWrites.family, "acme", scope.readYourWrites.id(expected.params, caller))
          : scopeKey(scope.family, "acme", scope.id(expected.params, caller));
      assert.equal(key, expected.key, `${method} key`);
    }
    assert.deepEqual(Object.keys(scopeTable).sort(), [...methodRegistry.keys()].sort(), "every registered method is pinned");
  });

  test("every method has an owner, a scope and schemas; keyed scopes name their key", () => {
    for (const spec of methodRegistry.values()) {
      assert.ok(["gateway", "thread", "config", "remote-control"].includes(spec.owner));
      if (spec.scope.kind !== "unkeyed") assert.equal(typeof spec.scope.id, "function");
    }
    assert.equal(methodRegistry.get("thread/name/set")?.scope.kind, "exclusive");
    assert.equal(lookupMethod("thread/realtime/start").kind, "codexOnly");
    assert.equal(lookupMethod("nope/nope").kind, "unknown");
    // Service-to-service methods are routed on the bus but unknown to clients.
    assert.equal(methodRegistry.get("internal/config/resolveThread")?.internal, true);
    assert.equal(lookupMethod("internal/config/resolveThread").kind, "unknown");
  });

  test("a method whose announcements are about one thread names it: by its params, or as the gateway's new thread", () => {
    const about: Record<string, string> = {};
    for (const spec of methodRegistry.values()) {
      if (!spec.announcesThread) continue;
      about[spec.method] = spec.announcesThread;
      assert.ok(spec.announcedAfterAnswer, `${spec.method} announces something after its answer`);
      if (spec.announcesThread === "params") assert.ok(spec.threadId, `${spec.method} names a thread in params.threadId`);
      else assert.equal(spec.namesNewThread, true, `${spec.method} has the gateway name its thread`);
    }
    assert.equal(about["thread/start"], "new");
    assert.equal(about["thread/name/set"], "params");
    assert.equal(about["turn/start"], "params", "a turn/start holds what is about its own thread only");
    // A fork announces its new thread, which the service names: any thread's announcements wait.
    assert.equal(about["thread/fork"], undefined);
  });

  test("a read asked again when late (readOnly) is an unkeyed read on the bus with no effect beyond its answer", () => {
    const readOnly = [...methodRegistry.values()].filter((spec) => spec.readOnly);
    for (const spec of readOnly) {
      assert.equal(spec.scope.kind, "unkeyed", `${spec.method}: the keyed lane redelivers on its own`);
      assert.notEqual(spec.owner, "gateway", `${spec.method} travels on the bus`);
      for (const effect of [
        "subscribesCallerTo",
        "subscribesCallerFirst",
        "unsubscribesCallerFrom",
        "namesNewThread",
        "announcedAfterAnswer",
      ] as const) {
        assert.equal(spec[effect], undefined, `${spec.method} has no ${effect}`);
      }
    }
    const names = new Set(readOnly.map((spec) => spec.method));
    for (const read of [
      "thread/read",
      "thread/list",
      "thread/turns/list",
      "thread/timeline/list",
      "thread/items/read",
      "thread/searchOccurrences",
      "model/list",
      "switchyard/environments/list",
      "thread/backgroundTerminals/clean",
      "thread/backgroundTerminals/terminate",
    ]) {
      assert.ok(names.has(read), `${read} is read-only`);
    }
    // Writes, a read that streams notifications before its answer, and a cancellable search are not read-only.
    for (const other of [
      "thread/start",
      "thread/sample",
      "thread/search",
      "thread/search/stream",
      "switchyard/configLock/export",
      "switchyard/secret/set",
    ]) {
      assert.ok(!names.has(other), `${other} is not read-only`);
    }
  });

  test("a scope holds only its kind's fields (a mark put inside it by mistake would be silently ignored)", () => {
    const fields = {
      unkeyed: ["kind", "readYourWrites"],
      exclusive: ["kind", "family", "id"],
      sharedRead: ["kind", "family", "id"],
    };
    for (const spec of methodRegistry.values()) {
      for (const field of Object.keys(spec.scope)) {
        assert.ok(fields[spec.scope.kind].includes(field), `${spec.method}: scope.${field} is not a scope field`);
      }
    }
  });

  test("a write asked again when late (repeatable) has a reason a second ask is harmless", () => {
    const repeatable = [...methodRegistry.values()].filter((spec) => spec.repeatable);
    const byReason = (reason: string) =>
      repeatable
        .filter((spec) => spec.repeatable === reason)
        .map((spec) => spec.method)
        .sort();
    assert.deepEqual(byReason("namedThread"), ["thread/start"]);
    assert.deepEqual(byReason("threadUpsert"), [
      "internal/config/forkThread",
      "internal/config/resolveThread",
      "switchyard/configLock/export",
    ]);
    // A second ask answered from what the first stored: test/config-secrets.test.ts, test/remote-control.test.ts, test/hedged-requests.test.ts, test/interop-feedback.test.ts.
    assert.deepEqual(byReason("commandLedger"), [
      "feedback/upload",
      "switchyard/environments/pairing/claim",
      "switchyard/secret/delete",
      "switchyard/secret/set",
    ]);
    assert.deepEqual(byReason("idempotent"), ["thread/sample/cancel", "thread/search/cancel", "thread/search/stream/cancel"]);
    for (const spec of repeatable) {
      assert.equal(spec.scope.kind, "unkeyed", spec.method);
      assert.notEqual(spec.owner, "gateway", spec.method);
      assert.equal(spec.readOnly, undefined, `${spec.method} is one or the other`);
      assert.ok(mayAskAgain(spec), spec.method);
      assert.equal(
        spec.repeatable === "namedThread",
        spec.namesNewThread === true,
        `${spec.method}: the gateway names its thread`,
      );
      if (spec.repeatable !== "threadUpsert") continue;
      // Its writes are keyed by the thread its params name: the id is in every valid params.
      const shape = (spec.params as unknown as { shape?: Record<string, unknown> }).shape ?? {};
      assert.ok("threadId" in shape, `${spec.method}: the thread it writes for is named in its params`);
    }
    // What is never asked again: keyed methods (JetStream redelivers), and the unkeyed rest, by name.
    const neverAskedAgain = [...methodRegistry.values()]
      .filter((spec) => spec.scope.kind === "unkeyed" && spec.owner !== "gateway" && !mayAskAgain(spec))
      .map((spec) => spec.method)
      .sort();
    // A sample asked twice would pay for two model calls; a search would run its heaviest query twice.
    assert.deepEqual(neverAskedAgain, ["thread/sample", "thread/search", "thread/search/stream"]);
  });
});

describe("config layer versions", () => {
  test("sha256 of the compact JSON with sorted keys; an empty layer hashes {}", async () => {
    const { configLayerVersion } = await import("./config-version.js");
    const { createHash } = await import("node:crypto");
    const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
    assert.equal(configLayerVersion({}), sha("{}"));
    assert.equal(configLayerVersion({ b: 1, a: { d: [1, "x"], c: null } }), sha('{"a":{"c":null,"d":[1,"x"]},"b":1}'));
  });
});
