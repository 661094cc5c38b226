// internal/config/modelProvider: a thread's model provider, ready for a turn to call. The provider is
// `model_providers.<id>` of the thread's effective config (its stored snapshot, with the
// orchestrator's session layer), else one of Codex's built-in providers, mapped from config.toml's
// keys to `ResolvedModelProvider` with Codex's defaults and caps.
//
// Credentials: `experimental_bearer_token` (sealed in config, opened here and nowhere else), else the
// tenant secret `env_key` names. Tenant secrets stand in for Codex's environment variables; the
// process environment is never read for a name a tenant chose (a tenant could otherwise send the
// deployment's variables to a base_url of its own). The one exception is the built-in `openai`
// provider at its built-in base URL: without an OPENAI_API_KEY secret it uses the deployment's key.
import {
  type GatewayAuth,
  type GatewayOAuthReadResponse,
  type ModelProviderCapabilitiesReadResponse,
  type ModelProviderListResponse,
  type ModelProviderSummary,
  type ResolvedModelProvider,
  type ResolveModelProviderParams,
  type ResolveModelProviderResponse,
  SwitchyardError,
} from "@switchyard/protocol";
import {
  CLOUD_BUILT_IN_PROVIDER_IDS,
  type ConfigTable,
  type EffectiveConfig,
  isConfigTable,
  precedenceOf,
  valueAtPath,
} from "../model/index.js";
import type { ConfigResolver } from "../resolver.js";
import type { ConfigSecrets } from "../secrets/config-secrets.js";
import { SecretBoxError } from "../secrets/secret-box.js";
import type { ConfigStore } from "../store/config-store.js";
import type { TenantSecretStore } from "../store/secret-store.js";
import type { ModelCatalog } from "./model-catalog.js";

export const OPENAI_PROVIDER_ID = "openai";
export const OPENAI_BASE_URL = "https://api.openai.com/v1";

/** Codex's built-in providers (codex-rs model_provider_info.rs): used when config defines no provider of that id. */
export const BUILT_IN_MODEL_PROVIDERS: Readonly<Record<string, ConfigTable>> = {
  [OPENAI_PROVIDER_ID]: { name: "OpenAI", base_url: OPENAI_BASE_URL, env_key: "OPENAI_API_KEY", wire_api: "responses" },
  ollama: { name: "gpt-oss", base_url: "http://localhost:11434/v1", wire_api: "responses" },
  lmstudio: { name: "gpt-oss", base_url: "http://localhost:1234/v1", wire_api: "responses" },
  // Bedrock and Vertex AI sign in with the cloud's own credentials: listed and configurable as in
  // Codex, but a Switchyard turn cannot call them (resolveProvider says so).
  "amazon-bedrock": { name: "Amazon Bedrock Mantle" },
  "amazon-bedrock-runtime": { name: "Amazon Bedrock Runtime" },
  gcp: { name: "Google Cloud Vertex AI" },
};

/** Codex's defaults and caps for a provider's retry and idle settings. */
export const PROVIDER_DEFAULTS = {
  requestMaxRetries: 4,
  streamMaxRetries: 5,
  maxRetriesCap: 100,
  streamIdleTimeoutMs: 300_000,
} as const;

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });

const stringAt = (table: ConfigTable, key: string): string | undefined => {
  const value = table[key];
  return typeof value === "string" ? value : undefined;
};

const positiveIntegerAt = (table: ConfigTable, key: string): number | undefined => {
  const value = table[key];
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;
};

const stringMapAt = (table: ConfigTable, key: string): Record<string, string> => {
  const value = table[key];
  if (!isConfigTable(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
};

const countAt = (table: ConfigTable, key: string): number | undefined => {
  const value = table[key];
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
};

/** The provider table for `providerId`: the configured one, else a built-in one; throws Codex's "not found". */
export function providerTableFor(config: ConfigTable, providerId: string): { table: ConfigTable; isBuiltIn: boolean } {
  const providers = config.model_providers;
  const configured = isConfigTable(providers) && Object.hasOwn(providers, providerId) ? providers[providerId] : undefined;
  if (isConfigTable(configured)) return { table: configured, isBuiltIn: false };
  const builtIn = Object.hasOwn(BUILT_IN_MODEL_PROVIDERS, providerId) ? BUILT_IN_MODEL_PROVIDERS[providerId] : undefined;
  if (builtIn) return { table: builtIn, isBuiltIn: true };
  throw invalid(`Model provider \`${providerId}\` not found`);
}

/** Whether `providerId` is configured in `config` or built in. */
export function isKnownProvider(config: ConfigTable, providerId: string): boolean {
  return providerTableOrUndefined(config, providerId) !== undefined;
}

function providerTableOrUndefined(config: ConfigTable, providerId: string) {
  try {
    return providerTableFor(config, providerId);
  } catch {
    return undefined;
  }
}

/** The keys that decide where a provider's credentials go and which ones it sends. */
const ROUTING_KEYS = ["base_url", "query_params", "env_key", "env_http_headers", "wire_api"] as const;

/** Two definitions of a provider send the same credentials to the same place. */
export function sameRouting(a: ConfigTable, b: ConfigTable): boolean {
  return ROUTING_KEYS.every((key) => JSON.stringify(a[key] ?? null) === JSON.stringify(b[key] ?? null));
}

/** The tenant secrets a provider needs: its `env_key` and the variables its `env_http_headers` name. */
export function secretNamesOf(table: ConfigTable): string[] {
  const envKey = stringAt(table, "env_key");
  return [...(envKey ? [envKey] : []), ...Object.values(stringMapAt(table, "env_http_headers"))];
}

export function missingSecretMessage(name: string, instructions: string | undefined): string {
  const base = `Missing environment variable: \`${name}\`. Set it as a tenant secret (switchyard secret set ${name}, or switchyard/secret/set).`;
  return instructions?.trim() ? `${base} ${instructions.trim()}` : base;
}

export interface ProviderCredentials {
  /** Tenant secrets by name (those the tenant has among `secretNamesOf`). */
  secrets: ReadonlyMap<string, string>;
  /** Opens a secret leaf of the config (a sealed bearer token or Authorization header). */
  openConfigSecret(value: string, what: string): string;
  /** The deployment's OpenAI key, for the built-in `openai` provider only. */
  deploymentOpenAiKey: string | null;
}

/** Maps a provider table to what a turn calls, with its credentials resolved. */
export function resolveProvider(
  providerId: string,
  provider: { table: ConfigTable; isBuiltIn: boolean },
  credentials: ProviderCredentials,
): ResolvedModelProvider {
  const { table } = provider;
  if (CLOUD_BUILT_IN_PROVIDER_IDS.includes(providerId) && stringAt(table, "base_url") === undefined) {
    throw invalid(
      `Model provider \`${providerId}\` signs in with ${providerId === "gcp" ? "Google Cloud" : "AWS"} credentials on the app-server's host, which a Switchyard session does not have: use a custom provider (a base_url, and env_key with a tenant secret)`,
    );
  }
  const wireApi = table.wire_api ?? "responses";
  if (wireApi !== "responses") {
    throw invalid(
      `Model provider \`${providerId}\` uses wire_api \`${String(wireApi)}\`; Switchyard supports only "responses" (set wire_api = "responses" in [model_providers.${providerId}])`,
    );
  }
  if (isConfigTable(table.gateway_oauth) && table.experimental_bearer_token === undefined && table.env_key === undefined) {
    throw invalid(
      `Model provider \`${providerId}\` signs in with gateway OAuth in a browser, which a Switchyard session cannot do: use env_key with a tenant secret, or experimental_bearer_token`,
    );
  }
  if (table.auth !== undefined && table.experimental_bearer_token === undefined) {
    throw invalid(
      `Model provider \`${providerId}\` gets its token from a command ([model_providers.${providerId}.auth]), which a Switchyard session cannot run: use env_key with a tenant secret, or experimental_bearer_token`,
    );
  }
  const baseUrl = (stringAt(table, "base_url") ?? OPENAI_BASE_URL).replace(/\/+$/, "");
  const secret = (name: string) => {
    const value = credentials.secrets.get(name);
    return value?.trim() ? value : undefined;
  };

  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(stringMapAt(table, "http_headers"))) {
    headers[header] = credentials.openConfigSecret(value, `http_headers.${header}`);
  }
  // As Codex: a header whose variable is unset or empty is left out.
  for (const [header, name] of Object.entries(stringMapAt(table, "env_http_headers"))) {
    const value = secret(name);
    if (value !== undefined) headers[header] = value;
  }

  let bearerToken: string | null = null;
  const inlineToken = stringAt(table, "experimental_bearer_token");
  const envKey = stringAt(table, "env_key");
  if (inlineToken !== undefined) {
    bearerToken = credentials.openConfigSecret(inlineToken, "experimental_bearer_token");
  } else if (envKey) {
    const usesDeploymentKey = providerId === OPENAI_PROVIDER_ID && baseUrl === OPENAI_BASE_URL && envKey === "OPENAI_API_KEY";
    bearerToken = secret(envKey) ?? (usesDeploymentKey ? credentials.deploymentOpenAiKey : null);
    if (bearerToken === null) throw invalid(missingSecretMessage(envKey, stringAt(table, "env_key_instructions")));
  }

  const builtInName = Object.hasOwn(BUILT_IN_MODEL_PROVIDERS, providerId)
    ? stringAt(BUILT_IN_MODEL_PROVIDERS[providerId] as ConfigTable, "name")
    : undefined;
  const idleTimeout = countAt(table, "stream_idle_timeout_ms");
  return {
    id: providerId,
    name: stringAt(table, "name")?.trim() || builtInName || providerId,
    baseUrl,
    wireApi: "responses",
    queryParams: stringMapAt(table, "query_params"),
    headers,
    bearerToken,
    requestMaxRetries: Math.min(
      countAt(table, "request_max_retries") ?? PROVIDER_DEFAULTS.requestMaxRetries,
      PROVIDER_DEFAULTS.maxRetriesCap,
    ),
    streamMaxRetries: Math.min(
      countAt(table, "stream_max_retries") ?? PROVIDER_DEFAULTS.streamMaxRetries,
      PROVIDER_DEFAULTS.maxRetriesCap,
    ),
    streamIdleTimeoutMs: idleTimeout && idleTimeout > 0 ? idleTimeout : PROVIDER_DEFAULTS.streamIdleTimeoutMs,
  };
}

interface Caller {
  tenant: string;
  subject: string;
}

export class ModelProviders {
  constructor(
    private readonly deps: {
      store: ConfigStore;
      resolver: ConfigResolver;
      secrets: TenantSecretStore;
      configSecrets: ConfigSecrets;
      deploymentOpenAiKey: string | null;
      catalog: ModelCatalog;
    },
  ) {}

  async resolve(caller: Caller, params: ResolveModelProviderParams): Promise<ResolveModelProviderResponse> {
    const { config, sessionLayer } = await this.threadConfig(caller, params.threadId);
    const provider = providerTableFor(config, params.providerId);
    // Tenant secrets go only where the tenant's managed layers send them: a provider a user defined
    // or re-pointed in their own (or a project's) layer would otherwise carry the tenant's keys to
    // any URL that user chooses.
    const managed = providerTableOrUndefined(
      await this.deps.resolver.managedConfig(caller.tenant, sessionLayer),
      params.providerId,
    );
    const mayUseTenantSecrets = managed !== undefined && sameRouting(provider.table, managed.table);
    const names = secretNamesOf(provider.table);
    if (!mayUseTenantSecrets && names.length > 0) {
      throw invalid(
        `Model provider \`${params.providerId}\` is defined or changed in a user's or project's own config, so it cannot use the tenant's secrets (${names.join(", ")}): define it in the tenant's system config or the orchestrator's session config, or give it its own experimental_bearer_token`,
      );
    }
    let secrets: Map<string, string>;
    try {
      secrets = await this.deps.secrets.values(caller.tenant, names);
    } catch (error) {
      if (error instanceof SecretBoxError) throw invalid(`${error.message}; set it again with switchyard secret set`);
      throw error;
    }
    const resolved = resolveProvider(params.providerId, provider, {
      secrets,
      deploymentOpenAiKey: this.deps.deploymentOpenAiKey,
      openConfigSecret: (value, what) => {
        try {
          return this.deps.configSecrets.open(caller.tenant, value);
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          throw invalid(
            `the stored ${what} of model provider \`${params.providerId}\` cannot be opened (${error.message}); write it again`,
          );
        }
      },
    });
    const model = params.model ?? stringAt(config, "model");
    const catalog = model === undefined ? undefined : await this.deps.catalog.turnFacts(caller.tenant, model, params.providerId);
    return {
      provider: resolved,
      reasoningEffort: stringAt(config, "model_reasoning_effort") ?? null,
      reasoningSummary: stringAt(config, "model_reasoning_summary") ?? null,
      developerInstructions: stringAt(config, "developer_instructions") ?? null,
      reviewModel: stringAt(config, "review_model") ?? null,
      modelContextWindow: positiveIntegerAt(config, "model_context_window") ?? null,
      catalogWindow: catalog?.window ?? null,
      serviceTiers: catalog?.serviceTiers ?? null,
    };
  }

  /**
   * The thread's effective config: its snapshot from thread start (refreshed by reloads), which
   * holds its session layer. A thread without one (none was resolved for it) gets the caller's
   * config with the thread's stored session config, if any, as its session layer.
   */
  private async threadConfig(
    caller: Caller,
    threadId: string,
  ): Promise<{ config: ConfigTable; sessionLayer: ConfigTable | null }> {
    const row = await this.deps.store.readThreadConfig(caller.tenant, threadId);
    if (row) return { config: row.effective, sessionLayer: row.session_layer };
    const session = await this.deps.store.sessionConfigFor(caller.tenant, { threadId, cwd: null });
    const sessionLayer = session?.body ?? null;
    const resolved = await this.deps.resolver.resolve({ ...caller, cwd: null, sessionLayer });
    return { config: resolved.effective.config, sessionLayer };
  }
}

// ---- modelProvider/list and modelProvider/capabilities/read -------------------------------------
//
// As Codex 0.171.0 answers them (each rule below was read off the binary's answers): the effective
// config's providers and the built-in `openai`, by id; a provider's credentials never shown, only
// how it authenticates; a base URL only when it carries no credentials, query or fragment.

/** A provider's keys that mean its credentials are configured outside an `env_key` (any of them set). */
const EXTERNAL_AUTH_KEYS = ["experimental_bearer_token", "http_headers", "env_http_headers", "query_params", "auth", "aws"];

const OPENAI_SUMMARY: ModelProviderSummary = {
  id: OPENAI_PROVIDER_ID,
  name: "OpenAI",
  canEdit: false,
  baseUrl: null,
  settings: { type: "openai" },
};

/** The base URL as config names it, or null when absent, not http(s), or carrying credentials, a query or a fragment. */
function displayedBaseUrl(url: URL | undefined, text: string | undefined): string | null {
  if (!url || !text || (url.protocol !== "http:" && url.protocol !== "https:")) return null;
  return url.username || url.password || url.search || url.hash ? null : text;
}

function parsedUrl(text: string | undefined): URL | undefined {
  try {
    return text === undefined ? undefined : new URL(text);
  } catch {
    return undefined;
  }
}

/** A Bedrock or Vertex AI provider as Codex shows it: its cloud settings (null when unset), no base URL unless configured. */
function cloudProviderSummary(id: string, table: ConfigTable, canEdit: boolean): ModelProviderSummary {
  const text = (from: ConfigTable, key: string) => stringAt(from, key) ?? null;
  const aws = isConfigTable(table.aws) ? table.aws : {};
  const baseUrlText = stringAt(table, "base_url");
  return {
    id,
    name: stringAt(table, "name") ?? (stringAt(BUILT_IN_MODEL_PROVIDERS[id] ?? {}, "name") as string),
    canEdit,
    baseUrl: displayedBaseUrl(parsedUrl(baseUrlText), baseUrlText),
    settings:
      id === "gcp"
        ? {
            type: "gcp",
            projectId: text(table, "project_id"),
            location: text(table, "location"),
            credentialFile: text(table, "credential_file"),
          }
        : { type: "bedrock", profile: text(aws, "profile"), region: text(aws, "region") },
  };
}

/** How modelProvider/list and modelProvider/config/write show provider `id` of `config` (configured or not). */
export function providerSummaryIn(effective: EffectiveConfig, id: string): ModelProviderSummary {
  if (id === OPENAI_PROVIDER_ID) return OPENAI_SUMMARY;
  const providers = isConfigTable(effective.config.model_providers) ? effective.config.model_providers : {};
  const table = isConfigTable(providers[id]) ? providers[id] : {};
  const canEdit = !isSetAboveUser(effective, ["model_providers", id]);
  return CLOUD_BUILT_IN_PROVIDER_IDS.includes(id)
    ? cloudProviderSummary(id, table, canEdit)
    : providerSummary(id, table, canEdit);
}

/** One configured provider as modelProvider/list shows it. */
export function providerSummary(id: string, table: ConfigTable, canEdit: boolean): ModelProviderSummary {
  const baseUrlText = stringAt(table, "base_url");
  const url = parsedUrl(baseUrlText);
  const envKey = stringAt(table, "env_key");
  const isExternal =
    table.requires_openai_auth === true ||
    EXTERNAL_AUTH_KEYS.some((key) => table[key] !== undefined && table[key] !== null) ||
    Boolean(url && (url.username || url.password || url.search));
  const auth: GatewayAuth = isExternal
    ? { mode: "externallyConfigured", envKey: envKey ?? null }
    : envKey !== undefined
      ? { mode: "environmentVariable", envKey }
      : { mode: "none" };
  return {
    id,
    name: stringAt(table, "name") ?? id,
    canEdit,
    baseUrl: displayedBaseUrl(url, baseUrlText),
    settings: { type: "customGateway", auth },
  };
}

/** Whether an enabled layer above the user's sets the value at `path` (a user write there would not take effect). */
function isSetAboveUser(effective: EffectiveConfig, path: readonly string[]): boolean {
  const user = precedenceOf({ type: "user", file: "" });
  return effective.layers.some(
    (layer) => layer.disabledReason === null && precedenceOf(layer.name) > user && valueAtPath(layer.config, path) !== undefined,
  );
}

/** modelProvider/list's answer for an effective config. */
export function modelProviderList(effective: EffectiveConfig): ModelProviderListResponse {
  const providers = isConfigTable(effective.config.model_providers) ? effective.config.model_providers : {};
  const custom = Object.entries(providers)
    .filter((entry): entry is [string, ConfigTable] => entry[0] !== OPENAI_PROVIDER_ID && isConfigTable(entry[1]))
    .map(([id]) => providerSummaryIn(effective, id));
  const data = [...custom, OPENAI_SUMMARY].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    data,
    defaultProviderId: stringAt(effective.config, "model_provider") ?? OPENAI_PROVIDER_ID,
    canChangeDefault: !isSetAboveUser(effective, ["model_provider"]),
  };
}

/** account/gatewayOAuth/read's answer: the default provider, and whether it uses gateway OAuth (never signed in here). */
export function gatewayOAuthState(config: ConfigTable): GatewayOAuthReadResponse {
  const providerId = stringAt(config, "model_provider") ?? OPENAI_PROVIDER_ID;
  const table = providerTableOrUndefined(config, providerId)?.table ?? {};
  const oauth = isConfigTable(table.gateway_oauth) ? table.gateway_oauth : undefined;
  return {
    providerId,
    providerName: stringAt(table, "name") ?? providerId,
    required: oauth !== undefined,
    supportsDeviceAuth: oauth !== undefined && typeof oauth.device_authorization_url === "string",
    // Switchyard runs no sign-in flow: a provider that needs one is never ready here.
    status: oauth === undefined ? null : "notReady",
    error: null,
  };
}

/** modelProvider/capabilities/read's answer: the default provider's; Codex's -32603 when it is not known. */
export function modelProviderCapabilities(config: ConfigTable): ModelProviderCapabilitiesReadResponse {
  const providerId = stringAt(config, "model_provider") ?? OPENAI_PROVIDER_ID;
  if (!isKnownProvider(config, providerId)) {
    throw new SwitchyardError({
      reason: "configLoadFailed",
      message: `failed to resolve feature override precedence: Model provider \`${providerId}\` not found`,
    });
  }
  // Every provider Switchyard can call offers both (Codex answers false only for image generation on Bedrock).
  return { imageGeneration: true, webSearch: true };
}
