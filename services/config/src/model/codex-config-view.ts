// An effective config as Codex 0.171.0's config/read shows it. Codex deserializes the merged layers
// into its `ConfigToml` struct and serializes that struct back, so its answer is not the layers'
// union but the struct's view of it:
//
// - every key Codex knows is there: the schema's declared keys first (DECLARED_CONFIG_KEYS), then the
//   rest (`CODEX_UNDECLARED_DEFAULTS`; Codex's own order for those is a hash map's, different in every
//   process, so none is owed), each with its value or, when no layer sets it, what Codex answers: null
//   for an unset option, the struct's default otherwise (`project_doc_max_bytes: 32768`, the feature
//   flags, `history`, …);
// - a table Codex reads as a struct is answered field by field: the fields a layer left out get their
//   defaults and the keys the struct does not have are dropped (`[history] bar = 1` shows no `bar`);
//   likewise each entry of `model_providers`, `profiles`, `projects`, `marketplaces`, `mcp_servers`;
// - a top-level key Codex does not know is dropped from `config` (it stays in `origins` and `layers`,
//   as in Codex), except Switchyard's own keys, which Switchyard documents and reads.
//
// The defaults (codex-config-defaults.ts) were recorded from the binary's answers, one probe per
// table; `test/interop-config-read.test.ts` compares whole answers with the binary's. Nothing here
// changes what a thread runs with: it is config/read's presentation of the same effective config.
import { DECLARED_CONFIG_KEYS } from "@switchyard/protocol";
import { CODEX_ENTRY_DEFAULTS, CODEX_TABLE_DEFAULTS, CODEX_UNDECLARED_DEFAULTS } from "./codex-config-defaults.js";
import { type ConfigTable, deepClone, isConfigTable } from "./layers.js";

/** Switchyard's own top-level keys (schema.ts), shown after Codex's although Codex 0.171.0 does not know them. */
const SWITCHYARD_KEYS = ["experimental_thread_config_endpoint", "debug"] as const;

/** A value as a struct with these fields shows it: each field given or defaulted, nothing else. */
function asStruct(value: unknown, defaults: Readonly<Record<string, unknown>>, nested: NestedViews = {}): unknown {
  if (!isConfigTable(value)) return value;
  const shown: ConfigTable = {};
  for (const [field, fallback] of Object.entries(defaults)) {
    const given = value[field];
    if (given === undefined) shown[field] = deepClone(fallback);
    else if (nested[field]) shown[field] = nested[field](given);
    else if (isStructDefault(fallback)) shown[field] = asStruct(given, fallback as Record<string, unknown>);
    else shown[field] = given;
  }
  return shown;
}

/** A default that is a table with fields is a struct's (a nested one); an empty table is a map's. */
function isStructDefault(fallback: unknown): boolean {
  return isConfigTable(fallback) && Object.keys(fallback).length > 0;
}

type NestedViews = Record<string, (value: unknown) => unknown>;

const table = (name: string) => (value: unknown) => asStruct(withAliases(name, value), CODEX_TABLE_DEFAULTS[name] ?? {});

/** Fields Codex reads under another name too (serde aliases), by table: the field and its alias. */
const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  agents: { max_concurrent_threads_per_session: "max_threads" },
};

function withAliases(name: string, value: unknown): unknown {
  const aliases = ALIASES[name];
  if (!aliases || !isConfigTable(value)) return value;
  const named = { ...value };
  for (const [field, alias] of Object.entries(aliases)) {
    if (named[field] === undefined && named[alias] !== undefined) named[field] = named[alias];
  }
  return named;
}

/** Each entry of a map shown by `view`. */
const entries = (view: (value: unknown) => unknown) => (value: unknown) =>
  isConfigTable(value) ? Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, view(entry)])) : value;

/**
 * `[features]`: Codex's flags with their defaults when the table is absent; once it is given, its
 * flags over the defaults (unknown flags kept: it is a map), with the struct's `network_proxy` first.
 * A profile's `[features]` is not defaulted (`withDefaults` false): only what it sets, and `network_proxy`.
 */
function features(value: unknown, withDefaults: boolean): unknown {
  if (!isConfigTable(value)) return value;
  const defaults = withDefaults ? (CODEX_UNDECLARED_DEFAULTS.features as ConfigTable) : {};
  return { network_proxy: value.network_proxy ?? null, ...defaults, ...value };
}

/** `[tools]`: only `web_search`, and only in its table form (`web_search = true` shows as null). */
function tools(value: unknown): unknown {
  if (!isConfigTable(value)) return value;
  const webSearch = value.web_search;
  return {
    web_search: isConfigTable(webSearch)
      ? asStruct(webSearch, { context_size: null, allowed_domains: null, location: null })
      : null,
  };
}

/** An `[mcp_servers.<name>]` entry: what it sets, with Codex's defaults for the fields every server has. */
function mcpServer(value: unknown): unknown {
  if (!isConfigTable(value)) return value;
  const stdio = value.command !== undefined ? { args: value.args ?? [] } : {};
  return {
    ...value,
    ...stdio,
    environment_id: value.environment_id ?? "local",
    enabled: value.enabled ?? true,
    tool_timeout_sec: value.tool_timeout_sec ?? null,
  };
}

const profileNested: NestedViews = {
  analytics: table("analytics"),
  tui: table("tui"),
  windows: table("windows"),
  tools,
  features: (value) => features(value, false),
};

/** A provider's `[aws]` table (Bedrock's settings) is a struct: every field shown. */
const providerNested: NestedViews = {
  aws: (value) => asStruct(value, { profile: null, region: null, credential_export: null, auth_refresh: null }),
};

/** How each key's value is shown once a layer sets it (keys not here are shown as set). */
const VIEWS: NestedViews = {
  ...Object.fromEntries(Object.keys(CODEX_TABLE_DEFAULTS).map((name) => [name, table(name)])),
  tools,
  features: (value) => features(value, true),
  mcp_servers: entries(mcpServer),
  model_providers: entries((value) => asStruct(value, CODEX_ENTRY_DEFAULTS.model_providers ?? {}, providerNested)),
  profiles: entries((value) => asStruct(value, CODEX_ENTRY_DEFAULTS.profiles ?? {}, profileNested)),
  projects: entries((value) => asStruct(value, CODEX_ENTRY_DEFAULTS.projects ?? {})),
  marketplaces: entries((value) => asStruct(value, CODEX_ENTRY_DEFAULTS.marketplaces ?? {})),
};

/** config/read's `config`: the effective config as Codex 0.171.0 answers it (see the header). */
export function codexConfigView(effective: ConfigTable): ConfigTable {
  const shown: ConfigTable = {};
  const show = (key: string, fallback: unknown) => {
    const value = effective[key];
    if (value === undefined || value === null) shown[key] = deepClone(fallback);
    else shown[key] = VIEWS[key] ? VIEWS[key](value) : value;
  };
  for (const key of DECLARED_CONFIG_KEYS) show(key, null);
  for (const [key, fallback] of Object.entries(CODEX_UNDECLARED_DEFAULTS)) show(key, fallback);
  for (const key of SWITCHYARD_KEYS) {
    if (effective[key] !== undefined) shown[key] = effective[key];
  }
  return shown;
}
