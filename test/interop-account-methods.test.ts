// Methods about the signed-in account and the local machine that a cloud session answers as the real
// `codex app-server` 0.171.0 answers them without a ChatGPT sign-in (Switchyard's clients authenticate
// to the gateway, never to OpenAI), and plugins with no marketplace on the machine: the same requests, with no params, empty ones and ones with a
// field neither knows, must get the same answers and refusals from both.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodex } from "./harness/beside-codex.js";
import { assertConformant } from "./harness/stack.js";

const METHODS = [
  "account/rateLimits/read",
  "account/usage/read",
  "account/workspaceMessages/read",
  "account/logout",
  "account/securitySetup/read",
  "accountSession/list",
  "externalAgentConfig/detect",
  "userVerification/status",
  "userVerification/enroll",
  "userVerification/delete",
  "userVerification/verify",
  "userVerification/cancel",
  "rollout/compress",
  "account/login/cancel",
  "accountSession/switch",
  "account/rateLimitResetCredit/consume",
  "account/sendAddCreditsNudgeEmail",
  "account/bedrock/discover",
  "mcpServer/event/stream/stop",
  "externalAgentConfig/import/readHistories",
  "thread/timeline/list",
  "plugin/list",
  "plugin/search",
  "plugin/share/list",
  "plugin/read",
  "plugin/skill/read",
  "plugin/install",
  "plugin/uninstall",
  "plugin/reconcile",
  "marketplace/remove",
  "marketplace/upgrade",
  "plugin/share/save",
  "plugin/share/updateTargets",
  "plugin/share/checkout",
  "plugin/share/delete",
  "skills/extraRoots/set",
  "app/list",
  "app/installed",
  "thread/attachment/list",
  "windowsSandbox/readiness",
  "mcpServer/event/stream/start",
  "thread/prediction/request",
  "environment/info",
  "environment/status",
];

/** Params a method takes beyond the common variants: well-formed ones, and each field wrong. */
const EXTRA: Record<string, unknown[]> = {
  "plugin/search": [
    { searchTerm: "x" },
    { searchTerm: "", scope: "personal", limit: 5, cursor: "garbage", cwds: ["/w"] },
    { searchTerm: "x", scope: "bogus" },
    { searchTerm: "x", cwds: ["relative"] },
    { searchTerm: "x", limit: -1 },
  ],
  // A plugin's marketplace: a file (there is none on either side's machine), the remote catalog (no
  // ChatGPT sign-in), both, neither, a relative path.
  "plugin/read": [
    { pluginName: "p", marketplacePath: "/nope/marketplace.json" },
    { pluginName: "p", remoteMarketplaceName: "openai-curated" },
    { pluginName: "p", marketplacePath: "/nope", remoteMarketplaceName: "r" },
    { pluginName: "p", marketplacePath: null },
    { pluginName: "p", marketplacePath: "relative/path" },
    { pluginName: 5 },
  ],
  "plugin/install": [
    { pluginName: "p", marketplacePath: "/nope", installAttemptId: "a" },
    { pluginName: "p", remoteMarketplaceName: "r" },
    { pluginName: "p" },
  ],
  "plugin/skill/read": [{ remoteMarketplaceName: "r", remotePluginId: "p", skillName: "s" }, { remoteMarketplaceName: "r" }],
  "plugin/uninstall": [{ pluginId: "name@marketplace" }, { pluginId: "remote-id" }, { pluginId: "" }],
  "plugin/reconcile": [{ reason: "r" }, { reason: 5 }],
  "marketplace/remove": [{ marketplaceName: "m" }],
  "marketplace/upgrade": [{ marketplaceName: "m" }, { marketplaceName: null }],
  "plugin/share/save": [{ pluginPath: "/nope" }, { pluginPath: "relative" }],
  "plugin/share/updateTargets": [{ remotePluginId: "p", discoverability: "UNLISTED", shareTargets: [] }, { remotePluginId: "p" }],
  "plugin/share/checkout": [{ remotePluginId: "p" }],
  "plugin/share/delete": [{ remotePluginId: "p" }],
  "skills/extraRoots/set": [{ extraRoots: [] }, { extraRoots: ["/x"] }, { extraRoots: ["relative"] }],
  // A well-formed verification (then unavailable), and each kind of malformed input (-32602 first).
  "userVerification/verify": [
    { challenge: "AAEC", description: "d", title: "t" },
    { challenge: "AAEC", description: "", title: "t" },
    { challenge: "", description: "d", title: "t" },
    { challenge: "AA==", description: "d", title: "t" },
    { challenge: "A", description: "d", title: "t" },
    { challenge: "a+b/", description: "d", title: "t" },
    { challenge: "A".repeat(5464), description: "d", title: "t" },
    { challenge: "AAEC", description: "d", title: "" },
    { challenge: "AAEC", description: "d", title: "é".repeat(129) },
    { challenge: "AAEC", description: "d".repeat(4097), title: "t" },
    { challenge: "AAEC", description: "d", title: "t", extra: 1 },
    { challenge: "AAEC" },
  ],
  "account/login/cancel": [
    { loginId: "x" },
    { loginId: "019a0000-0000-7000-8000-000000000000" },
    { loginId: "urn:uuid:019a0000-0000-7000-8000-000000000000" },
    { loginId: "019A0000000070008000000000000000" },
  ],
  "accountSession/switch": [
    { sessionId: "s", accountId: "a" },
    { sessionId: "s", accountId: "a", allowBrowserLogin: true },
    { sessionId: "s" },
  ],
  "account/rateLimitResetCredit/consume": [{ idempotencyKey: "k" }, { idempotencyKey: "k", creditId: "c" }],
  "account/sendAddCreditsNudgeEmail": [{ creditType: "credits" }, { creditType: "usage_limit" }, { creditType: "x" }],
  "mcpServer/event/stream/stop": [{ subscriptionId: "s" }],
  "mcpServer/event/stream/start": [
    { threadId: "019a0000-0000-7000-8000-000000000000", server: "s", name: "n", arguments: {}, subscriptionId: "sub" },
    { threadId: "not-an-id", server: "s", name: "n", arguments: null, subscriptionId: "sub" },
    { threadId: "t", server: "s", name: "n", subscriptionId: "sub" },
  ],
  "thread/prediction/request": [{ threadId: "019a0000-0000-7000-8000-000000000000", sourceTurnId: "t" }],
  // Not `local`: the binary's own machine, which a cloud thread does not run on (unknown here).
  "environment/info": [{ environmentId: "remote-1" }, { environmentId: "" }, { environmentId: 5 }],
  "environment/status": [{ environmentId: "remote-1" }, { environmentId: "" }, { environmentId: 5 }],
  "userVerification/cancel": [{ requestId: 1 }, { requestId: "abc" }, { requestId: 1, extra: 1 }, { requestId: null }],
};

/** No params, empty params, a field nobody knows, and a wrong type. */
const PARAMS: unknown[] = [undefined, {}, { bogus: 1 }, "text"];

describe("account and machine methods beside codex app-server 0.171.0 (no sign-in)", () => {
  let sides: BesideCodex;

  before(async () => {
    sides = await besideCodex("account-methods", { client: { experimentalApi: true } });
  });
  after(async () => {
    await sides?.stop();
  });

  test("the same answers and refusals", async () => {
    const outcome = (reply: { result?: unknown; error?: { code: number; message: string } }) =>
      reply.error ? { code: reply.error.code, message: reply.error.message } : { result: reply.result };
    const threadId = "019a0000-0000-7000-8000-000000000000";
    for (const method of METHODS) {
      const variants = [
        ...PARAMS,
        ...(method.startsWith("thread/") ? [{ threadId }, { threadId, limit: -1 }] : []),
        ...(EXTRA[method] ?? []),
      ];
      for (const params of variants) {
        const theirs = outcome(await sides.codex.request(method, params));
        const ours = outcome(await sides.client.request(method, params));
        assert.deepEqual(ours, theirs, `${method} ${JSON.stringify(params)}`);
      }
    }
    assertConformant();
  });

  test("remote control of the server itself: disabled, and every change refused as Codex refuses it without a sign-in", async () => {
    /** The answer with what names the server (its host name, its installation) as placeholders. */
    const outcome = (reply: { result?: any; error?: { code: number; message: string } }) =>
      reply.error
        ? { code: reply.error.code, message: reply.error.message }
        : {
            result: {
              ...reply.result,
              serverName: typeof reply.result.serverName,
              installationId: typeof reply.result.installationId,
            },
          };
    const steps: [string, unknown][] = [
      ...[undefined, null, {}, { x: 1 }, [], 5].map((params) => ["remoteControl/status/read", params] as [string, unknown]),
      ...[undefined, null, {}, { x: 1 }, { ephemeral: false }, { ephemeral: null }, { ephemeral: "y" }].flatMap((params) => [
        ["remoteControl/enable", params] as [string, unknown],
        ["remoteControl/disable", params] as [string, unknown],
      ]),
      ["remoteControl/disable", { ephemeral: true }],
      ...[undefined, {}, { manualCode: true }, { manualCode: "x" }].map(
        (params) => ["remoteControl/pairing/start", params] as [string, unknown],
      ),
      ...[
        undefined,
        {},
        { pairingCode: null },
        { pairingCode: "abc" },
        { manualPairingCode: "abc" },
        { pairingCode: "", manualPairingCode: null },
        { pairingCode: "a", manualPairingCode: "b" },
        { pairingCode: 5 },
      ].map((params) => ["remoteControl/pairing/status", params] as [string, unknown]),
      ...[
        undefined,
        {},
        { environmentId: "env" },
        { environmentId: "" },
        { environmentId: " ", cursor: "c", limit: 5, order: "desc" },
        { environmentId: "env", limit: -1 },
        { environmentId: "env", order: "up" },
      ].map((params) => ["remoteControl/client/list", params] as [string, unknown]),
      ...[
        { environmentId: "env", clientId: "c" },
        { environmentId: "env" },
        { environmentId: "", clientId: "" },
        { environmentId: "env", clientId: "" },
      ].map((params) => ["remoteControl/client/revoke", params] as [string, unknown]),
      ["remoteControl/status/read", undefined],
    ];
    for (const [method, params] of steps) {
      const theirs = outcome(await sides.codex.request(method, params));
      const ours = outcome(await sides.client.request(method, params));
      assert.deepEqual(ours, theirs, `${method} ${JSON.stringify(params)}`);
    }
    const status = await sides.client.call("remoteControl/status/read");
    assert.deepEqual(status, {
      status: "disabled",
      serverName: "switchyard",
      installationId: status.installationId,
      environmentId: null,
    });
    // The one difference kept: an ephemeral enable has Codex try to connect to ChatGPT's relay (it
    // answers `connecting`), which a Switchyard gateway never does; it is refused in Codex's words.
    assert.equal((await sides.codex.request("remoteControl/enable", { ephemeral: true })).result?.status, "connecting");
    assert.equal(
      (await sides.client.request("remoteControl/enable", { ephemeral: true })).error?.message,
      "remote control requires ChatGPT authentication",
    );
    await sides.codex.request("remoteControl/disable", { ephemeral: true });
    assertConformant();
  });

  test("user verification's refusals carry Codex's own data; server/diagnostics describes the answering process", async () => {
    for (const [method, params] of [
      ["userVerification/enroll", {}],
      ["userVerification/verify", { challenge: "AAEC", description: "d", title: "t" }],
      ["userVerification/verify", { challenge: "", description: "d", title: "t" }],
    ] as const) {
      const theirs = await sides.codex.request(method, params);
      const ours = await sides.client.request(method, params);
      assert.deepEqual(ours.error, theirs.error, `${method} ${JSON.stringify(params)}`);
    }
    const theirs = (await sides.codex.request("server/diagnostics", {})).result;
    const ours = await sides.client.call("server/diagnostics", {});
    const shape = (answer: any) =>
      Object.fromEntries(Object.entries(answer.process).map(([key, value]) => [key, value === null ? null : typeof value]));
    assert.deepEqual(shape(ours), shape(theirs));
    // Codex adds gauges for what it runs (live threads, queued requests); the gateway reports its requests in flight.
    const gaugeNames = (answer: any) => answer.gauges.map((gauge: { name: string }) => gauge.name);
    assert.deepEqual(gaugeNames(ours), ["app.requests.in_flight"]);
    assert.ok(gaugeNames(theirs).includes("app.requests.in_flight"));
    assert.ok(ours.process.residentMemoryBytes > 10_000_000, "the gateway's resident memory");
    assert.equal(ours.gauges[0].value, 1, "this request, the only one in flight");
  });
});
