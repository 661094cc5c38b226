import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SwitchyardError } from "@switchyard/protocol";
import type { ConfigStore } from "../store/config-store.js";
import { type CatalogEntry, ModelCatalog, modelPage, parseModelCatalog } from "./model-catalog.js";
import { pageOf } from "./pages.js";

/** The message of the SwitchyardError `work` throws (it must throw one). */
function messageOf(work: () => unknown): string {
  let message = "";
  assert.throws(work, (error) => {
    if (!(error instanceof SwitchyardError)) return false;
    message = error.message;
    return true;
  });
  return message;
}

/** A Codex `models.json` model with the fields Codex requires. */
const codexModel = (slug: string, fields: Record<string, unknown> = {}) => ({
  slug,
  display_name: slug,
  supported_reasoning_levels: [{ effort: "medium", description: "Balanced" }],
  visibility: "list",
  supported_in_api: true,
  priority: 0,
  shell_type: "shell_command",
  base_instructions: "…",
  ...fields,
});

/** A model in Switchyard's own form (the wire Model and its extras). */
const ownModel = (model: string, fields: Partial<CatalogEntry> = {}): CatalogEntry => ({
  id: model,
  model,
  displayName: model,
  description: "",
  hidden: false,
  isDefault: false,
  defaultReasoningEffort: "medium",
  supportedReasoningEfforts: [],
  ...fields,
});

describe("model catalogs", () => {
  test("Codex's form is kept as Codex answers it: by priority, its window and share, the rest dropped", () => {
    const [first, second] = parseModelCatalog({
      models: [
        codexModel("late", { priority: 7, context_window: 400_000, effective_context_window_percent: 80 }),
        codexModel("early", {
          priority: 1,
          visibility: "none",
          description: null,
          upgrade: { model: "late", migration_markdown: "m" },
        }),
      ],
    });
    assert.deepEqual(first, {
      id: "early",
      model: "early",
      displayName: "early",
      description: "",
      hidden: true,
      isDefault: false,
      defaultReasoningEffort: "none",
      supportedReasoningEfforts: [{ reasoningEffort: "medium", description: "Balanced" }],
      inputModalities: ["text", "image"],
      upgrade: "late",
      upgradeInfo: { model: "late", upgradeCopy: null, modelLink: null, migrationMarkdown: "m", retirementAt: null },
      serviceTiers: [],
      additionalSpeedTiers: [],
      defaultServiceTier: null,
      contextWindow: null,
      effectiveContextWindowPercent: 95,
      supportedInApi: true,
    });
    assert.equal(second?.model, "late");
    assert.deepEqual([second?.contextWindow, second?.effectiveContextWindowPercent], [400_000, 80]);
    assert.equal("base_instructions" in (second as object), false);
  });

  test("a model either form refuses is named, with the field and why", () => {
    assert.match(
      messageOf(() => parseModelCatalog({ models: [codexModel("ok"), codexModel("broken", { display_name: undefined })] })),
      /^model 1 \(broken\): display_name: /,
    );
    assert.match(
      messageOf(() => parseModelCatalog([codexModel("odd", { visibility: "sometimes" })])),
      /^model 0 \(odd\): visibility: /,
    );
    assert.match(
      messageOf(() => parseModelCatalog([ownModel("mine"), { model: "half", id: "half" }])),
      /^model 1 \(half\): displayName: /,
    );
    assert.match(
      messageOf(() => parseModelCatalog([ownModel("wide", { contextWindow: -5 })])),
      /^model 0 \(wide\): contextWindow: /,
    );
    assert.match(
      messageOf(() => parseModelCatalog({ model: [] })),
      /an array of models/,
    );
    // Both forms in one catalog; Switchyard's keep their place (priority 0).
    assert.deepEqual(
      parseModelCatalog([codexModel("codex-form", { priority: -1 }), ownModel("own-form", { provider: "acme" })]).map((m) => [
        m.model,
        m.provider,
      ]),
      [
        ["codex-form", undefined],
        ["own-form", "acme"],
      ],
    );
  });

  test("model/list: the configured model is the default, else the first not hidden; extras never sent", () => {
    const entries = parseModelCatalog([
      ownModel("secret", { hidden: true }),
      ownModel("first", { contextWindow: 1_000, effectiveContextWindowPercent: 50, provider: "acme" }),
      ownModel("second"),
      codexModel("chatgpt-only", { supported_in_api: false, priority: 0 }),
    ]);
    const list = (model: string, params = {}) => modelPage(entries, { model, model_provider: "acme" }, params).data;
    assert.deepEqual(
      list("second", { includeHidden: true }).map((m) => [m.model, m.isDefault]),
      [
        ["secret", false],
        ["first", false],
        ["second", true],
      ],
    );
    assert.deepEqual(
      list("elsewhere").map((m) => [m.model, m.isDefault]),
      [
        ["first", true],
        ["second", false],
      ],
    );
    for (const model of list("first", { includeHidden: true })) {
      for (const extra of ["provider", "contextWindow", "effectiveContextWindowPercent", "supportedInApi"]) {
        assert.equal(extra in model, false, `${model.model} carries ${extra}`);
      }
    }
    // Another provider's model is not listed for this one.
    assert.deepEqual(
      modelPage(entries, { model: "second", model_provider: "other" }, {}).data.map((m) => m.model),
      ["second"],
    );
  });

  test("pages as Codex's: decimal offsets, at least one entry, refusals in Codex's words", () => {
    const all = ["a", "b", "c"];
    assert.deepEqual(pageOf(all, undefined, 2, "models"), { page: ["a", "b"], nextCursor: "2" });
    assert.deepEqual(pageOf(all, "2", 2, "models"), { page: ["c"], nextCursor: null });
    assert.deepEqual(pageOf(all, "+1", 0, "models"), { page: ["b"], nextCursor: "2" });
    assert.deepEqual(pageOf(all, "3", null, "models"), { page: [], nextCursor: null });
    assert.equal(
      messageOf(() => pageOf(all, "4", null, "models")),
      "cursor 4 exceeds total models 3",
    );
    assert.equal(
      messageOf(() => pageOf(all, "Mg", null, "models")),
      "invalid cursor: Mg",
    );
    assert.equal(
      messageOf(() => pageOf(all, "18446744073709551616", null, "models")),
      "invalid cursor: 18446744073709551616",
    );
  });

  test("a model's service tiers: its entry's (its provider's first), none for a model not listed", async () => {
    /** A catalog over a tenant's stored document (none: the tenant imported no catalog). */
    const catalogWith = (stored: unknown, deploymentTiers?: string[]) =>
      new ModelCatalog(
        { readDocument: async () => stored } as unknown as ConfigStore,
        { model: "house", modelProvider: "openai" },
        deploymentTiers,
      );
    // No catalog imported: the deployment's default model offers the priority tier, for any provider,
    // and lists it in model/list as Codex lists a model's tiers; every other model offers none.
    const deployment = catalogWith(undefined);
    assert.deepEqual(await deployment.serviceTiersOf("t", "house", "openai"), ["priority"]);
    assert.deepEqual(await deployment.serviceTiersOf("t", "house", "elsewhere"), ["priority"]);
    assert.deepEqual(await deployment.serviceTiersOf("t", "other", "openai"), []);
    const [listed] = await deployment.models("t");
    assert.deepEqual([listed?.serviceTiers?.map((tier) => tier.id), listed?.additionalSpeedTiers], [["priority"], ["fast"]]);
    assert.deepEqual(await deployment.turnFacts("t", "house", "openai"), { window: undefined, serviceTiers: ["priority"] });
    // CONFIG_DEFAULT_MODEL_SERVICE_TIERS: a deployment whose provider has no priority tier offers none
    // (nor the Fast speed), or the tiers it names.
    const plain = catalogWith(undefined, []);
    assert.deepEqual(await plain.serviceTiersOf("t", "house", "openai"), []);
    const [plainListed] = await plain.models("t");
    assert.deepEqual([plainListed?.serviceTiers, plainListed?.additionalSpeedTiers], [[], []]);
    const [ownTiers] = await catalogWith(undefined, ["turbo"]).models("t");
    assert.deepEqual(ownTiers?.serviceTiers, [{ id: "turbo", name: "turbo", description: "" }]);

    const imported = catalogWith(
      parseModelCatalog([
        ownModel("tiered", { provider: "acme", serviceTiers: [{ id: "turbo", name: "Turbo", description: "" }] }),
        ownModel("tiered", { serviceTiers: [{ id: "priority", name: "Fast", description: "" }], contextWindow: 1_000 }),
        codexModel("plain", { context_window: 2_000 }),
      ]),
    );
    assert.deepEqual(await imported.serviceTiersOf("t", "tiered", "acme"), ["turbo"]);
    assert.deepEqual(await imported.serviceTiersOf("t", "tiered", "other"), ["priority"]);
    assert.deepEqual(await imported.serviceTiersOf("t", "plain", "acme"), []);
    // An imported catalog replaces the deployment's entry.
    assert.deepEqual(await imported.serviceTiersOf("t", "house", "openai"), []);
    assert.deepEqual(await imported.turnFacts("t", "tiered", "other"), {
      window: { contextWindow: 1_000, effectiveContextWindowPercent: 95 },
      serviceTiers: ["priority"],
    });
    assert.deepEqual(await imported.turnFacts("t", "unlisted", "acme"), { window: undefined, serviceTiers: [] });
  });
});
