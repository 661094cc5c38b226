// A model catalog in Codex's own form (`models.json`, what Codex's `model_catalog_json` names),
// imported into a tenant, against the real `codex app-server` 0.171.0 reading the same file: both
// must answer model/list with the same models, and report the same context window in the usage of
// a turn on each kind of model (listed with a window and its own share, listed without one, not
// listed, and with the config's own window), and show and send a session's service tier alike (the
// tiers a model's entry lists). Both sides' turns go to one scripted Responses server.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodex, type Side, sidesOf } from "./harness/beside-codex.js";
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

/**
 * Out of priority order on purpose; one hidden, one not offered to API sign-ins, one with an upgrade
 * and the priority tier, one with tiers of its own.
 */
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
    codexModel("turbo", {
      priority: 6,
      service_tiers: [
        { id: "turbo", name: "Turbo", description: "A tier of this model's own" },
        { id: "flex", name: "Flex", description: "Slower, cheaper" },
      ],
    }),
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
          assert.match(await admin.importDocument({ tenant: "default", target: "model-catalog", text }), /imported 6 models/);
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
        ["turbo", false, false],
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

  test("service tiers: a session's tier is shown as its model offers it, and its model requests carry it, as Codex's", async () => {
    /** Each step on one side: what it answered or announced, and the `service_tier` of its model request ("-": none). */
    const play = async (side: Side) => {
      const seen: Record<string, string> = {};
      const call = async (method: string, params: Record<string, unknown>) => {
        const reply = await side.request(method, params);
        if (reply.error) throw new Error(`${side.name} ${method} ${JSON.stringify(params)}: ${reply.error.message}`);
        return reply.result;
      };
      /** The tier a turn's model request carried. */
      const turn = async (threadId: string, overrides: Record<string, unknown> = {}) => {
        const from = provider.requests.length;
        const started = await call("turn/start", { threadId, input: text("hello"), ...overrides });
        await side.turnCompleted(started.turn.id);
        const [request] = provider.requests.slice(from) as { service_tier?: string }[];
        assert.ok(request, `${side.name}: the turn's model request`);
        return request.service_tier ?? "-";
      };
      /** The tiers thread/settings/updated announced while `step` ran. */
      const announcedDuring = async (step: () => Promise<unknown>) => {
        const heard = side.heardFrom();
        await step();
        await new Promise((resolve) => setTimeout(resolve, 200));
        return JSON.stringify(
          heard()
            .filter((frame) => frame.method === "thread/settings/updated")
            .map((frame) => frame.params.threadSettings.serviceTier),
        );
      };
      /** A stored thread, not loaded: named (so it has a rollout), updated, archived and brought back. */
      const storedAfter = async (update: Record<string, unknown>) => {
        const threadId = (await call("thread/start", { cwd })).thread.id;
        await call("thread/name/set", { threadId, name: "stored" });
        await call("thread/settings/update", { threadId, ...update });
        await call("thread/archive", { threadId });
        await call("thread/unarchive", { threadId });
        return threadId;
      };
      // A start on each kind of model (`wide`, the configured one, has no tiers; `elsewhere` is not
      // listed) with each kind of tier: the answer, then its first turn's request.
      for (const model of ["tiered", "turbo", undefined, "elsewhere"]) {
        for (const tier of ["priority", "fast", "flex", "default", null, "turbo", "bogus", undefined]) {
          const started = await call("thread/start", {
            cwd,
            ...(model ? { model } : {}),
            ...(tier === undefined ? {} : { serviceTier: tier }),
          });
          seen[`start ${model} ${tier}`] = `${started.serviceTier} / ${await turn(started.thread.id)}`;
        }
      }
      // A turn's own tier and model: kept for the next turn, announced as given.
      for (const overrides of [
        { serviceTier: "priority", model: "tiered" },
        { serviceTier: "priority", model: "turbo" },
        { serviceTier: "fast", model: "tiered" },
        { serviceTier: "turbo", model: "turbo" },
        { serviceTier: null },
      ]) {
        const threadId = (await call("thread/start", { cwd })).thread.id;
        let first = "";
        const announced = await announcedDuring(async () => {
          first = await turn(threadId, overrides);
        });
        seen[`turn ${JSON.stringify(overrides)}`] = `${first}, then ${await turn(threadId)}; announced ${announced}`;
      }
      // A settings update of a live thread: announced as kept, whatever its model offers.
      for (const update of [{ serviceTier: "fast" }, { serviceTier: null }, { serviceTier: "priority", model: "turbo" }]) {
        const threadId = (await call("thread/start", { cwd, model: "tiered" })).thread.id;
        const announced = await announcedDuring(() => call("thread/settings/update", { threadId, ...update }));
        seen[`update ${JSON.stringify(update)}`] = `announced ${announced}; ${await turn(threadId)}`;
      }
      // A resume of a stored thread: its tier as its (resumed) model offers it; the session keeps it.
      for (const [update, overrides] of [
        [{ model: "turbo", serviceTier: "priority" }, {}],
        [{ model: "tiered", serviceTier: "priority" }, {}],
        [{ model: "tiered" }, { serviceTier: "fast" }],
        [{ model: "tiered" }, { serviceTier: null }],
        [{ model: "tiered", serviceTier: "priority" }, { model: "wide" }],
        [{ model: "turbo", serviceTier: "turbo" }, {}],
      ] as [Record<string, unknown>, Record<string, unknown>][]) {
        const threadId = await storedAfter(update);
        const resumed = await call("thread/resume", { threadId, ...overrides });
        const announced = await announcedDuring(() => call("thread/settings/update", { threadId, effort: "low" }));
        seen[`resume ${JSON.stringify(update)} ${JSON.stringify(overrides)}`] =
          `${resumed.serviceTier} ${resumed.model}; announced ${announced}; ${await turn(threadId)}`;
      }
      // A resume of a loaded thread, and forks (their tier from the config and their own overrides).
      const live = (await call("thread/start", { cwd })).thread.id;
      await call("thread/name/set", { threadId: live, name: "live" });
      await call("thread/settings/update", { threadId: live, model: "turbo", serviceTier: "priority" });
      seen["resume of a loaded thread"] = (await call("thread/resume", { threadId: live })).serviceTier;
      for (const overrides of [
        {},
        { model: "turbo", serviceTier: "turbo" },
        { serviceTier: "priority" },
        { serviceTier: null },
      ]) {
        const fork = await call("thread/fork", { threadId: live, ...overrides });
        seen[`fork ${JSON.stringify(overrides)}`] = `${fork.serviceTier} ${fork.model}; ${await turn(fork.thread.id)}`;
      }
      // A compaction's model request carries the tier as a turn's does.
      const compacted = (await call("thread/start", { cwd, serviceTier: "flex" })).thread.id;
      await turn(compacted);
      const from = provider.requests.length;
      const heard = side.heardFrom();
      await call("thread/compact/start", { threadId: compacted });
      const deadline = Date.now() + 15_000;
      while (!heard().some((frame) => frame.method === "turn/completed") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      seen.compaction = (provider.requests.slice(from) as { service_tier?: string }[]).map((r) => r.service_tier ?? "-").join();
      return seen;
    };
    const { codex, switchyard } = sidesOf(sides);
    const theirs = await play(codex);
    const ours = await play(switchyard);
    assert.deepEqual(ours, theirs);
    // What the comparison rests on, read off the binary: `default` and `flex` go with any model, any
    // other tier only with a model whose entry lists it; `fast` is `priority`, null is `default`; a
    // request carries the tier the model offers, never `default`; the session keeps the tier as given.
    assert.equal(theirs["start tiered priority"], "priority / priority");
    assert.equal(theirs["start tiered fast"], "priority / priority");
    assert.equal(theirs["start undefined priority"], "null / -");
    assert.equal(theirs["start elsewhere flex"], "flex / flex");
    assert.equal(theirs["start turbo turbo"], "turbo / turbo");
    assert.equal(theirs["start tiered turbo"], "null / -");
    assert.equal(theirs["start tiered null"], "default / -");
    assert.equal(theirs['resume {"model":"turbo","serviceTier":"priority"} {}'], 'null turbo; announced ["priority"]; -');
    assert.equal(theirs.compaction, "flex");
    assertConformant();
  });
});
