// The known shape of config.toml as data, and a validator that reports the first problem the way
// Codex's serde-based `ConfigToml` check does ("invalid type: …, expected …" plus the key path).
//
// Codex 0.171.0 accepts unknown keys everywhere (it only warns at startup), so every table here is
// open: unknown keys pass validation and are reported separately by `unknownConfigKeys`. Free-form
// tables (mcp_servers.<name>.env, http_headers, desktop, …) are maps of `any` or of strings.

import { BEDROCK_PROVIDER_IDS, GCP_PROVIDER_IDS } from "@switchyard/protocol";
import { type ConfigTable, isConfigTable } from "./layers.js";

export type Schema =
  | { kind: "any" }
  | { kind: "string" }
  | { kind: "nonEmptyString"; emptyMessage: string }
  | { kind: "boolean" }
  | { kind: "integer"; rustType: "i64" | "u64" | "usize" | "u16" | "u32" }
  | { kind: "float" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "absolutePath" }
  | { kind: "array"; items: Schema }
  | { kind: "struct"; name: string; fields: Record<string, Schema>; reportAtSelf?: boolean; check?: TableCheck }
  | { kind: "map"; values: Schema; expecting?: string; reportAtSelf?: boolean; check?: TableCheck }
  | { kind: "untagged"; enumName: string; variants: readonly Schema[] }
  | { kind: "custom"; check: (value: unknown, path: readonly string[]) => ValidationFailure | null };

/** A check that runs after the fields of a table were validated (Codex's post-deserialize validation). */
type TableCheck = (table: ConfigTable, path: readonly string[]) => ValidationFailure | null;

export interface ValidationFailure {
  message: string;
  path: readonly string[];
}

// ---- building blocks ------------------------------------------------------------------------------

const any: Schema = { kind: "any" };
const string: Schema = { kind: "string" };
const boolean: Schema = { kind: "boolean" };
const i64: Schema = { kind: "integer", rustType: "i64" };
const u64: Schema = { kind: "integer", rustType: "u64" };
const usize: Schema = { kind: "integer", rustType: "usize" };
const u16: Schema = { kind: "integer", rustType: "u16" };
const float: Schema = { kind: "float" };
const stringList: Schema = { kind: "array", items: string };
const stringMap: Schema = { kind: "map", values: string };
const anyMap: Schema = { kind: "map", values: any };
const oneOf = (...values: string[]): Schema => ({ kind: "enum", values });
const struct = (
  name: string,
  fields: Record<string, Schema>,
  extra: Partial<{ reportAtSelf: boolean; check: TableCheck }> = {},
): Schema => ({
  kind: "struct",
  name,
  fields,
  ...extra,
});
const reasoningEffort: Schema = { kind: "nonEmptyString", emptyMessage: "reasoning_effort must not be empty" };

/** Codex's serde wording for an unexpected value ("integer `5`", "string \"yes\"", "map", …). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "unit value";
  if (typeof value === "boolean") return `boolean \`${value}\``;
  if (typeof value === "number") return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  if (typeof value === "bigint") return `integer \`${value}\``;
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return "sequence";
  if (value instanceof Date) return "datetime";
  return "map";
}

/** serde's list of expected variants: "`a`", "`a` or `b`", "one of `a`, `b`, `c`". */
export function expectedVariants(values: readonly string[]): string {
  const quoted = values.map((value) => `\`${value}\``);
  if (quoted.length === 1) return quoted[0] as string;
  if (quoted.length === 2) return `${quoted[0]} or ${quoted[1]}`;
  return `one of ${quoted.join(", ")}`;
}

const fail = (message: string, path: readonly string[]): ValidationFailure => ({ message, path });
const invalidType = (value: unknown, expecting: string, path: readonly string[]) =>
  fail(`invalid type: ${describeValue(value)}, expected ${expecting}`, path);

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
  u64: [0n, 2n ** 64n - 1n],
  usize: [0n, 2n ** 64n - 1n],
  u32: [0n, 2n ** 32n - 1n],
  u16: [0n, 2n ** 16n - 1n],
};

// ---- domain types (values and spellings verified against codex 0.171.0 error texts) ---------------

const ASK_FOR_APPROVAL_STRINGS = ["untrusted", "on-failure", "on-request", "never"] as const;

const approvalPolicy: Schema = {
  kind: "custom",
  check(value, path) {
    if (typeof value === "string") {
      if ((ASK_FOR_APPROVAL_STRINGS as readonly string[]).includes(value)) return null;
      // "granular" names a table variant; serde reports the string form as the wrong shape (ours, unverified).
      if (value === "granular") return fail("invalid type: unit variant, expected struct variant", path);
      return fail(
        `unknown variant \`${value}\`, expected ${expectedVariants(["untrusted", "on-failure", "on-request", "granular", "never"])}`,
        path,
      );
    }
    if (isConfigTable(value)) {
      const keys = Object.keys(value);
      if (keys.length !== 1 || keys[0] !== "granular") {
        return fail(
          `unknown variant \`${keys[0] ?? ""}\`, expected ${expectedVariants(["untrusted", "on-failure", "on-request", "granular", "never"])}`,
          path,
        );
      }
      return validateAgainst(value.granular, GRANULAR_APPROVAL, path);
    }
    return fail("invalid type: unit variant, expected string only", path);
  },
};

const GRANULAR_APPROVAL: Schema = struct(
  "GranularApprovalConfig",
  {
    sandbox_approval: boolean,
    rules: boolean,
    mcp_elicitations: boolean,
    request_permissions: boolean,
    skill_approval: boolean,
  },
  {
    check(table, path) {
      for (const required of ["sandbox_approval", "rules", "mcp_elicitations"]) {
        if (!(required in table)) return fail(`missing field \`${required}\``, path);
      }
      return null;
    },
  },
);

const sandboxMode = oneOf("read-only", "workspace-write", "danger-full-access");
const approvalsReviewer = oneOf("user", "auto_review", "guardian_subagent");
const webSearchMode = oneOf("disabled", "cached", "indexed", "live");
const appToolApproval = oneOf("auto", "prompt", "writes", "approve");

const wireApi: Schema = {
  kind: "custom",
  check(value, path) {
    if (typeof value !== "string") return invalidType(value, "a string", path);
    if (value === "responses") return null;
    if (value === "chat") {
      return fail(
        '`wire_api = "chat"` is no longer supported.\nHow to fix: set `wire_api = "responses"` in your provider config.\nMore info: https://github.com/openai/codex/discussions/7782',
        path,
      );
    }
    return fail(`unknown variant \`${value}\`, expected \`responses\``, path);
  },
};

const MODEL_PROVIDER: Schema = struct("ModelProviderInfo", {
  name: string,
  base_url: string,
  model_catalog_url: string,
  env_key: string,
  env_key_instructions: string,
  experimental_bearer_token: string,
  auth: struct("ModelProviderAuthInfo", {
    command: string,
    args: stringList,
    timeout_ms: u64,
    refresh_interval_ms: u64,
    cwd: string,
  }),
  wire_api: wireApi,
  query_params: stringMap,
  http_headers: stringMap,
  env_http_headers: stringMap,
  request_max_retries: u64,
  stream_max_retries: u64,
  stream_idle_timeout_ms: u64,
  websocket_connect_timeout_ms: u64,
  requires_openai_auth: boolean,
  supports_websockets: boolean,
  supports_standalone_web_search: boolean,
  bedrock_mantle_additional_regions: stringList,
  gateway_oauth: any,
  aws: any,
  capabilities: any,
  project_id: string,
  location: string,
  credential_file: string,
});

/** Codex's built-in providers that take cloud settings (`aws`; `project_id`, `location`, `credential_file`) and need no name. */
export const CLOUD_BUILT_IN_PROVIDER_IDS: readonly string[] = [...BEDROCK_PROVIDER_IDS, ...GCP_PROVIDER_IDS];

const modelProviders: Schema = {
  kind: "map",
  values: MODEL_PROVIDER,
  check(table, path) {
    for (const [id, provider] of Object.entries(table)) {
      const name = isConfigTable(provider) ? provider.name : undefined;
      // Codex 0.171.0's Bedrock and Vertex AI providers are built in: a table for one only adds settings.
      const isCloudBuiltIn = CLOUD_BUILT_IN_PROVIDER_IDS.includes(id) && name === undefined;
      if (!isCloudBuiltIn && (typeof name !== "string" || name.trim() === "")) {
        return fail(`${[...path, id].join(".")}: provider name must not be empty`, path);
      }
      const credentialFile = isConfigTable(provider) ? provider.credential_file : undefined;
      if (typeof credentialFile === "string" && !credentialFile.startsWith("/")) {
        return fail(`${[...path, id].join(".")}: provider credential_file must be an absolute path`, path);
      }
    }
    return null;
  },
};

const MCP_SERVER: Schema = struct(
  "RawMcpServerConfig",
  {
    command: string,
    args: stringList,
    env: stringMap,
    env_vars: stringList,
    cwd: string,
    url: string,
    bearer_token_env_var: string,
    http_headers: stringMap,
    env_http_headers: stringMap,
    enabled: boolean,
    required: boolean,
    startup_timeout_sec: float,
    startup_timeout_ms: u64,
    tool_timeout_sec: float,
    enabled_tools: stringList,
    disabled_tools: stringList,
    scopes: stringList,
    environment_id: string,
  },
  {
    check(table, path) {
      if (table.command !== undefined && table.url !== undefined) return fail("url is not supported for stdio", path);
      if (table.command === undefined && table.url === undefined) return fail("invalid transport", path);
      return null;
    },
  },
);

/** `[features]` toggles are booleans; a few also accept a table with `enabled` (Codex's untagged `FeatureToml`). */
const FEATURE_WITH_CONFIG: Schema = {
  kind: "untagged",
  enumName: "FeatureToml",
  variants: [boolean, struct("FeatureConfig", { enabled: boolean })],
};

const FEATURES: Schema = {
  kind: "custom",
  check(value, path) {
    if (!isConfigTable(value)) return invalidType(value, "struct FeaturesToml", path);
    for (const [key, entry] of Object.entries(value)) {
      if (key === "code_mode" || key === "multi_agent_v2" || key === "network_proxy") {
        const failure = validateAgainst(entry, FEATURE_WITH_CONFIG, [...path, key]);
        if (failure) return failure;
      } else if (typeof entry !== "boolean") {
        // Plain toggles are a flattened map, so serde reports them at `features` itself.
        return invalidType(entry, "a boolean", path);
      }
    }
    return null;
  },
};

const APP_CONFIG: Schema = struct("AppConfig", {
  enabled: boolean,
  disabled_reason: string,
  destructive_enabled: boolean,
  open_world_enabled: boolean,
  default_tools_enabled: boolean,
  default_tools_approval_mode: appToolApproval,
  approvals_reviewer: approvalsReviewer,
  tools: {
    kind: "map",
    expecting: "struct AppToolsConfig",
    values: struct("AppToolConfig", { enabled: boolean, approval_mode: appToolApproval }),
  },
  links: anyMap,
  omit_tools_from: { kind: "array", items: oneOf("code_mode", "deferred", "direct") },
});

const APPS: Schema = {
  kind: "custom",
  check(value, path) {
    if (!isConfigTable(value)) return invalidType(value, "struct AppsConfigToml", path);
    for (const [id, app] of Object.entries(value)) {
      const schema =
        id === "_default"
          ? struct("AppsDefaultConfig", {
              enabled: boolean,
              destructive_enabled: boolean,
              open_world_enabled: boolean,
              approvals_reviewer: approvalsReviewer,
              default_tools_approval_mode: appToolApproval,
            })
          : APP_CONFIG;
      // Apps are a flattened map: Codex reports every problem inside at `apps`.
      const failure = validateAgainst(app, schema, [...path, id]);
      if (failure) return { message: failure.message, path };
    }
    return null;
  },
};

const PERMISSION_PROFILE: Schema = struct("PermissionProfileToml", {
  extends: string,
  description: string,
  network: any,
  filesystem: any,
});

const SKILLS: Schema = struct("SkillsConfig", {
  config: { kind: "array", items: struct("SkillConfig", { path: string, name: string, enabled: boolean }) },
  include_instructions: boolean,
});

/** Keys a legacy `[profiles.<name>]` table may hold; shared with the top level. */
const PROFILE_FIELDS: Record<string, Schema> = {
  model: string,
  review_model: string,
  model_provider: string,
  approval_policy: approvalPolicy,
  approvals_reviewer: approvalsReviewer,
  sandbox_mode: sandboxMode,
  model_reasoning_effort: reasoningEffort,
  plan_mode_reasoning_effort: reasoningEffort,
  model_reasoning_summary: oneOf("auto", "concise", "detailed", "none"),
  model_verbosity: oneOf("low", "medium", "high"),
  personality: oneOf("none", "friendly", "pragmatic"),
  service_tier: string,
  web_search: webSearchMode,
  model_catalog_json: string,
  chatgpt_base_url: string,
  experimental_use_unified_exec_tool: boolean,
  features: FEATURES,
  tools: any,
};

/**
 * The known top-level keys of config.toml: every `ConfigToml` field codex 0.171.0 reports in
 * `config/read`, plus Switchyard's own `experimental_thread_config_endpoint` and
 * `debug.config_lockfile` (Codex 0.171.0 ignores both). `any` marks keys we accept without checking.
 */
export const CONFIG_SCHEMA: Schema = struct("ConfigToml", {
  ...PROFILE_FIELDS,
  model_context_window: i64,
  model_auto_compact_token_limit: i64,
  model_auto_compact_token_limit_scope: oneOf("total", "body_after_prefix"),
  model_post_turn_compact_threshold_percent: any,
  model_instructions_file: string,
  model_providers: modelProviders,
  forced_chatgpt_workspace_id: { kind: "untagged", enumName: "ForcedChatgptWorkspaceIds", variants: [string, stringList] },
  forced_login_method: oneOf("chatgpt", "api"),
  cli_auth_credentials_store: oneOf("file", "keyring", "auto", "ephemeral"),
  mcp_oauth_credentials_store: oneOf("auto", "file", "keyring"),
  mcp_oauth_callback_port: u16,
  mcp_oauth_callback_url: string,
  mcp_optional_startup_grace_ms: u64,
  mcp_enterprise_managed_auth: any,
  mcp_servers: { kind: "map", values: MCP_SERVER },
  file_opener: oneOf("vscode", "vscode-insiders", "windsurf", "cursor", "none"),
  instructions: string,
  developer_instructions: string,
  compact_prompt: string,
  experimental_compact_prompt_file: string,
  default_permissions: string,
  permissions: { kind: "map", values: PERMISSION_PROFILE, expecting: "struct PermissionsToml", reportAtSelf: true },
  profile: string,
  profiles: { kind: "map", values: struct("ConfigProfile", PROFILE_FIELDS) },
  projects: { kind: "map", values: struct("ProjectConfig", { trust_level: oneOf("trusted", "untrusted") }) },
  project_doc_max_bytes: usize,
  project_doc_fallback_filenames: stringList,
  project_root_markers: stringList,
  notify: stringList,
  notice: struct("Notice", {
    fast_default_opt_out: boolean,
    hide_full_access_warning: boolean,
    hide_world_writable_warning: boolean,
    hide_rate_limit_model_nudge: boolean,
    hide_gpt5_1_migration_prompt: boolean,
    model_migrations: stringMap,
  }),
  check_for_update_on_startup: boolean,
  analytics: struct("AnalyticsConfigToml", { enabled: boolean }),
  feedback: struct("FeedbackConfigToml", { enabled: boolean }),
  history: struct("History", { persistence: oneOf("save-all", "none"), max_bytes: usize }),
  shell_environment_policy: struct("ShellEnvironmentPolicyTomlRaw", {
    inherit: oneOf("core", "all", "none"),
    ignore_default_excludes: boolean,
    exclude: stringList,
    set: stringMap,
    include_only: stringList,
    filters: any,
    experimental_use_profile: boolean,
  }),
  sandbox_workspace_write: struct("SandboxWorkspaceWrite", {
    writable_roots: { kind: "array", items: { kind: "absolutePath" } },
    network_access: boolean,
    exclude_tmpdir_env_var: boolean,
    exclude_slash_tmp: boolean,
  }),
  tools: struct("ToolsToml", {
    web_search: {
      kind: "untagged",
      enumName: "WebSearchToolConfigInput",
      variants: [
        boolean,
        struct("WebSearchToolConfig", {
          context_size: oneOf("low", "medium", "high"),
          allowed_domains: stringList,
          location: struct("WebSearchLocation", { city: string, country: string, region: string, timezone: string }),
        }),
      ],
    },
    view_image: boolean,
  }),
  apps: APPS,
  skills: SKILLS,
  tui: struct("Tui", { animations: boolean, show_tooltips: boolean, theme: string }),
  otel: struct("OtelConfigToml", { log_user_prompt: boolean, environment: string }),
  memories: struct("MemoriesToml", {}),
  hide_agent_reasoning: boolean,
  show_raw_agent_reasoning: boolean,
  disable_paste_burst: boolean,
  tool_output_token_limit: usize,
  background_terminal_max_timeout: u64,
  thread_unload_delay_secs: u64,
  include_apps_instructions: boolean,
  include_collaboration_mode_instructions: boolean,
  include_environment_context: boolean,
  include_environment_context_time: boolean,
  include_permissions_instructions: boolean,
  allow_login_shell: boolean,
  allow_symlinked_codex_home: boolean,
  suppress_unstable_features_warning: boolean,
  openai_base_url: string,
  oss_provider: string,
  log_dir: string,
  sqlite_home: string,
  apps_mcp_product_sku: string,
  responses_api_metadata: anyMap,
  desktop: anyMap,
  // Switchyard's own keys (see the header comment).
  experimental_thread_config_endpoint: string,
  debug: struct("DebugToml", {
    config_lockfile: struct("ConfigLockfileDebugToml", {
      export_dir: string,
      load_path: string,
      allow_codex_version_mismatch: boolean,
      save_fields_resolved_from_model_catalog: boolean,
    }),
  }),
  // Known to Codex 0.171.0, accepted unchecked.
  ...Object.fromEntries(
    [
      "agents",
      "audio",
      "auto_review",
      "browser_use",
      "client_search_provider",
      "cloud",
      "code_mode",
      "computer_use",
      "daybreak",
      "experimental_realtime_start_instructions",
      "experimental_realtime_webrtc_call_base_url",
      "experimental_realtime_ws_backend_prompt",
      "experimental_realtime_ws_base_url",
      "experimental_realtime_ws_model",
      "experimental_realtime_ws_startup_context",
      "experimental_thread_store",
      "experimental_thread_store_endpoint",
      "ghost_snapshot",
      "goals",
      "hooks",
      "js_repl_node_module_dirs",
      "js_repl_node_path",
      "marketplaces",
      "orchestrator",
      "plugins",
      "realtime",
      "responses",
      "rollout_trace",
      "tool_suggest",
      "windows",
    ].map((key) => [key, any]),
  ),
});

// ---- the validator --------------------------------------------------------------------------------

/** The first problem with `value`, or null. Array elements report at the array's path, as serde does. */
export function validateAgainst(value: unknown, schema: Schema, path: readonly string[]): ValidationFailure | null {
  switch (schema.kind) {
    case "any":
      return null;
    case "string":
      return typeof value === "string" ? null : invalidType(value, "a string", path);
    case "nonEmptyString":
      if (typeof value !== "string") return invalidType(value, "a string", path);
      return value === "" ? fail(schema.emptyMessage, path) : null;
    case "boolean":
      return typeof value === "boolean" ? null : invalidType(value, "a boolean", path);
    case "float":
      return typeof value === "number" || typeof value === "bigint" ? null : invalidType(value, "f64", path);
    case "integer": {
      if (!(typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value)))) {
        return invalidType(value, schema.rustType, path);
      }
      const [min, max] = INTEGER_RANGES[schema.rustType] as [bigint, bigint];
      const asBigInt = BigInt(value);
      return asBigInt < min || asBigInt > max
        ? fail(`invalid value: integer \`${value}\`, expected ${schema.rustType}`, path)
        : null;
    }
    case "enum":
      if (typeof value !== "string") return invalidType(value, "a string", path);
      return schema.values.includes(value)
        ? null
        : fail(`unknown variant \`${value}\`, expected ${expectedVariants(schema.values)}`, path);
    case "absolutePath":
      if (typeof value !== "string") return invalidType(value, "a string", path);
      return value.startsWith("/") ? null : fail("AbsolutePathBuf deserialized without a base path", path);
    case "array": {
      if (!Array.isArray(value)) return invalidType(value, "a sequence", path);
      for (const item of value) {
        const failure = validateAgainst(item, schema.items, path);
        if (failure) return failure;
      }
      return null;
    }
    case "struct": {
      if (!isConfigTable(value)) return invalidType(value, `struct ${schema.name}`, path);
      for (const [key, entry] of Object.entries(value)) {
        const fieldSchema = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
        if (!fieldSchema) continue;
        const failure = validateAgainst(entry, fieldSchema, [...path, key]);
        if (failure) return schema.reportAtSelf ? { message: failure.message, path } : failure;
      }
      return schema.check ? schema.check(value, path) : null;
    }
    case "map": {
      if (!isConfigTable(value)) return invalidType(value, schema.expecting ?? "a map", path);
      for (const [key, entry] of Object.entries(value)) {
        const failure = validateAgainst(entry, schema.values, [...path, key]);
        if (failure) return schema.reportAtSelf ? { message: failure.message, path } : failure;
      }
      return schema.check ? schema.check(value, path) : null;
    }
    case "untagged":
      return schema.variants.some((variant) => validateAgainst(value, variant, path) === null)
        ? null
        : fail(`data did not match any variant of untagged enum ${schema.enumName}`, path);
    case "custom":
      return schema.check(value, path);
  }
}

/** Top-level keys the schema does not know (Codex warns about them at startup and otherwise ignores them). */
export function unknownTopLevelKeys(config: ConfigTable): string[] {
  if (CONFIG_SCHEMA.kind !== "struct") return [];
  const fields = CONFIG_SCHEMA.fields;
  return Object.keys(config).filter((key) => !Object.hasOwn(fields, key));
}
