// modelProvider/config/write: a provider's settings as Codex 0.171.0's provider form edits them, in
// the caller's user layer. Each rule and text below was read off the binary's answers:
//
// - customGateway without a `providerId` creates a provider: a name (trimmed, not one of the built-in
//   providers' names) and an http(s) base URL are required; its id is the name made a slug (ASCII
//   letters and digits, lower case, anything else one `-`; `custom` if nothing is left), with `-2`,
//   `-3`, … when the id is taken by a configured or built-in provider. It is written with
//   `wire_api = "responses"`.
// - customGateway with a `providerId` edits a configured provider (not a built-in one): each field
//   given replaces its value, null removes it, an omitted one stays.
// - bedrock and gcp edit the built-in Bedrock and Vertex AI providers' cloud settings
//   (`[model_providers.<id>.aws] profile, region`; `project_id`, `location`, `credential_file`);
//   blank values are refused (null clears; a table left empty stays, as Codex leaves it).
//
// Switchyard keeps these settings as Codex does, but its turns cannot call Bedrock or Vertex AI: they
// authenticate with the cloud's own credentials on the app-server host (model-providers.ts refuses
// such a turn in words that say so).
import type { ConfigEdit, ProviderSettingsPatch } from "@switchyard/protocol";
import { type ConfigTable, ConfigWriteError, isConfigTable } from "../model/index.js";
import { BUILT_IN_MODEL_PROVIDERS } from "./model-providers.js";

/** The ids of Codex 0.171.0's built-in providers: a custom provider cannot take or edit one. */
const BUILT_IN_PROVIDER_IDS: readonly string[] = Object.keys(BUILT_IN_MODEL_PROVIDERS);

/** The names a custom provider cannot take (the built-in providers' names, as Codex reserves them). */
const RESERVED_NAMES = new Set(["OpenAI", "Amazon Bedrock", "Amazon Bedrock Runtime", "Google Cloud Vertex AI"]);

const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const invalid = (message: string) => new ConfigWriteError("configValidationError", message);

export interface ProviderWritePlan {
  providerId: string;
  /** The user layer's edits: a new provider's whole table, else each field given (null removes it). */
  edits: ConfigEdit[];
}

/**
 * What the write does: the provider it names or creates and the edits of the user's layer. `effective`
 * is the caller's config before the write (which ids exist). A field the write does not name is not
 * touched (a sealed credential stays as it is), and a table whose fields are all cleared stays, empty,
 * as Codex leaves it.
 */
export function planProviderWrite(settings: ProviderSettingsPatch, effective: ConfigTable): ProviderWritePlan {
  const configured = isConfigTable(effective.model_providers) ? effective.model_providers : {};
  const fieldEdits = (providerId: string, fields: [string, string | null | undefined][], under: string[] = []) => ({
    providerId,
    edits: fields
      .filter((field): field is [string, string | null] => field[1] !== undefined)
      .map(([key, value]) => ({
        keyPath: `model_providers.${[providerId, ...under, key].map((segment) => JSON.stringify(segment)).join(".")}`,
        value,
        mergeStrategy: "replace" as const,
      })),
  });
  switch (settings.type) {
    case "customGateway": {
      // The id is checked first (a write to an unknown or built-in id is refused whatever it holds).
      if (settings.providerId != null) {
        if (BUILT_IN_PROVIDER_IDS.includes(settings.providerId)) {
          throw invalid("A custom provider or gateway cannot use a built-in provider ID.");
        }
        if (!Object.hasOwn(configured, settings.providerId))
          throw new ConfigWriteError("configPathNotFound", "Unknown provider ID.");
      }
      const name = settings.name === undefined ? undefined : settings.name.trim();
      if (name !== undefined && name === "") throw invalid("Enter a provider name.");
      if (name !== undefined && RESERVED_NAMES.has(name)) {
        throw invalid("This name is reserved for a built-in provider. Enter a different custom provider name.");
      }
      const baseUrl = settings.baseUrl == null ? settings.baseUrl : checkedBaseUrl(settings.baseUrl);
      const envKey = settings.envKey == null ? settings.envKey : checkedEnvKey(settings.envKey);
      if (settings.providerId != null) {
        return fieldEdits(settings.providerId, [
          ["name", name],
          ["base_url", baseUrl],
          ["env_key", envKey],
        ]);
      }
      if (name === undefined) throw invalid("Enter a provider name.");
      if (baseUrl == null) throw invalid("A base URL is required to create a custom provider.");
      const providerId = unusedId(providerSlug(name), configured);
      // A new provider's keys in order, as Codex writes them.
      const table = { base_url: baseUrl, ...(envKey == null ? {} : { env_key: envKey }), name, wire_api: "responses" };
      return {
        providerId,
        edits: [{ keyPath: `model_providers.${JSON.stringify(providerId)}`, value: table, mergeStrategy: "replace" }],
      };
    }
    case "bedrock":
      return fieldEdits(
        settings.providerId,
        [
          ["profile", nonBlank(settings.profile)],
          ["region", nonBlank(settings.region)],
        ],
        ["aws"],
      );
    case "gcp":
      // A relative credential_file is refused by the config's validation, in Codex's words (schema.ts).
      return fieldEdits(settings.providerId, [
        ["project_id", nonBlank(settings.projectId)],
        ["location", nonBlank(settings.location)],
        ["credential_file", nonBlank(settings.credentialFile)],
      ]);
  }
}

/** A cloud setting: trimmed; blank is refused (null is how a field is cleared). */
function nonBlank(value: string | null | undefined): string | null | undefined {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (trimmed === "") throw invalid("Configuration values must not be empty; use null to clear a field.");
  return trimmed;
}

/** An http(s) URL without credentials, a query or a fragment (even an empty `?` or `#`), trimmed and kept as written. */
function checkedBaseUrl(text: string): string {
  const trimmed = text.trim();
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  const isHttp = url?.protocol === "http:" || url?.protocol === "https:";
  if (!url || !isHttp || url.username || url.password || trimmed.includes("?") || trimmed.includes("#")) {
    throw invalid("Enter an HTTP(S) base URL without credentials, a query, or a fragment.");
  }
  return trimmed;
}

function checkedEnvKey(text: string): string {
  const trimmed = text.trim();
  if (!ENV_KEY_PATTERN.test(trimmed)) throw invalid("Invalid API key environment variable name.");
  return trimmed;
}

/** A provider name as an id: lower-case ASCII letters and digits, every other run one `-`, `custom` when empty. */
export function providerSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug || "custom";
}

/** `base`, else `base-2`, `base-3`, …: the first id no configured or built-in provider has. */
function unusedId(base: string, configured: ConfigTable): string {
  const isTaken = (id: string) => Object.hasOwn(configured, id) || BUILT_IN_PROVIDER_IDS.includes(id);
  if (!isTaken(base)) return base;
  for (let suffix = 2; ; suffix++) {
    const candidate = `${base}-${suffix}`;
    if (!isTaken(candidate)) return candidate;
  }
}
