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
});
