// Request handlers for Codex's config family: config/read and the two writes, requirements,
// permission profiles, experimental features, the model catalog, the default provider, skills and
// hooks. Reads are shared reads on the caller's config key; writes are exclusive on it and run once
// (the ledger answers a redelivered command with its first result). Provider secrets are sealed
// before a layer is saved and shown as `********` in everything a read or a write answers.
import { type ConfigEdit, type ConfigWriteResponse, configLayerVersion, Method, SwitchyardError } from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import {
  applyEdits,
  type ConfigTable,
  ConfigWriteError,
  canonicalFeatureName,
  checkExpectedVersion,
  checkWriteAgainstRequirements,
  codexConfigView,
  type EffectiveConfig,
  findOverride,
  isEmptyRequirements,
  layerReadonlyError,
  listFeatures,
  parseKeyPath,
  permissionProfiles,
  requirementsView,
  validateConfig,
} from "../model/index.js";
import { type ConfigResolver, LayerFiles } from "../resolver.js";
import { type ConfigSecrets, redactSecrets, redactValueAt, SecretValueError } from "../secrets/config-secrets.js";
import type { ConfigStore } from "../store/config-store.js";
import { type ModelCatalog, modelPage } from "./model-catalog.js";
import { gatewayOAuthState, modelProviderCapabilities, modelProviderList, providerSummaryIn } from "./model-providers.js";
import { pageOf } from "./pages.js";
import { planProviderWrite } from "./provider-config-write.js";
import type { ThreadConfigs } from "./thread-configs.js";

type ConfigMethodName =
  | "config/read"
  | "config/value/write"
  | "config/batchWrite"
  | "configRequirements/read"
  | "permissionProfile/list"
  | "experimentalFeature/list"
  | "experimentalFeature/enablement/set"
  | "model/list"
  | "internal/config/modelServiceTiers"
  | "internal/config/permissionProfile"
  | "modelProvider/list"
  | "modelProvider/capabilities/read"
  | "modelProvider/default/set"
  | "modelProvider/config/write"
  | "account/gatewayOAuth/read"
  | "account/gatewayOAuth/login"
  | "account/gatewayOAuth/cancel"
  | "skills/list"
  | "skills/config/write"
  | "hooks/list";

/** Edits of the caller's user layer, and how the write is answered from the config after it. */
interface PlannedWrite<Answer> {
  edits: ConfigEdit[];
  answer(after: EffectiveConfig): Answer;
}

const writeError = (error: ConfigWriteError) =>
  new SwitchyardError({ reason: "configWrite", code: error.code, message: error.message });

/** Runs model-library code, turning its write errors into wire errors. */
function asWire<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ConfigWriteError) throw writeError(error);
    throw error;
  }
}

export function configHandlers(deps: {
  store: ConfigStore;
  resolver: ConfigResolver;
  threads: ThreadConfigs;
  catalog: ModelCatalog;
  configSecrets: ConfigSecrets;
}): Pick<HandlersFor<"config">, ConfigMethodName> {
  const { store, resolver, threads, catalog, configSecrets } = deps;
  const callerOf = (context: HandlerContext) => ({
    tenant: context.request.caller.tenant,
    subject: context.request.caller.subject,
  });

  /**
   * Applies edits to the caller's user layer: the version check, the edits, validation of the whole
   * result and the requirements, all before anything is saved; then the status against the layers
   * above the user's (a higher layer may still win).
   */
  async function writeUserLayer(
    context: HandlerContext,
    edits: ConfigEdit[],
    options: { filePath?: string | null; expectedVersion?: string | null },
  ): Promise<ConfigWriteResponse>;
  /**
   * Edits planned from the caller's effective config as it is in the write's transaction, with the
   * plan's own answer made from the config after the write: the ledger keeps that answer, so a
   * redelivered write gets the first one.
   */
  async function writeUserLayer<Answer>(
    context: HandlerContext,
    plan: (effectiveBefore: ConfigTable) => PlannedWrite<Answer>,
  ): Promise<Answer>;
  async function writeUserLayer<Answer>(
    context: HandlerContext,
    planned: ConfigEdit[] | ((effectiveBefore: ConfigTable) => PlannedWrite<Answer>),
    options: { filePath?: string | null; expectedVersion?: string | null } = {},
  ): Promise<ConfigWriteResponse | Answer> {
    const { tenant, subject } = callerOf(context);
    if (subject === ANONYMOUS_SUBJECT) {
      // Ours: a connection without a user identity (no authentication configured) has no user layer.
      throw writeError(
        new ConfigWriteError(
          "userLayerNotFound",
          "user layer not found: this connection has no user; authenticate as a user to write config",
        ),
      );
    }
    const userFile = LayerFiles.user(subject);
    if (options.filePath != null && options.filePath !== userFile) throw writeError(layerReadonlyError());
    const { result } = await store.applyOnce(
      tenant,
      { commandId: context.request.commandId, method: context.request.method },
      async (tx) => {
        const current = await store.readLayer(tx, tenant, "user", subject);
        const currentBody = current?.body ?? {};
        asWire(() => checkExpectedVersion(options.expectedVersion, configLayerVersion(currentBody)));
        let plan: PlannedWrite<Answer> | undefined;
        if (typeof planned === "function") {
          const before = await resolver.resolve({
            tenant,
            subject,
            cwd: null,
            sessionLayer: null,
            userLayerOverride: currentBody,
          });
          plan = asWire(() => planned(before.effective.config));
        }
        const edits = plan?.edits ?? (planned as ConfigEdit[]);
        const edited = asWire(() => applyEdits(currentBody, edits));
        // Unknown keys and tables are accepted and kept, as Codex 0.171.0 keeps them (a newer client's
        // settings must survive); only the values of keys Codex knows are checked.
        asWire(() => validateConfig(edited));
        // The version covers the stored body, secrets sealed: untouched secrets keep their ciphertext.
        const body = sealSecrets(tenant, edited, currentBody);
        const after = await resolver.resolve({ tenant, subject, cwd: null, sessionLayer: null, userLayerOverride: body });
        const editedPaths = edits.map((edit) => asWire(() => parseKeyPath(edit.keyPath)));
        asWire(() => checkWriteAgainstRequirements(after.effective.config, after.requirements, editedPaths));
        const version = await store.writeLayer(tx, tenant, "user", subject, body);
        if (plan) return plan.answer(after.effective);
        const overridden = findOverride(after.effective, body, editedPaths, redactValueAt);
        return {
          status: overridden ? ("okOverridden" as const) : ("ok" as const),
          version,
          filePath: userFile,
          overriddenMetadata: overridden,
        };
      },
    );
    return result;
  }

  function sealSecrets(tenant: string, body: ConfigTable, stored: ConfigTable): ConfigTable {
    try {
      return configSecrets.seal(tenant, body, stored);
    } catch (error) {
      if (error instanceof SecretValueError) throw writeError(new ConfigWriteError("configValidationError", error.message));
      throw error;
    }
  }

  async function effectiveFor(context: HandlerContext, cwd: string | null | undefined) {
    return resolver.resolve({ ...callerOf(context), cwd: cwd ?? null });
  }

  return {
    [Method.configRead]: async (params, context) => {
      const { effective } = await effectiveFor(context, params?.cwd);
      const config = codexConfigView(redactSecrets(effective.config));
      // As Codex: the layers only when asked for (the key is left out otherwise, not null).
      if (!params?.includeLayers) return { config, origins: effective.origins };
      return {
        config,
        origins: effective.origins,
        layers: effective.layers.map((layer) => ({ ...layer, config: redactSecrets(layer.config) })),
      };
    },

    [Method.configValueWrite]: (params, context) =>
      writeUserLayer(
        context,
        [{ keyPath: params.keyPath, value: params.value ?? null, mergeStrategy: params.mergeStrategy }],
        params,
      ),

    [Method.configBatchWrite]: async (params, context) => {
      const response = await writeUserLayer(context, params.edits, params);
      // reloadUserConfig: loaded threads of this user pick the new user layer up (their session layers kept).
      if (params.reloadUserConfig) await threads.refreshUserThreads(callerOf(context));
      return response;
    },

    [Method.configRequirementsRead]: async (_params, context) => {
      const { requirements } = await effectiveFor(context, null);
      // Each feature requirement is checked on its own key, so `fast_mode` and `ultrafast_mode` are
      // enforced independently (not Fast mode as a shared speed gate), which Codex 0.171.0 announces.
      const supportsIndependentSpeedModes = true;
      // A tenant without requirements has none to show (null), rather than an object of nulls.
      if (isEmptyRequirements(requirements)) return { requirements: null, supportsIndependentSpeedModes };
      const view = requirementsView(requirements);
      if (view.modelProviders) view.modelProviders = redactSecrets({ model_providers: view.modelProviders }).model_providers;
      return { requirements: view, supportsIndependentSpeedModes };
    },

    [Method.permissionProfileList]: async (params, context) => {
      const { effective, requirements } = await effectiveFor(context, params?.cwd);
      const all = permissionProfiles(effective.config, requirements);
      const { page, nextCursor } = pageOf(all, params?.cursor, params?.limit, "permission profiles");
      return { data: page, nextCursor };
    },

    [Method.experimentalFeatureList]: async (params, context) => {
      const config = params?.threadId
        ? await threads.refreshedEffective(callerOf(context), params.threadId)
        : (await effectiveFor(context, null)).effective.config;
      try {
        return listFeatures(config, { cursor: params?.cursor ?? null, limit: params?.limit ?? null });
      } catch (error) {
        throw new SwitchyardError({ reason: "invalidArgument", message: (error as Error).message });
      }
    },

    [Method.experimentalFeatureEnablementSet]: async (params, context) => {
      const edits: ConfigEdit[] = [];
      const applied: Record<string, boolean> = {};
      for (const [name, enabled] of Object.entries(params.enablement)) {
        const canonical = canonicalFeatureName(name);
        if (!canonical) throw new SwitchyardError({ reason: "invalidArgument", message: `unknown feature: ${name}` });
        edits.push({ keyPath: `features.${canonical}`, value: enabled, mergeStrategy: "replace" });
        applied[canonical] = enabled;
      }
      if (edits.length > 0) await writeUserLayer(context, edits, {});
      return { enablement: applied };
    },

    [Method.modelList]: async (params, context) => {
      const { effective } = await effectiveFor(context, null);
      const models = await catalog.models(context.request.caller.tenant);
      return modelPage(models, effective.config, params ?? {});
    },

    [Method.resolvePermissionProfile]: (params, context) => threads.permissionProfile(context.request.caller, params),

    [Method.modelServiceTiers]: async (params, context) => ({
      serviceTiers: await catalog.serviceTiersOf(context.request.caller.tenant, params.model, params.modelProvider),
    }),

    [Method.modelProviderList]: async (_params, context) => modelProviderList((await effectiveFor(context, null)).effective),

    [Method.gatewayOAuthRead]: async (_params, context) =>
      gatewayOAuthState((await effectiveFor(context, null)).effective.config),
    [Method.gatewayOAuthLogin]: async (_params, context) => {
      const state = gatewayOAuthState((await effectiveFor(context, null)).effective.config);
      throw new SwitchyardError({
        reason: "invalidArgument",
        message: state.required
          ? `Gateway OAuth sign-in for \`${state.providerId}\` is not available on Switchyard: a session has no browser; give the provider an env_key and a tenant secret instead`
          : "The selected provider does not use gateway OAuth",
      });
    },
    [Method.gatewayOAuthCancel]: async () => ({}),

    [Method.modelProviderCapabilitiesRead]: async (_params, context) =>
      modelProviderCapabilities((await effectiveFor(context, null)).effective.config),

    [Method.modelProviderDefaultSet]: async (params, context) => {
      const { effective } = await effectiveFor(context, null);
      const configured = { ...BUILT_IN_PROVIDERS, ...((effective.config.model_providers as Record<string, unknown>) ?? {}) };
      if (!(params.providerId in configured)) {
        throw new SwitchyardError({
          reason: "invalidArgument",
          message: `Model provider \`${params.providerId}\` is not configured.`,
        });
      }
      await writeUserLayer(context, [{ keyPath: "model_provider", value: params.providerId, mergeStrategy: "replace" }], {});
      return {};
    },

    [Method.modelProviderConfigWrite]: (params, context) =>
      writeUserLayer(context, (effective) => {
        const { providerId, edits } = planProviderWrite(params.settings, effective);
        return { edits, answer: (after) => ({ provider: providerSummaryIn(after, providerId) }) };
      }),

    [Method.skillsList]: async (params) => {
      const cwds = params?.cwds?.length ? params.cwds : ["/"];
      // A cloud session has no skill files: each cwd is listed with no skills and no errors.
      return { data: cwds.map((cwd) => ({ cwd, skills: [], errors: [] })) };
    },

    [Method.skillsConfigWrite]: async (params, context) => {
      // Codex 0.171.0's refusal of neither and of both.
      if ((params.path == null) === (params.name == null)) {
        throw new SwitchyardError({
          reason: "invalidParams",
          message: "skills/config/write requires exactly one of path or name",
        });
      }
      const selector = params.path != null ? { path: params.path } : { name: params.name as string };
      const { effective } = await effectiveFor(context, null);
      const skills = (effective.config.skills as { config?: unknown } | undefined)?.config;
      const entries = Array.isArray(skills) ? (skills as Record<string, unknown>[]) : [];
      const isSame = (entry: Record<string, unknown>) =>
        "path" in selector ? entry.path === selector.path : entry.name === selector.name;
      // A disable is persisted as an entry with enabled = false; enabling removes that entry.
      const others = entries.filter((entry) => !isSame(entry));
      const next = params.enabled ? others : [...others, { ...selector, enabled: false }];
      await writeUserLayer(context, [{ keyPath: "skills.config", value: next, mergeStrategy: "replace" }], {});
      return { effectiveEnabled: params.enabled };
    },

    [Method.hooksList]: async (params) => {
      const cwds = params?.cwds?.length ? params.cwds : ["/"];
      return { data: cwds.map((cwd) => ({ cwd, hooks: [], warnings: [], errors: [] })) };
    },
  };
}

/** The subject of a connection the gateway accepted without authentication. */
const ANONYMOUS_SUBJECT = "anonymous";

/** Providers Codex knows without a [model_providers] entry. */
export const BUILT_IN_PROVIDERS: Record<string, unknown> = { openai: {}, oss: {}, ollama: {}, lmstudio: {} };
