// Session config as spelled in config.toml ⇄ the `SessionThreadConfig` proto message.
//
// Decoding applies the checks Codex's gRPC client makes (codex-rs/config/src/thread_config/remote.rs)
// and produces what Codex would put in its `sessionFlags` layer: the provider serialized as
// `ModelProviderInfo` is (name, wire_api and the two booleans always; unset options left out; the
// Bedrock region list only when non-empty; auth with its defaults filled in). Encoding is the serving
// side: it refuses what Codex's client would refuse, so a bad stored config fails here, named, rather
// than as an opaque parse error inside a user's Codex.
import { isAbsolute } from "node:path";
import { SessionConfigEncodeError, ThreadConfigLoadError } from "./errors.js";
import type {
  ModelProviderAuthInfoMessage,
  ModelProviderMessage,
  SessionThreadConfigMessage,
  StringMapMessage,
  ThreadConfigSourceMessage,
} from "./proto.js";

export type WireApiToml = "responses";

/** `[model_providers.<id>.auth]`: a command that prints a bearer token. */
export interface ModelProviderAuthToml {
  command: string;
  args?: string[];
  /** Milliseconds to wait for the command; non-zero; default 5000. */
  timeout_ms?: number;
  /** Milliseconds before the cached token is refreshed; 0 disables proactive refresh; default 300000. */
  refresh_interval_ms?: number;
  /** Absolute working directory for the command (required on the wire). */
  cwd?: string;
}

/** `[model_providers.<id>]`, as Codex's `ModelProviderInfo` reads it. */
export interface ModelProviderToml {
  name?: string;
  base_url?: string;
  env_key?: string;
  env_key_instructions?: string;
  experimental_bearer_token?: string;
  auth?: ModelProviderAuthToml;
  /** Only "responses" exists; absent means "responses". */
  wire_api?: WireApiToml;
  query_params?: Record<string, string>;
  http_headers?: Record<string, string>;
  /** Header name → name of the environment variable holding its value. */
  env_http_headers?: Record<string, string>;
  request_max_retries?: number;
  stream_max_retries?: number;
  stream_idle_timeout_ms?: number;
  websocket_connect_timeout_ms?: number;
  requires_openai_auth?: boolean;
  supports_websockets?: boolean;
  bedrock_mantle_additional_regions?: string[];
}

/** The session-owned part of config.toml that the thread-config endpoint carries. */
export interface SessionConfigToml {
  model_provider?: string;
  model_providers?: Record<string, ModelProviderToml>;
  features?: Record<string, boolean>;
}

/** Codex's serde defaults for `ModelProviderAuthInfo`. */
const defaultAuthTimeoutMs = 5_000;
const defaultAuthRefreshIntervalMs = 300_000;

// ---------------------------------------------------------------------------------------------
// Decoding (consuming an endpoint): proto → TOML-shaped config, with Codex's parse rules.

function parseError(message: string): ThreadConfigLoadError {
  return new ThreadConfigLoadError("parse", message);
}

/** Parses one `SessionThreadConfig`; throws `ThreadConfigLoadError` ("parse") as Codex would refuse it. */
export function sessionConfigFromProto(message: SessionThreadConfigMessage): SessionConfigToml {
  const config: SessionConfigToml = {};
  if (message.model_provider !== undefined && message.model_provider !== null) {
    config.model_provider = message.model_provider;
  }
  // Codex collects providers into a map: a repeated id keeps the last definition.
  const providers = new Map<string, ModelProviderToml>();
  for (const provider of message.model_providers ?? []) {
    const [id, parsed] = modelProviderFromProto(provider);
    providers.set(id, parsed);
  }
  if (providers.size > 0) config.model_providers = Object.fromEntries(providers);
  const features = Object.entries(message.features ?? {});
  if (features.length > 0) config.features = Object.fromEntries(features);
  return config;
}

function modelProviderFromProto(provider: ModelProviderMessage): [string, ModelProviderToml] {
  const id = provider.id ?? "";
  if (id === "") {
    throw parseError("remote thread config returned model provider without an id (model_providers[].id is empty)");
  }
  const wireApi = provider.wire_api ?? "WIRE_API_UNSPECIFIED";
  if (wireApi === "WIRE_API_UNSPECIFIED") {
    throw parseError(`remote thread config omitted wire_api for model provider \`${id}\``);
  }
  if (wireApi !== "WIRE_API_RESPONSES") {
    throw parseError(`remote thread config returned unknown wire_api: ${wireApi} (model provider \`${id}\`)`);
  }

  const parsed: ModelProviderToml = { name: provider.name ?? "" };
  setIfPresent(parsed, "base_url", provider.base_url);
  setIfPresent(parsed, "env_key", provider.env_key);
  setIfPresent(parsed, "env_key_instructions", provider.env_key_instructions);
  setIfPresent(parsed, "experimental_bearer_token", provider.experimental_bearer_token);
  if (provider.auth) parsed.auth = authFromProto(id, provider.auth);
  const regions = provider.bedrock_mantle_additional_regions ?? [];
  if (regions.length > 0) parsed.bedrock_mantle_additional_regions = [...regions];
  parsed.wire_api = "responses";
  setIfPresent(parsed, "query_params", stringMapFromProto(provider.query_params));
  setIfPresent(parsed, "http_headers", stringMapFromProto(provider.http_headers));
  setIfPresent(parsed, "env_http_headers", stringMapFromProto(provider.env_http_headers));
  setIfPresent(parsed, "request_max_retries", provider.request_max_retries);
  setIfPresent(parsed, "stream_max_retries", provider.stream_max_retries);
  setIfPresent(parsed, "stream_idle_timeout_ms", provider.stream_idle_timeout_ms);
  setIfPresent(parsed, "websocket_connect_timeout_ms", provider.websocket_connect_timeout_ms);
  parsed.requires_openai_auth = provider.requires_openai_auth ?? false;
  parsed.supports_websockets = provider.supports_websockets ?? false;
  return [id, parsed];
}

function authFromProto(providerId: string, auth: ModelProviderAuthInfoMessage): ModelProviderAuthToml {
  const timeoutMs = auth.timeout_ms ?? 0;
  if (timeoutMs === 0) {
    throw parseError(`remote thread config returned zero auth timeout_ms (model provider \`${providerId}\`)`);
  }
  const cwd = auth.cwd ?? "";
  if (!isAbsolute(cwd)) {
    throw parseError(
      `remote thread config returned invalid auth cwd ${JSON.stringify(cwd)}: not an absolute path (model provider \`${providerId}\`)`,
    );
  }
  return {
    command: auth.command ?? "",
    args: [...(auth.args ?? [])],
    timeout_ms: timeoutMs,
    refresh_interval_ms: auth.refresh_interval_ms ?? 0,
    cwd,
  };
}

function stringMapFromProto(map: StringMapMessage | null | undefined): Record<string, string> | undefined {
  if (map === null || map === undefined) return undefined;
  return Object.fromEntries(Object.entries(map.values ?? {}));
}

function setIfPresent<K extends keyof ModelProviderToml>(
  target: ModelProviderToml,
  key: K,
  value: ModelProviderToml[K] | null | undefined,
): void {
  if (value !== null && value !== undefined) target[key] = value;
}

/**
 * Reads a `Load` response the way Codex layers it: every source must carry a payload; each non-empty
 * session source is its own `sessionFlags` layer, in response order, so later sources override earlier
 * ones key by key (tables merge, other values replace); user sources carry no fields yet. Returns the
 * effective session config (null when no session source adds anything) and whether a user source came.
 */
export function sessionConfigFromSources(sources: readonly ThreadConfigSourceMessage[]): {
  session: SessionConfigToml | null;
  user: boolean;
} {
  const layers: SessionConfigToml[] = [];
  let user = false;
  for (const source of sources) {
    if (source.session) {
      const layer = sessionConfigFromProto(source.session);
      if (Object.keys(layer).length > 0) layers.push(layer);
    } else if (source.user) {
      user = true;
    } else {
      throw parseError("remote thread config omitted source payload");
    }
  }
  if (layers.length === 0) return { session: null, user };
  return { session: layers.reduce((base, overlay) => mergeTomlTables(base, overlay)), user };
}

type TomlTable = { [key: string]: unknown };

function isTable(value: unknown): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Codex's `merge_toml_values`: `overlay` wins; where both sides hold a table, merge recursively. */
function mergeTomlTables<T extends object>(base: T, overlay: T): T {
  const merged = new Map<string, unknown>(Object.entries(base));
  for (const [key, value] of Object.entries(overlay)) {
    const existing = merged.get(key);
    merged.set(key, isTable(existing) && isTable(value) ? mergeTomlTables(existing, value) : value);
  }
  return Object.fromEntries(merged) as T;
}

// ---------------------------------------------------------------------------------------------
// Encoding (serving an endpoint): TOML-shaped config → proto.

/** Encodes a session config for the wire; throws `SessionConfigEncodeError` naming the bad value. */
export function sessionConfigToProto(config: SessionConfigToml): SessionThreadConfigMessage {
  const message: SessionThreadConfigMessage = {};
  if (config.model_provider !== undefined) {
    message.model_provider = requireString(config.model_provider, "model_provider");
  }
  const providers = Object.entries(config.model_providers ?? {});
  if (providers.length > 0) {
    message.model_providers = providers.map(([id, provider]) => modelProviderToProto(id, provider));
  }
  const features = Object.entries(config.features ?? {});
  if (features.length > 0) {
    for (const [name, enabled] of features) {
      if (typeof enabled !== "boolean") throw new SessionConfigEncodeError(`features.${name}`, "must be a boolean");
    }
    message.features = Object.fromEntries(features);
  }
  return message;
}

function modelProviderToProto(id: string, provider: ModelProviderToml): ModelProviderMessage {
  const path = `model_providers.${id === "" ? '""' : id}`;
  if (id === "") throw new SessionConfigEncodeError(path, "a model provider id must not be empty");
  if (!isTable(provider as unknown)) throw new SessionConfigEncodeError(path, "must be a table");
  const wireApi: unknown = provider.wire_api ?? "responses";
  if (wireApi !== "responses") {
    throw new SessionConfigEncodeError(
      `${path}.wire_api`,
      `${JSON.stringify(wireApi)} is not supported; the only wire_api is "responses"`,
    );
  }
  const message: ModelProviderMessage = {
    id,
    name: provider.name === undefined ? "" : requireString(provider.name, `${path}.name`),
    wire_api: "WIRE_API_RESPONSES",
    requires_openai_auth: optionalBoolean(provider.requires_openai_auth, `${path}.requires_openai_auth`) ?? false,
    supports_websockets: optionalBoolean(provider.supports_websockets, `${path}.supports_websockets`) ?? false,
  };
  for (const key of ["base_url", "env_key", "env_key_instructions", "experimental_bearer_token"] as const) {
    const value = provider[key];
    if (value !== undefined) message[key] = requireString(value, `${path}.${key}`);
  }
  if (provider.auth !== undefined) message.auth = authToProto(provider.auth, `${path}.auth`);
  for (const key of ["query_params", "http_headers", "env_http_headers"] as const) {
    const value = provider[key];
    if (value !== undefined) message[key] = { values: stringRecord(value, `${path}.${key}`) };
  }
  for (const key of [
    "request_max_retries",
    "stream_max_retries",
    "stream_idle_timeout_ms",
    "websocket_connect_timeout_ms",
  ] as const) {
    const value = provider[key];
    if (value !== undefined) message[key] = unsignedInteger(value, `${path}.${key}`);
  }
  const regions = provider.bedrock_mantle_additional_regions;
  if (regions !== undefined) {
    if (!Array.isArray(regions)) {
      throw new SessionConfigEncodeError(`${path}.bedrock_mantle_additional_regions`, "must be an array of strings");
    }
    message.bedrock_mantle_additional_regions = regions.map((region, index) =>
      requireString(region, `${path}.bedrock_mantle_additional_regions[${index}]`),
    );
  }
  return message;
}

function authToProto(auth: ModelProviderAuthToml, path: string): ModelProviderAuthInfoMessage {
  if (!isTable(auth as unknown)) throw new SessionConfigEncodeError(path, "must be a table");
  const timeoutMs = auth.timeout_ms === undefined ? defaultAuthTimeoutMs : unsignedInteger(auth.timeout_ms, `${path}.timeout_ms`);
  if (timeoutMs === 0) throw new SessionConfigEncodeError(`${path}.timeout_ms`, "must not be zero");
  const cwd = auth.cwd === undefined ? undefined : requireString(auth.cwd, `${path}.cwd`);
  if (cwd === undefined || !isAbsolute(cwd)) {
    throw new SessionConfigEncodeError(`${path}.cwd`, "must be an absolute path (Codex refuses an auth without one)");
  }
  const args = auth.args ?? [];
  if (!Array.isArray(args)) throw new SessionConfigEncodeError(`${path}.args`, "must be an array of strings");
  return {
    command: requireString(auth.command, `${path}.command`),
    args: args.map((arg, index) => requireString(arg, `${path}.args[${index}]`)),
    timeout_ms: timeoutMs,
    refresh_interval_ms:
      auth.refresh_interval_ms === undefined
        ? defaultAuthRefreshIntervalMs
        : unsignedInteger(auth.refresh_interval_ms, `${path}.refresh_interval_ms`),
    cwd,
  };
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== "string") throw new SessionConfigEncodeError(path, "must be a string");
  return value;
}

function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new SessionConfigEncodeError(path, "must be a boolean");
  return value;
}

function unsignedInteger(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new SessionConfigEncodeError(path, "must be a non-negative integer");
  }
  return value;
}

function stringRecord(value: unknown, path: string): Record<string, string> {
  if (!isTable(value)) throw new SessionConfigEncodeError(path, "must be a table of strings");
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, requireString(entry, `${path}.${key}`)]));
}
