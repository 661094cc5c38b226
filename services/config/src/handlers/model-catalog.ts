// The model catalog a tenant's clients see in model/list, and the context window its turns report:
// the tenant's own (imported with `switchyard config import --layer model-catalog`), else the
// deployment's one entry (its default model). An operator imports either Switchyard's form (the
// wire `Model`, plus the provider it belongs to and its context window) or the catalog Codex itself
// reads (`models.json`, what Codex's `model_catalog_json` names), which is stored in the first form.
import { Model, SwitchyardError } from "@switchyard/protocol";
import { z } from "zod";
import type { ConfigTable } from "../model/index.js";
import type { ConfigStore } from "../store/config-store.js";
import { pageOf } from "./pages.js";

/**
 * How a model's window is reported (`thread/tokenUsage/updated`'s `modelContextWindow`): its tokens
 * (null: the catalog knows the model but not its window) and the share of them Codex reports.
 */
export interface CatalogWindow {
  contextWindow: number | null;
  effectiveContextWindowPercent: number;
}

/** Switchyard's additions to a wire `Model`; never sent to a client. */
const CatalogExtras = z.object({
  /** The provider the model belongs to (model/list filters by it); absent or null: any provider. */
  provider: z.string().nullish(),
  /** Its context window in tokens; absent or null: not known. */
  contextWindow: z.number().int().positive().nullish(),
  /** The share of the window Codex reports and plans with (Codex's default: 95). */
  effectiveContextWindowPercent: z.number().int().min(1).max(100).optional(),
  /** false: a model Codex lists only to ChatGPT sign-ins, so not in model/list here (its window still counts). */
  supportedInApi: z.boolean().optional(),
});

export const CatalogEntry = Model.extend(CatalogExtras.shape);
export type CatalogEntry = z.infer<typeof CatalogEntry>;

/** Codex's default share of a window (a catalog entry that names none). */
const DEFAULT_EFFECTIVE_PERCENT = 95;

/**
 * One model of Codex's own catalog (`models.json`): the fields Codex requires, and those that shape
 * its model/list answer or its turns' window. The rest (instructions, tool types, truncation) are
 * for Codex's runtime and are not kept.
 */
const CodexCatalogModel = z.object({
  slug: z.string().min(1),
  display_name: z.string(),
  description: z.string().nullish(),
  default_reasoning_level: z.string().nullish(),
  supported_reasoning_levels: z.array(z.object({ effort: z.string(), description: z.string() })),
  visibility: z.enum(["list", "hide", "none"]),
  supported_in_api: z.boolean(),
  priority: z.number().int(),
  upgrade: z
    .object({
      model: z.string(),
      upgrade_copy: z.string().nullish(),
      model_link: z.string().nullish(),
      migration_markdown: z.string().nullish(),
      retirement_at: z.unknown().optional(),
    })
    .nullish(),
  context_window: z.number().int().positive().nullish(),
  effective_context_window_percent: z.number().int().min(1).max(100).optional(),
  input_modalities: z.array(z.enum(["text", "image", "audio"])).optional(),
  service_tiers: z.array(z.object({ id: z.string(), name: z.string(), description: z.string() })).optional(),
  additional_speed_tiers: z.array(z.string()).optional(),
  default_service_tier: z.string().nullish(),
});
type CodexCatalogModel = z.infer<typeof CodexCatalogModel>;

/** A Codex catalog model as Codex 0.171.0 answers it in model/list (checked against the binary). */
function fromCodexCatalog(model: CodexCatalogModel): CatalogEntry {
  const { upgrade } = model;
  return {
    id: model.slug,
    model: model.slug,
    displayName: model.display_name,
    description: model.description ?? "",
    hidden: model.visibility !== "list",
    isDefault: false,
    defaultReasoningEffort: model.default_reasoning_level ?? "none",
    supportedReasoningEfforts: model.supported_reasoning_levels.map(({ effort, description }) => ({
      reasoningEffort: effort,
      description,
    })),
    inputModalities: model.input_modalities ?? ["text", "image"],
    upgrade: upgrade?.model ?? null,
    upgradeInfo: upgrade
      ? {
          model: upgrade.model,
          upgradeCopy: upgrade.upgrade_copy ?? null,
          modelLink: upgrade.model_link ?? null,
          migrationMarkdown: upgrade.migration_markdown ?? null,
          retirementAt: upgrade.retirement_at ?? null,
        }
      : null,
    serviceTiers: model.service_tiers ?? [],
    additionalSpeedTiers: model.additional_speed_tiers ?? [],
    defaultServiceTier: model.default_service_tier ?? null,
    contextWindow: model.context_window ?? null,
    effectiveContextWindowPercent: model.effective_context_window_percent ?? DEFAULT_EFFECTIVE_PERCENT,
    supportedInApi: model.supported_in_api,
  };
}

export class ModelCatalog {
  constructor(
    private readonly store: ConfigStore,
    private readonly deploymentDefault: { model: string; modelProvider: string },
    /** The tiers the deployment's default model offers (CONFIG_DEFAULT_MODEL_SERVICE_TIERS). */
    private readonly deploymentTiers: readonly string[] = ["priority"],
  ) {}

  async models(tenant: string): Promise<CatalogEntry[]> {
    return (await this.imported(tenant)) ?? [this.deploymentEntry()];
  }

  /** The tenant's imported catalog; undefined when it imported none. */
  private async imported(tenant: string): Promise<CatalogEntry[] | undefined> {
    const stored = await this.store.readDocument(tenant, "modelCatalog");
    return Array.isArray(stored) ? (stored as CatalogEntry[]) : undefined;
  }

  /**
   * The deployment's one entry, its default model, for a tenant without a catalog of its own. By
   * default it offers the priority tier ("Fast"), as every model Codex's own catalog lists does, so
   * a client can choose it; CONFIG_DEFAULT_MODEL_SERVICE_TIERS says otherwise for a provider without
   * it (an imported catalog describes each model).
   */
  private deploymentEntry(): CatalogEntry {
    const { model, modelProvider } = this.deploymentDefault;
    return {
      id: model,
      model,
      provider: modelProvider,
      displayName: model,
      description: "The deployment's default model.",
      hidden: false,
      isDefault: true,
      defaultReasoningEffort: "medium",
      supportedReasoningEfforts: ["low", "medium", "high"].map((effort) => ({
        reasoningEffort: effort,
        description: `${effort} reasoning effort`,
      })),
      defaultServiceTier: null,
      serviceTiers: this.deploymentTiers.map((id) => (id === "priority" ? FAST_TIER : { id, name: id, description: "" })),
      // Codex's catalog names the priority tier's speed "fast" (what a client's Fast mode asks for).
      additionalSpeedTiers: this.deploymentTiers.includes("priority") ? ["fast"] : [],
      inputModalities: ["text", "image"],
      upgrade: null,
    };
  }

  /**
   * The catalog entry of `model` for a thread of `provider`: in the tenant's imported catalog, the
   * entry of that provider first, then one for any provider; else the deployment's entry when it is
   * that model (whatever the provider).
   */
  private async entryFor(tenant: string, model: string, provider: string): Promise<{ entry?: CatalogEntry; imported: boolean }> {
    const stored = await this.imported(tenant);
    if (!stored) {
      const entry = this.deploymentEntry();
      return { entry: entry.model === model ? entry : undefined, imported: false };
    }
    const matching = stored.filter((entry) => entry.model === model);
    const entry =
      matching.find((candidate) => candidate.provider === provider) ?? matching.find((candidate) => !candidate.provider);
    return { entry, imported: true };
  }

  /** The service tiers `model` offers (its entry's tier ids); none for a model the catalog does not list. */
  async serviceTiersOf(tenant: string, model: string, provider: string): Promise<string[]> {
    return tiersOf((await this.entryFor(tenant, model, provider)).entry);
  }

  /**
   * What a turn on `model` takes from the catalog, in one read: its service tiers, and the window it
   * reports, from the tenant's imported catalog (undefined when that does not list the model, or the
   * tenant imported none: the deployment's entry knows no window), so its turns report Codex's fallback.
   */
  async turnFacts(tenant: string, model: string, provider: string): Promise<{ window?: CatalogWindow; serviceTiers: string[] }> {
    const { entry, imported } = await this.entryFor(tenant, model, provider);
    const window =
      entry && imported
        ? {
            contextWindow: entry.contextWindow ?? null,
            effectiveContextWindowPercent: entry.effectiveContextWindowPercent ?? DEFAULT_EFFECTIVE_PERCENT,
          }
        : undefined;
    return { window, serviceTiers: tiersOf(entry) };
  }
}

/** The priority tier as Codex's catalog names it. */
const FAST_TIER = { id: "priority", name: "Fast", description: "Faster responses, increased usage" };

const tiersOf = (entry: CatalogEntry | undefined): string[] => (entry?.serviceTiers ?? []).map((tier) => tier.id);

/**
 * What Codex 0.171.0 answers for a model's fields a catalog entry leaves out (an operator's catalog
 * may predate them): no upgrade, no availability notice or specialty, no personality, no declared
 * multi-agent runtime, no extra speed tiers, no access-program metadata.
 */
const codexModelDefaults = (): Partial<Model> => ({
  upgradeInfo: null,
  availabilityNux: null,
  modelSpecialty: null,
  supportsPersonality: false,
  multiAgentVersion: null,
  additionalSpeedTiers: [],
  serviceTiers: [],
  availableAccessPrograms: null,
});

/**
 * One page of model/list: the caller's provider's models (or every provider's). The default is the
 * effective config's model, else (as Codex) the first model listed that is not hidden.
 */
export function modelPage(
  entries: CatalogEntry[],
  effective: ConfigTable,
  params: { cursor?: string | null; limit?: number | null; includeHidden?: boolean | null; modelProvider?: string | null },
): { data: Model[]; nextCursor: string | null } {
  const provider = params.modelProvider ?? (typeof effective.model_provider === "string" ? effective.model_provider : null);
  const effectiveModel = typeof effective.model === "string" ? effective.model : null;
  const offered = entries.filter(
    (entry) => entry.supportedInApi !== false && (!entry.provider || !provider || entry.provider === provider),
  );
  const defaultModel =
    effectiveModel && offered.some((entry) => entry.model === effectiveModel)
      ? effectiveModel
      : (offered.find((entry) => !entry.hidden)?.model ?? null);
  const data = offered
    .filter((entry) => params.includeHidden || !entry.hidden)
    .map(
      ({
        provider: _provider,
        contextWindow: _window,
        effectiveContextWindowPercent: _percent,
        supportedInApi: _api,
        ...model
      }) => ({
        ...codexModelDefaults(),
        ...model,
        isDefault: model.model === defaultModel,
      }),
    );
  const { page, nextCursor } = pageOf(data, params.cursor, params.limit, "models");
  return { data: page, nextCursor };
}

/**
 * An imported catalog: an array of models, or `{models: [...]}` (Codex's file). Each model is in
 * Switchyard's form or, when it has a `slug`, in Codex's; Codex's are listed by their `priority`,
 * as Codex lists them. Every model is checked, and a refusal names the first that fails and why.
 */
export function parseModelCatalog(value: unknown): CatalogEntry[] {
  const entries = Array.isArray(value) ? value : (value as { models?: unknown } | null)?.models;
  if (!Array.isArray(entries))
    throw new SwitchyardError({
      reason: "invalidArgument",
      message: "a model catalog is an array of models (or {models: [...]})",
    });
  const parsed = entries.map((entry: unknown, index) => {
    const isCodexForm = typeof entry === "object" && entry !== null && "slug" in entry;
    const result = isCodexForm ? CodexCatalogModel.safeParse(entry) : CatalogEntry.safeParse(entry);
    if (!result.success) {
      const named = (entry as { slug?: unknown; model?: unknown } | null)?.[isCodexForm ? "slug" : "model"];
      const issue = result.error.issues[0];
      const path = issue?.path.join(".") || "(the model)";
      throw new SwitchyardError({
        reason: "invalidArgument",
        message: `model ${index}${typeof named === "string" ? ` (${named})` : ""}: ${path}: ${issue?.message ?? "invalid"}`,
      });
    }
    const priority = isCodexForm ? (result.data as CodexCatalogModel).priority : 0;
    const model = isCodexForm ? fromCodexCatalog(result.data as CodexCatalogModel) : (result.data as CatalogEntry);
    return { model, priority, index };
  });
  return parsed.sort((a, b) => a.priority - b.priority || a.index - b.index).map(({ model }) => model);
}
