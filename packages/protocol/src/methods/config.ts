// Configuration, served by the config service: Codex's layered config per tenant and user
// (config/read, config/value/write, config/batchWrite), tenant requirements, permission profiles,
// experimental features, the model catalog, skills toggles, and Switchyard's orchestrator-injected
// session config. Shapes follow the official 0.171.0 schema (every method here is stable there).
//
// Scopes follow Codex's "global config" bucket, qualified by tenant and user (`config:<tenant>:<user>`):
// writes are exclusive on it, reads are shared reads (they run together and never overtake a queued
// write, so a read sent after a write sees it). Session config is keyed by its target instead
// (`config:<tenant>:session:<thread|cwd>`): it is the orchestrator's, not a user's. Tenant secrets
// (`config:<tenant>:secrets`) are the tenant's: set and delete are exclusive on it, list a shared read.
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { serdeOneOf } from "../errors.js";
import type { ScopeCaller } from "../scope.js";
import { describeFound } from "../serde-messages.js";
import { AbsolutePathString, enumRefusal, serdeEnum, serdeStruct, strictStruct, U32, UnitParams } from "../serde-types.js";

/** The user's own config bucket: one per tenant and user (the key is tenant-qualified by the lane). */
const userConfigKey = (_params: unknown, caller: ScopeCaller) => `user:${caller.subject}`;

export const ConfigLayerSource = z.union([
  z.object({ type: z.literal("packagedDefaults"), file: z.string() }),
  z.object({ type: z.literal("system"), file: z.string() }),
  z.object({ type: z.literal("enterpriseManaged"), id: z.string(), name: z.string() }),
  z.object({ type: z.literal("user"), file: z.string(), profile: z.string().nullish() }),
  z.object({ type: z.literal("project"), dotCodexFolder: z.string() }),
  z.object({ type: z.literal("sessionFlags") }),
  z.object({ type: z.literal("legacyManagedConfigTomlFromFile"), file: z.string() }),
]);
export type ConfigLayerSource = z.infer<typeof ConfigLayerSource>;
export const ConfigLayerMetadata = z.object({ name: ConfigLayerSource, version: z.string() });
export const ConfigLayer = z.object({
  name: ConfigLayerSource,
  version: z.string(),
  config: z.unknown(),
  disabledReason: z.string().nullish(),
});

export const ConfigReadParams = z.object({ includeLayers: z.boolean().nullish(), cwd: z.string().nullish() });

/**
 * The keys the 0.171.0 schema's `Config` declares, in the order Codex serializes them. Codex's
 * config/read answers each of them, null when no layer sets it (its config is a struct, not a map),
 * so a client may read `config.model === null` as "unset"; Switchyard's answer does the same
 * (services/config's codex-config-view.ts).
 */
export const DECLARED_CONFIG_KEYS = [
  "model",
  "review_model",
  "model_context_window",
  "model_auto_compact_token_limit",
  "model_auto_compact_token_limit_scope",
  "model_provider",
  "approval_policy",
  "approvals_reviewer",
  "sandbox_mode",
  "sandbox_workspace_write",
  "forced_chatgpt_workspace_id",
  "forced_login_method",
  "web_search",
  "client_search_provider",
  "tools",
  "instructions",
  "developer_instructions",
  "compact_prompt",
  "model_reasoning_effort",
  "model_reasoning_summary",
  "model_verbosity",
  "service_tier",
  "analytics",
  "apps",
  "browser_use",
  "computer_use",
  "desktop",
] as const;

export const ConfigReadResponse = z.object({
  config: z.record(z.string(), z.unknown()),
  origins: z.record(z.string(), ConfigLayerMetadata),
  layers: z.array(ConfigLayer).nullish(),
});

export const MergeStrategy = z.enum(["replace", "upsert"]);
export const ConfigEdit = z.object({ keyPath: z.string(), value: z.unknown(), mergeStrategy: MergeStrategy });
export type ConfigEdit = z.infer<typeof ConfigEdit>;
export const ConfigValueWriteParams = z.object({
  keyPath: z.string(),
  value: z.unknown(),
  mergeStrategy: MergeStrategy,
  filePath: z.string().nullish(),
  expectedVersion: z.string().nullish(),
});
export const ConfigBatchWriteParams = z.object({
  edits: z.array(ConfigEdit),
  filePath: z.string().nullish(),
  expectedVersion: z.string().nullish(),
  reloadUserConfig: z.boolean().nullish(),
});
export const ConfigWriteResponse = z.object({
  status: z.enum(["ok", "okOverridden"]),
  version: z.string(),
  filePath: z.string(),
  overriddenMetadata: z
    .object({ message: z.string(), overridingLayer: ConfigLayerMetadata, effectiveValue: z.unknown() })
    .nullish(),
});
export type ConfigWriteResponse = z.infer<typeof ConfigWriteResponse>;

export const ConfigRequirementsReadParams = z.object({}).nullish();
export const ConfigRequirementsReadResponse = z.object({
  /** The wire `ConfigRequirements` (camelCase), or null when the tenant has none. */
  requirements: z.record(z.string(), z.unknown()).nullable(),
  supportsIndependentSpeedModes: z.boolean().nullish(),
});

export const PermissionProfileListParams = z.object({
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  cwd: z.string().nullish(),
});
export const PermissionProfileListResponse = z.object({
  data: z.array(z.object({ id: z.string(), description: z.string().nullish(), allowed: z.boolean() })),
  nextCursor: z.string().nullish(),
});

export const ExperimentalFeatureStage = z.enum(["beta", "underDevelopment", "stable", "deprecated", "removed"]);
export const ExperimentalFeatureListParams = z.object({
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  threadId: z.string().nullish(),
});
export const ExperimentalFeatureListResponse = z.object({
  data: z.array(
    z.object({
      name: z.string(),
      stage: ExperimentalFeatureStage,
      displayName: z.string().nullish(),
      description: z.string().nullish(),
      announcement: z.string().nullish(),
      enabled: z.boolean(),
      defaultEnabled: z.boolean(),
    }),
  ),
  nextCursor: z.string().nullish(),
});
export const ExperimentalFeatureEnablementSetParams = z.object({ enablement: z.record(z.string(), z.boolean()) });
export const ExperimentalFeatureEnablementSetResponse = z.object({ enablement: z.record(z.string(), z.boolean()) });

export const ModelListParams = z.object({
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  includeHidden: z.boolean().nullish(),
  modelProvider: z.string().nullish(),
});
export const Model = z.object({
  id: z.string(),
  model: z.string(),
  displayName: z.string(),
  description: z.string(),
  hidden: z.boolean(),
  isDefault: z.boolean(),
  defaultReasoningEffort: z.string(),
  supportedReasoningEfforts: z.array(z.object({ reasoningEffort: z.string(), description: z.string() })),
  defaultServiceTier: z.string().nullish(),
  serviceTiers: z.array(z.object({ id: z.string(), name: z.string(), description: z.string() })).optional(),
  inputModalities: z.array(z.enum(["text", "image", "audio"])).optional(),
  upgrade: z.string().nullish(),
  upgradeInfo: z.unknown().optional(),
  availabilityNux: z.unknown().optional(),
  modelSpecialty: z.string().nullish(),
  supportsPersonality: z.boolean().optional(),
  multiAgentVersion: z.string().nullish(),
  additionalSpeedTiers: z.array(z.string()).optional(),
  availableAccessPrograms: z.unknown().optional(),
});
export type Model = z.infer<typeof Model>;
export const ModelListResponse = z.object({ data: z.array(Model), nextCursor: z.string().nullish() });

export const ModelProviderDefaultSetParams = z.object({ providerId: z.string() });
export const ModelProviderDefaultSetResponse = z.object({});

/** How a custom provider authenticates, as modelProvider/list shows it (never the credential itself). */
export const GatewayAuth = z.union([
  z.object({ mode: z.literal("none") }),
  z.object({ mode: z.literal("environmentVariable"), envKey: z.string() }),
  z.object({ mode: z.literal("externallyConfigured"), envKey: z.string().nullable() }),
]);
export type GatewayAuth = z.infer<typeof GatewayAuth>;
export const ProviderSettings = z.union([
  z.object({ type: z.literal("openai") }),
  z.object({ type: z.literal("customGateway"), auth: GatewayAuth }),
  z.object({ type: z.literal("bedrock"), profile: z.string().nullable(), region: z.string().nullable() }),
  z.object({
    type: z.literal("gcp"),
    projectId: z.string().nullable(),
    location: z.string().nullable(),
    credentialFile: z.string().nullable(),
  }),
]);
export const ModelProviderSummary = z.object({
  id: z.string(),
  name: z.string(),
  canEdit: z.boolean(),
  /** Null when the provider has none, or one that is not safe to show (credentials or a query in it). */
  baseUrl: z.string().nullable(),
  settings: ProviderSettings,
});
export type ModelProviderSummary = z.infer<typeof ModelProviderSummary>;
export const ModelProviderListParams = z.object({});
export const ModelProviderListResponse = z.object({
  data: z.array(ModelProviderSummary),
  defaultProviderId: z.string(),
  canChangeDefault: z.boolean(),
});
export type ModelProviderListResponse = z.infer<typeof ModelProviderListResponse>;
/** Codex's built-in providers that authenticate with a cloud's own credentials (AWS, Google Cloud). */
export const BEDROCK_PROVIDER_IDS = ["amazon-bedrock", "amazon-bedrock-runtime"] as const;
export const GCP_PROVIDER_IDS = ["gcp"] as const;

/**
 * modelProvider/config/write's `settings`, checked as serde checks Codex 0.171.0's internally tagged,
 * deny-unknown-fields `ProviderSettingsPatch` (its texts: the tag, unknown fields, the Bedrock ids).
 * An omitted field keeps its value; null clears it.
 */
const PATCH_FIELDS = {
  customGateway: ["providerId", "name", "baseUrl", "envKey"],
  bedrock: ["providerId", "profile", "region"],
  gcp: ["providerId", "projectId", "location", "credentialFile"],
} as const;
const nullableText = z.string().nullish();
const ProviderSettingsPatchShapes = {
  customGateway: z.object({
    type: z.literal("customGateway"),
    providerId: nullableText,
    name: z.string().optional(),
    baseUrl: nullableText,
    envKey: nullableText,
  }),
  bedrock: z.object({
    type: z.literal("bedrock"),
    providerId: z.enum(BEDROCK_PROVIDER_IDS, { error: enumRefusal([...BEDROCK_PROVIDER_IDS]) }),
    profile: nullableText,
    region: nullableText,
  }),
  gcp: z.object({
    type: z.literal("gcp"),
    providerId: z.enum(GCP_PROVIDER_IDS, { error: enumRefusal([...GCP_PROVIDER_IDS]) }),
    projectId: nullableText,
    location: nullableText,
    credentialFile: nullableText,
  }),
};
export const ProviderSettingsPatch = z
  .unknown()
  .superRefine((value, context) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      context.addIssue({
        code: "custom",
        message: `invalid type: ${describeFound(value)}, expected internally tagged enum ProviderSettingsPatch`,
      });
      return;
    }
    const given = value as Record<string, unknown>;
    if (given.type === undefined) {
      context.addIssue({ code: "custom", message: "missing field `type`" });
      return;
    }
    const kind = given.type;
    if (typeof kind !== "string" || !Object.hasOwn(PATCH_FIELDS, kind)) {
      context.addIssue({
        code: "custom",
        message:
          typeof kind === "string"
            ? `unknown variant \`${kind}\`, expected ${serdeOneOf(Object.keys(PATCH_FIELDS))}`
            : `invalid type: ${describeFound(kind)}, expected variant identifier`,
      });
      return;
    }
    const fields: readonly string[] = PATCH_FIELDS[kind as keyof typeof PATCH_FIELDS];
    const unknown = Object.keys(given).find((key) => key !== "type" && !fields.includes(key));
    if (unknown !== undefined) {
      context.addIssue({ code: "custom", message: `unknown field \`${unknown}\`, expected ${serdeOneOf(fields)}` });
      return;
    }
    const parsed = ProviderSettingsPatchShapes[kind as keyof typeof PATCH_FIELDS].safeParse(given);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ ...issue, path: issue.path } as never);
    }
  })
  .transform((value) => {
    const given = value as { type: keyof typeof PATCH_FIELDS };
    return ProviderSettingsPatchShapes[given.type].parse(given);
  });
export type ProviderSettingsPatch = z.infer<typeof ProviderSettingsPatch>;
export const ModelProviderConfigWriteParams = strictStruct(
  "ModelProviderConfigWriteParams",
  { settings: ProviderSettingsPatch },
  ["settings"],
);
export type ModelProviderConfigWriteParams = z.infer<typeof ModelProviderConfigWriteParams>;
export const ModelProviderConfigWriteResponse = z.object({ provider: ModelProviderSummary });
export type ModelProviderConfigWriteResponse = z.infer<typeof ModelProviderConfigWriteResponse>;

/** mcpServerStatus/list: the caller's configured MCP servers (or a thread's), by name, in pages. */
export const ListMcpServerStatusParams = z.object({
  cursor: z.string().nullish(),
  detail: serdeEnum(["full", "toolsAndAuthOnly"]).nullish(),
  environmentId: z.string().nullish(),
  limit: U32.nullish(),
  serverName: z.string().nullish(),
  threadId: z.string().nullish(),
});
export type ListMcpServerStatusParams = z.infer<typeof ListMcpServerStatusParams>;
export const McpAuthStatus = z.enum(["unknown", "unsupported", "notLoggedIn", "bearerToken", "oAuth"]);
export const McpServerStatus = z.object({
  name: z.string(),
  environmentId: z.string().nullable(),
  runtimeStatus: z.string().nullable(),
  pluginId: z.string().nullable(),
  httpOrigin: z.string().nullable(),
  serverInfo: z.unknown().nullable(),
  serverCapabilities: z.unknown().nullable(),
  toolListMeta: z.unknown().nullable(),
  tools: z.record(z.string(), z.unknown()),
  toolsError: z.string().nullable(),
  resources: z.array(z.unknown()),
  resourceTemplates: z.array(z.unknown()),
  authStatus: McpAuthStatus,
});
export type McpServerStatus = z.infer<typeof McpServerStatus>;
export const ListMcpServerStatusResponse = z.object({ data: z.array(McpServerStatus), nextCursor: z.string().nullable() });
export type ListMcpServerStatusResponse = z.infer<typeof ListMcpServerStatusResponse>;
export const McpResourceReadParams = z.object({
  threadId: z.string().nullish(),
  server: z.string(),
  uri: z.string(),
  environmentId: z.string().nullish(),
  connectorId: z.string().nullish(),
  originCallId: z.string().nullish(),
  target: z.unknown().optional(),
  _meta: z.record(z.string(), z.unknown()).nullish(),
});
// Fields in Codex's declaration order: a request missing several is refused naming the first, as serde does.
export const McpServerToolCallParams = z.object({
  threadId: z.string(),
  server: z.string(),
  tool: z.string(),
  environmentId: z.string().nullish(),
  arguments: z.unknown().optional(),
  _meta: z.unknown().optional(),
});
export const McpServerOauthLoginParams = z.object({
  name: z.string(),
  threadId: z.string().nullish(),
  environmentId: z.string().nullish(),
  scopes: z.array(z.string()).nullish(),
  timeoutSecs: z.number().int().nullish(),
  clientRegistration: z.unknown().optional(),
});
export const McpServerRefreshParams = UnitParams;
export const McpServerRefreshResponse = z.object({});

/** account/gatewayOAuth/*: the default provider's gateway OAuth (a sign-in to an LLM gateway). */
export const GatewayOAuthReadParams = serdeStruct("GatewayOAuthReadParams", { modelProvider: z.string().nullish() }).nullish();
export const GatewayOAuthReadResponse = z.object({
  providerId: z.string(),
  providerName: z.string(),
  required: z.boolean(),
  supportsDeviceAuth: z.boolean(),
  status: z.enum(["notReady", "started", "succeeded", "failed"]).nullable(),
  error: z.string().nullable(),
});
export type GatewayOAuthReadResponse = z.infer<typeof GatewayOAuthReadResponse>;
export const GatewayOAuthLoginParams = serdeStruct("GatewayOAuthLoginParams", {
  deviceAuth: z.boolean().optional(),
  modelProvider: z.string().nullish(),
}).nullish();
export const GatewayOAuthCancelResponse = z.object({});

export const ModelProviderCapabilitiesReadParams = z.object({});
export const ModelProviderCapabilitiesReadResponse = z.object({ imageGeneration: z.boolean(), webSearch: z.boolean() });
export type ModelProviderCapabilitiesReadResponse = z.infer<typeof ModelProviderCapabilitiesReadResponse>;

export const SkillsListParams = z.object({ cwds: z.array(z.string()).nullish(), forceReload: z.boolean().nullish() });
export const SkillsListResponse = z.object({
  data: z.array(z.object({ cwd: z.string(), skills: z.array(z.unknown()), errors: z.array(z.unknown()) })),
});
export const SkillsConfigWriteParams = z.object({
  enabled: z.boolean(),
  name: z.string().nullish(),
  path: AbsolutePathString.nullish(),
});
export const SkillsConfigWriteResponse = z.object({ effectiveEnabled: z.boolean() });
export const HooksListParams = z.object({ cwds: z.array(z.string()).nullish(), threadId: z.string().nullish() });
export const HooksListResponse = z.object({
  data: z.array(
    z.object({ cwd: z.string(), hooks: z.array(z.unknown()), warnings: z.array(z.string()), errors: z.array(z.unknown()) }),
  ),
});

/**
 * A session config's target: exactly one of a thread id (a thread that may not exist yet) or an
 * absolute working directory (every thread started there, and any Codex runtime asking by `cwd`).
 */
const SessionTarget = {
  threadId: z.string().min(1).max(200).nullish(),
  cwd: z.string().min(1).max(4096).nullish(),
};
const exactlyOneTarget = (params: { threadId?: string | null; cwd?: string | null }) =>
  (params.threadId == null) !== (params.cwd == null);
const targetMessage = { message: "exactly one of `threadId` and `cwd` is required" };
export const sessionTargetKey = (params: { threadId?: string | null; cwd?: string | null }) =>
  params.threadId != null ? `session:thread:${params.threadId}` : `session:cwd:${params.cwd ?? ""}`;

/** The keys a session owns, spelled as in config.toml. Nothing else may be set by an orchestrator. */
export const SessionConfig = z
  .object({
    model_provider: z.string().min(1).nullish(),
    model_providers: z.record(z.string(), z.record(z.string(), z.unknown())).nullish(),
    features: z.record(z.string(), z.boolean()).nullish(),
  })
  .strict();
export type SessionConfig = z.infer<typeof SessionConfig>;

export const SessionConfigSetParams = z
  .object({ ...SessionTarget, config: SessionConfig })
  .refine(exactlyOneTarget, targetMessage);
export const SessionConfigSetResponse = z.object({ version: z.string() });
export const SessionConfigReadParams = z.object(SessionTarget).refine(exactlyOneTarget, targetMessage);
export const SessionConfigReadResponse = z.object({ config: SessionConfig, version: z.string() }).nullable();
export const SessionConfigDeleteParams = z.object(SessionTarget).refine(exactlyOneTarget, targetMessage);
export const SessionConfigDeleteResponse = z.object({});

/** A thread's effective config as a lockfile (TOML), and saving one for a later thread start to replay. */
export const ConfigLockExportParams = z.object({ threadId: z.string() });
export const ConfigLockExportResponse = z.object({ path: z.string(), lockfile: z.string() });
export const ConfigLockSaveParams = z.object({ path: z.string().min(1).max(1024), lockfile: z.string().max(1_000_000) });
export const ConfigLockSaveResponse = z.object({ path: z.string() });

/**
 * A tenant secret's name, spelled like an environment variable: a provider's `env_key` and the values
 * of its `env_http_headers` name tenant secrets (the cloud analogue of Codex's environment variables).
 */
export const TENANT_SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const TenantSecretName = z.string().regex(TENANT_SECRET_NAME_PATTERN, {
  message: "a secret name is 1 to 128 ASCII letters, digits and underscores, not starting with a digit",
});
/** The largest secret value accepted, in UTF-8 bytes. */
export const TENANT_SECRET_MAX_BYTES = 65_536;
/** A secret as listed: never its value. `updatedAt` is RFC 3339. */
export const TenantSecretEntry = z.object({ name: z.string(), updatedAt: z.string() });
/** Sets (or replaces) a secret; the value is sealed before it is stored and never returned by any method. */
export const SecretSetParams = z.object({ name: TenantSecretName, value: z.string() });
export const SecretSetResponse = TenantSecretEntry;
export const SecretDeleteParams = z.object({ name: TenantSecretName });
/** `deleted`: false when the tenant had no secret of that name (deleting is idempotent). */
export const SecretDeleteResponse = z.object({ deleted: z.boolean() });
export const SecretListParams = z.object({}).nullish();
export const SecretListResponse = z.object({ data: z.array(TenantSecretEntry) });

export const ConfigMethod = {
  configRead: "config/read",
  configValueWrite: "config/value/write",
  configBatchWrite: "config/batchWrite",
  configRequirementsRead: "configRequirements/read",
  permissionProfileList: "permissionProfile/list",
  experimentalFeatureList: "experimentalFeature/list",
  experimentalFeatureEnablementSet: "experimentalFeature/enablement/set",
  modelList: "model/list",
  modelProviderList: "modelProvider/list",
  modelProviderDefaultSet: "modelProvider/default/set",
  modelProviderConfigWrite: "modelProvider/config/write",
  mcpServerStatusList: "mcpServerStatus/list",
  gatewayOAuthRead: "account/gatewayOAuth/read",
  gatewayOAuthLogin: "account/gatewayOAuth/login",
  gatewayOAuthCancel: "account/gatewayOAuth/cancel",
  mcpServerReload: "config/mcpServer/reload",
  mcpResourceRead: "mcpServer/resource/read",
  mcpToolCall: "mcpServer/tool/call",
  mcpOauthLogin: "mcpServer/oauth/login",
  modelProviderCapabilitiesRead: "modelProvider/capabilities/read",
  skillsList: "skills/list",
  skillsConfigWrite: "skills/config/write",
  hooksList: "hooks/list",
  sessionConfigSet: "switchyard/sessionConfig/set",
  sessionConfigRead: "switchyard/sessionConfig/read",
  sessionConfigDelete: "switchyard/sessionConfig/delete",
  configLockExport: "switchyard/configLock/export",
  configLockSave: "switchyard/configLock/save",
  secretSet: "switchyard/secret/set",
  secretDelete: "switchyard/secret/delete",
  secretList: "switchyard/secret/list",
} as const;

const sharedRead = { kind: "sharedRead", family: "config", id: userConfigKey } as const;
const exclusive = { kind: "exclusive", family: "config", id: userConfigKey } as const;
const common = { owner: "config", experimental: false } as const;

export const configMethods = defineMethods({
  [ConfigMethod.configRead]: {
    ...common,
    scope: sharedRead,
    paramsRequired: true,
    params: ConfigReadParams,
    result: ConfigReadResponse,
    summary: "Effective config for the caller (and a cwd): values, per-leaf origins, layers highest first.",
  },
  [ConfigMethod.configValueWrite]: {
    ...common,
    scope: exclusive,
    paramsRequired: true,
    params: ConfigValueWriteParams,
    result: ConfigWriteResponse,
    summary: "Writes one key path of the caller's user layer (replace/upsert; null clears).",
  },
  [ConfigMethod.configBatchWrite]: {
    ...common,
    scope: exclusive,
    paramsRequired: true,
    params: ConfigBatchWriteParams,
    result: ConfigWriteResponse,
    summary: "Applies edits to the caller's user layer atomically, validating the whole result first.",
  },
  [ConfigMethod.configRequirementsRead]: {
    ...common,
    scope: sharedRead,
    paramsRequired: false,
    params: ConfigRequirementsReadParams,
    result: ConfigRequirementsReadResponse,
    summary: "The tenant's requirements (allowed approval policies, sandbox modes, permission profiles).",
  },
  [ConfigMethod.permissionProfileList]: {
    ...common,
    scope: sharedRead,
    paramsRequired: true,
    params: PermissionProfileListParams,
    result: PermissionProfileListResponse,
    summary: "Built-in, configured and managed permission profiles, each marked allowed or not.",
  },
  [ConfigMethod.experimentalFeatureList]: {
    ...common,
    // Exclusive as in Codex: with a threadId it refreshes that thread's config.
    scope: exclusive,
    paramsRequired: true,
    params: ExperimentalFeatureListParams,
    result: ExperimentalFeatureListResponse,
    summary: "Feature flags with stage and enablement (a thread's refreshed config with threadId).",
  },
  [ConfigMethod.experimentalFeatureEnablementSet]: {
    ...common,
    scope: exclusive,
    paramsRequired: true,
    params: ExperimentalFeatureEnablementSetParams,
    result: ExperimentalFeatureEnablementSetResponse,
    summary: "Turns named features on or off in the caller's user layer.",
  },
  [ConfigMethod.modelList]: {
    ...common,
    // Unkeyed as in Codex: a read of the catalog, nothing to order it against.
    scope: { kind: "unkeyed" },
    readOnly: true,
    paramsRequired: true,
    params: ModelListParams,
    result: ModelListResponse,
    summary: "The tenant's model catalog for its configured providers.",
  },
  [ConfigMethod.modelProviderList]: {
    ...common,
    scope: sharedRead,
    paramsRequired: true,
    params: ModelProviderListParams,
    result: ModelProviderListResponse,
    summary: "The caller's configured model providers and the built-in openai, its default provider, and what it may edit.",
  },
  [ConfigMethod.modelProviderCapabilitiesRead]: {
    ...common,
    scope: sharedRead,
    paramsRequired: true,
    params: ModelProviderCapabilitiesReadParams,
    result: ModelProviderCapabilitiesReadResponse,
    summary: "What the caller's default model provider offers: image generation and web search.",
  },
  [ConfigMethod.modelProviderDefaultSet]: {
    ...common,
    scope: exclusive,
    paramsRequired: true,
    params: ModelProviderDefaultSetParams,
    result: ModelProviderDefaultSetResponse,
    summary: "Sets the caller's default model provider (a configured one) for new threads.",
  },
  [ConfigMethod.modelProviderConfigWrite]: {
    ...common,
    scope: exclusive,
    paramsRequired: true,
    params: ModelProviderConfigWriteParams,
    result: ModelProviderConfigWriteResponse,
    summary: "Creates or edits a custom provider (or a Bedrock or Vertex AI provider's settings) in the caller's user layer.",
  },
  // Gateway OAuth signs the app-server's machine in to an LLM gateway in a browser: a Switchyard
  // session has no browser, and its turns take a provider's key from a tenant secret instead.
  [ConfigMethod.gatewayOAuthRead]: {
    ...common,
    scope: sharedRead,
    paramsRequired: false,
    params: GatewayOAuthReadParams,
    result: GatewayOAuthReadResponse,
    summary: "Whether the caller's default provider uses gateway OAuth (never signed in here).",
  },
  [ConfigMethod.gatewayOAuthLogin]: {
    ...common,
    scope: sharedRead,
    paramsRequired: false,
    params: GatewayOAuthLoginParams,
    result: z.never(),
    summary: "Starts a gateway OAuth sign-in: refused (in Codex's words when the provider does not use it).",
  },
  [ConfigMethod.gatewayOAuthCancel]: {
    ...common,
    scope: sharedRead,
    paramsRequired: false,
    params: UnitParams,
    result: GatewayOAuthCancelResponse,
    summary: "Cancels a gateway OAuth sign-in in progress: there is none.",
  },
  [ConfigMethod.mcpServerStatusList]: {
    ...common,
    // A thread it names is read as Codex reads thread ids (a malformed one is refused first).
    threadId: { label: "thread" },
    scope: sharedRead,
    paramsRequired: true,
    params: ListMcpServerStatusParams,
    result: ListMcpServerStatusResponse,
    summary: "The caller's configured MCP servers (or a thread's) by name, as Codex shows them; Switchyard starts none.",
  },
  // A server's resources, tools and login need it running: Switchyard starts none, so these are
  // refused as Codex refuses a server it could not start (or does not know).
  [ConfigMethod.mcpResourceRead]: {
    ...common,
    threadId: { label: "thread" },
    scope: sharedRead,
    paramsRequired: true,
    params: McpResourceReadParams,
    result: z.never(),
    summary: "Reads an MCP server's resource: refused, as Codex refuses a server it could not start.",
  },
  [ConfigMethod.mcpToolCall]: {
    ...common,
    threadId: { label: "thread" },
    scope: sharedRead,
    paramsRequired: true,
    params: McpServerToolCallParams,
    result: z.never(),
    summary: "Calls an MCP server's tool for a thread: refused, as Codex refuses a server it could not start.",
  },
  [ConfigMethod.mcpOauthLogin]: {
    ...common,
    threadId: { label: "thread" },
    scope: sharedRead,
    paramsRequired: true,
    params: McpServerOauthLoginParams,
    result: z.never(),
    summary: "Starts an MCP server's OAuth login: refused (a session starts no MCP servers), in Codex's words where it has them.",
  },
  [ConfigMethod.mcpServerReload]: {
    ...common,
    scope: sharedRead,
    paramsRequired: false,
    params: McpServerRefreshParams,
    result: McpServerRefreshResponse,
    summary: "Codex's reload of loaded threads' MCP servers: Switchyard runs none, so there is nothing to reload.",
  },
  [ConfigMethod.skillsList]: {
    ...common,
    scope: sharedRead,
    paramsRequired: true,
    params: SkillsListParams,
    result: SkillsListResponse,
    summary: "Skills per cwd (a cloud session has no skill files; entries carry the configured toggles).",
  },
  [ConfigMethod.skillsConfigWrite]: {
    ...common,
    scope: exclusive,
    paramsRequired: true,
    params: SkillsConfigWriteParams,
    result: SkillsConfigWriteResponse,
    summary: "Enables or disables a skill by path or name in the caller's user layer ([[skills.config]]).",
  },
  [ConfigMethod.hooksList]: {
    ...common,
    scope: sharedRead,
    paramsRequired: true,
    params: HooksListParams,
    result: HooksListResponse,
    summary: "Hooks per cwd (a cloud session runs none).",
  },
  [ConfigMethod.sessionConfigSet]: {
    ...common,
    scope: { kind: "exclusive", family: "config", id: sessionTargetKey },
    paramsRequired: true,
    params: SessionConfigSetParams,
    result: SessionConfigSetResponse,
    summary: "Orchestrators: sets the session config of a thread (even before it exists) or of a cwd.",
  },
  [ConfigMethod.sessionConfigRead]: {
    ...common,
    scope: { kind: "sharedRead", family: "config", id: sessionTargetKey },
    paramsRequired: true,
    params: SessionConfigReadParams,
    result: SessionConfigReadResponse,
    summary: "Orchestrators: reads a session config, or null.",
  },
  [ConfigMethod.sessionConfigDelete]: {
    ...common,
    scope: { kind: "exclusive", family: "config", id: sessionTargetKey },
    paramsRequired: true,
    params: SessionConfigDeleteParams,
    result: SessionConfigDeleteResponse,
    summary: "Orchestrators: deletes a session config (idempotent).",
  },
  [ConfigMethod.configLockExport]: {
    ...common,
    // Unkeyed: a read of the thread's stored config snapshot, written once at its start.
    scope: { kind: "unkeyed" },
    // Its one write is the lockfile saved under a path named after the thread (an upsert of what it
    // read): a second ask saves the same lockfile again and answers as the first did.
    repeatable: "threadUpsert",
    paramsRequired: true,
    params: ConfigLockExportParams,
    result: ConfigLockExportResponse,
    summary: "A thread's effective config as a lockfile (TOML), saved under <thread>.config.lock.toml.",
  },
  [ConfigMethod.configLockSave]: {
    ...common,
    scope: exclusive,
    paramsRequired: true,
    params: ConfigLockSaveParams,
    result: ConfigLockSaveResponse,
    summary: "Saves a lockfile under a path that a thread start's debug.config_lockfile.load_path can replay.",
  },
  [ConfigMethod.secretSet]: {
    ...common,
    // Unkeyed: a secret's value must never rest in the keyed lane's on-disk JetStream stream. A set is
    // one upsert (last write wins), so it needs no queue to be ordered behind.
    scope: { kind: "unkeyed" },
    // It runs once per command id (the config ledger): a second ask answers what the first stored,
    // and a first ask that stalled and finishes late rolls back rather than overwrite a later set.
    repeatable: "commandLedger",
    paramsRequired: true,
    params: SecretSetParams,
    result: SecretSetResponse,
    summary: "Orchestrators: sets a tenant secret (what a provider's env_key names), sealed at rest; never read back.",
  },
  [ConfigMethod.secretDelete]: {
    ...common,
    // Unkeyed, as secret/set (one idempotent delete).
    scope: { kind: "unkeyed" },
    // Once per command id, as secret/set: a second ask answers `deleted` as the first one did.
    repeatable: "commandLedger",
    paramsRequired: true,
    params: SecretDeleteParams,
    result: SecretDeleteResponse,
    summary: "Orchestrators: deletes a tenant secret (idempotent).",
  },
  [ConfigMethod.secretList]: {
    ...common,
    // Unkeyed: a read of committed rows (names and times only).
    scope: { kind: "unkeyed" },
    readOnly: true,
    paramsRequired: false,
    params: SecretListParams,
    result: SecretListResponse,
    summary: "Orchestrators: the tenant's secrets by name and last update, never their values.",
  },
});

export const ConfigWarningNotification = z.object({
  summary: z.string(),
  details: z.string().nullish(),
  path: z.string().nullish(),
  range: z.unknown().nullish(),
});

export const ConfigNotification = {
  configWarning: "configWarning",
} as const;

export const configNotifications = defineNotifications({
  [ConfigNotification.configWarning]: {
    params: ConfigWarningNotification,
    audience: "connection",
    experimental: false,
    critical: false,
    summary: "A config problem the client should show (a replaced permission profile, stripped project keys).",
  },
});
