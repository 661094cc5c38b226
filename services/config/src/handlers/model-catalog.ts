// The model catalog a tenant's clients see in model/list: the tenant's own (imported with
// `switchyard config import --layer model-catalog`), else the deployment's one entry (its default
// model). Entries are the wire `Model` plus an optional `provider` they belong to.
import { type Model, SwitchyardError } from "@switchyard/protocol";
import type { ConfigTable } from "../model/index.js";
import type { ConfigStore } from "../store/config-store.js";
import { pageOf } from "./pages.js";

export type CatalogEntry = Model & { provider?: string | null };

export class ModelCatalog {
  constructor(
    private readonly store: ConfigStore,
    private readonly deploymentDefault: { model: string; modelProvider: string },
  ) {}

  async models(tenant: string): Promise<CatalogEntry[]> {
    const stored = await this.store.readDocument(tenant, "modelCatalog");
    if (Array.isArray(stored)) return stored as CatalogEntry[];
    const { model, modelProvider } = this.deploymentDefault;
    return [
      {
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
        serviceTiers: [],
        inputModalities: ["text", "image"],
        upgrade: null,
      },
    ];
  }
}

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

/** One page of model/list: the caller's provider's models (or every provider's), the default marked. */
export function modelPage(
  entries: CatalogEntry[],
  effective: ConfigTable,
  params: { cursor?: string | null; limit?: number | null; includeHidden?: boolean | null; modelProvider?: string | null },
): { data: Model[]; nextCursor: string | null } {
  const provider = params.modelProvider ?? (typeof effective.model_provider === "string" ? effective.model_provider : null);
  const effectiveModel = typeof effective.model === "string" ? effective.model : null;
  const visible = entries.filter(
    (entry) => (params.includeHidden || !entry.hidden) && (!entry.provider || !provider || entry.provider === provider),
  );
  const data = visible.map(({ provider: _provider, ...model }) => ({
    ...codexModelDefaults(),
    ...model,
    isDefault: effectiveModel ? model.model === effectiveModel : model.isDefault,
  }));
  const { page, nextCursor } = pageOf(data, params.cursor, params.limit ?? 0);
  return { data: page, nextCursor };
}

export function parseModelCatalog(value: unknown): CatalogEntry[] {
  const entries = Array.isArray(value) ? value : (value as { models?: unknown })?.models;
  if (!Array.isArray(entries))
    throw new SwitchyardError({
      reason: "invalidArgument",
      message: "a model catalog is an array of models (or {models: [...]})",
    });
  return entries as CatalogEntry[];
}
