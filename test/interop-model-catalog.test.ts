// A model catalog in Codex's own form (`models.json`, what Codex's `model_catalog_json` names),
// imported into a tenant, against the real `codex app-server` 0.171.0 reading the same file: both
// must answer model/list with the same models, and report the same context window in the usage of
// a turn on each kind of model (listed with a window and its own share, listed without one, not
// listed, and with the config's own window). Both sides' turns go to one scripted Responses server.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodex } from "./harness/beside-codex.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { assertConformant, openStackConfigAdmin } from "./harness/stack.js";

/** A model as Codex's catalog holds it: the fields Codex requires, then `fields`. */
const codexModel = (slug: string, fields: Record<string, unknown>) => ({
  slug,
  display_name: slug.toUpperCase(),
  description: `The ${slug} model.`,
  default_reasoning_level: "medium",
  supported_reasoning_levels: [
    { effort: "low", description: "Lighter reasoning" },
    { effort: "medium", description: "Balanced" },
  ],
  shell_type: "shell_command",
  visibility: "list",
  supported_in_api: true,
  priority: 5,
  upgrade: null,
  base_instructions: "You are a scripted model.",
  supports_reasoning_summaries: false,
  support_verbosity: false,
  default_verbosity: null,
  apply_patch_tool_type: null,
  truncation_policy: { mode: "bytes", limit: 10_000 },
  supports_parallel_tool_calls: false,
  experimental_supported_tools: [],
  ...fields,
});

/** Out of priority order on purpose; one hidden, one not offered to API sign-ins, one with an upgrade and tiers. */
const CATALOG = {
  models: [
    codexModel("tiered", {
      priority: 9,
      description: null,
      default_reasoning_level: undefined,
      upgrade: { model: "wide", migration_markdown: "Move to wide." },
      service_tiers: [{ id: "priority", name: "Fast", description: "Faster, more usage" }],
      additional_speed_tiers: ["fast"],
      default_service_tier: "priority",
      context_window: 128_000,
      input_modalities: ["text"],
    }),
    codexModel("wide", { priority: 1, context_window: 300_000, effective_context_window_percent: 90 }),
    codexModel("unsized", { priority: 3 }),
    codexModel("hidden", { priority: 0, visibility: "hide", context_window: 64_000 }),
    codexModel("chatgpt-only", { priority: 2, supported_in_api: false, context_window: 50_000 }),
  ],
};

const text = (value: string) => [{ type: "text", text: value, text_elements: [] }];

describe("a Codex model catalog, imported, against codex app-server 0.171.0 reading the same file", () => {
  let sides: BesideCodex;
  let provider: ScriptedResponses;
  let cwd = "";

  before(async () => {
    provider = await startScriptedResponses();
    const catalogFile = join(mkdtempSync(join(tmpdir(), "sy-catalog-file-")), "models.json");
    writeFileSync(catalogFile, JSON.stringify(CATALOG));
    sides = await besideCodex("model-catalog", {
      codexHome: { providerBaseUrl: provider.baseUrl, topLevel: [`model_catalog_json = "${catalogFile}"`, 'model = "wide"'] },
      stack: scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl)),
      client: { experimentalApi: true, name: "switchyard-interop" },
      prepare: async (stack) => {
        const admin = await openStackConfigAdmin(stack);
        try {
          const text = JSON.stringify(CATALOG);
          assert.match(await admin.importDocument({ tenant: "default", target: "model-catalog", text }), /imported 5 models/);
          // The tenant's model, as the binary's config.toml sets it.
          await admin.importDocument({ tenant: "default", target: "system", text: 'model = "wide"\n' });
        } finally {
          await admin.close();
        }
      },
    });
    cwd = sides.serverCwd;
  });
  after(async () => {
    await sides?.stop();
    await provider?.close();
  });

  test("model/list: the same models, in Codex's order, with Codex's default", async () => {
    // Pages too: Codex's cursor is the offset, a page holds at least one model, and a cursor past
    // the end is refused in Codex's words.
    const pages = [{ includeHidden: true }, {}, { limit: 2 }, { limit: 0, cursor: "1" }, { cursor: "4" }, { cursor: "5" }];
    for (const params of [...pages, { cursor: "Mg" }, { cursor: "-1" }]) {
      const theirs = await sides.codex.request("model/list", params);
      const ours = await sides.client.request("model/list", params);
      assert.deepEqual(ours.result, theirs.result, `model/list ${JSON.stringify(params)}`);
      assert.deepEqual(
        ours.error && { code: ours.error.code, message: ours.error.message },
        theirs.error,
        `model/list ${JSON.stringify(params)}`,
      );
    }
    const listed = (await sides.client.call("model/list", { includeHidden: true })).data;
    assert.deepEqual(
      listed.map((model: { model: string; isDefault: boolean; hidden: boolean }) => [model.model, model.isDefault, model.hidden]),
      [
        ["hidden", false, true],
        ["wide", true, false],
        ["unsized", false, false],
        ["tiered", false, false],
      ],
      "by priority; not the model only ChatGPT sign-ins are offered; the configured model is the default",
    );
    assertConformant();
  });

  test("a turn's usage names the window Codex names, for each kind of model", async () => {
    /** The windows the usage of one turn on a new thread of `model` named, on one side. */
    const windows = async (
      start: (params: Record<string, unknown>) => Promise<string>,
      turn: (threadId: string) => Promise<{ method: string; params: any }[]>,
      model: string | undefined,
    ) => {
      const threadId = await start({ cwd, ...(model ? { model } : {}) });
      provider.script({ text: `an answer from ${model ?? "the configured model"}` });
      const heard = await turn(threadId);
      const usage = heard.filter((n) => n.method === "thread/tokenUsage/updated");
      assert.ok(usage.length > 0, `a usage update on ${model}`);
      return [...new Set(usage.map((n) => n.params.tokenUsage.modelContextWindow))];
    };
    const onCodex = (model?: string) =>
      windows(
        async (params) => {
          const started = await sides.codex.request("thread/start", params);
          assert.equal(started.error, undefined, JSON.stringify(started.error));
          return started.result.thread.id as string;
        },
        async (threadId) => {
          const from = sides.codex.notifications.length;
          const reply = await sides.codex.request("turn/start", { threadId, input: text("hello") });
          assert.equal(reply.error, undefined, JSON.stringify(reply.error));
          await sides.codex.waitForNotification((n) => n.method === "turn/completed" && n.params.threadId === threadId, 30_000);
          return sides.codex.notifications.slice(from).filter((n) => n.params?.threadId === threadId);
        },
        model,
      );
    const onSwitchyard = (model?: string) =>
      windows(
        async (params) => (await sides.client.call("thread/start", params)).thread.id as string,
        async (threadId) => {
          const from = sides.client.notifications.length;
          await sides.client.call("turn/start", { threadId, input: text("hello") });
          await sides.client.waitForNotification((n) => n.method === "turn/completed" && n.params.threadId === threadId, 30_000);
          return sides.client.notifications.slice(from).filter((n) => n.params?.threadId === threadId);
        },
        model,
      );
    const expected: [string | undefined, number | null][] = [
      [undefined, 270_000], // the configured `wide`: 90% of its 300,000
      ["tiered", 121_600], // 95% (Codex's default share) of 128,000
      ["unsized", null], // listed without a window
      ["elsewhere", 258_400], // not listed: Codex's fallback, 95% of 272,000
      ["chatgpt-only", 47_500], // not offered in model/list, but its window still counts
    ];
    for (const [model, window] of expected) {
      assert.deepEqual(await onCodex(model), [window], `codex, ${model ?? "configured"}`);
      assert.deepEqual(await onSwitchyard(model), [window], `switchyard, ${model ?? "configured"}`);
    }
    assertConformant();
  });
});
