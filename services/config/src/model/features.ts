// Codex's experimental-feature registry as data, and how config turns it into enabled flags.
//
// The catalog (names, stages, defaults, order, and the beta menu texts) is what codex 0.171.0
// answers to `experimentalFeature/list`; the legacy aliases are from Codex's features crate
// (`legacy.rs`). Keep the order: Codex lists features in registry order and pages by offset.
import { type ConfigTable, isConfigTable } from "./layers.js";

export type FeatureStage = "underDevelopment" | "beta" | "stable" | "deprecated" | "removed";

export interface FeatureSpec {
  /** Stable key used in `[features]` and `--enable`. */
  name: string;
  stage: FeatureStage;
  /** Menu texts; only beta features have them (announcement "" when there is none). */
  displayName: string | null;
  description: string | null;
  announcement: string | null;
  defaultEnabled: boolean;
  /** Legacy `[features]` keys that still set this feature. */
  aliases: string[];
}

/** The wire `ExperimentalFeature` of ExperimentalFeatureListResponse. */
export interface ExperimentalFeature {
  name: string;
  stage: FeatureStage;
  displayName: string | null;
  description: string | null;
  announcement: string | null;
  enabled: boolean;
  defaultEnabled: boolean;
}

const REGISTRY: readonly (readonly [string, FeatureStage, boolean])[] = [
  ["analytics_plan_history", "beta", false],
  ["cli_resume_account_check", "underDevelopment", false],
  ["daemon_auto_start", "stable", true],
  ["tui_workspace", "stable", true],
  ["tui_multi_backend", "underDevelopment", false],
  ["tui_extensions_statusline", "beta", false],
  ["app_server_websocket_compression", "underDevelopment", false],
  ["transcript_v2", "removed", false],
  ["undo", "removed", false],
  ["shell_tool", "stable", true],
  ["view_image", "stable", true],
  ["multi_env_copy_file", "underDevelopment", false],
  ["sleep_tool", "stable", true],
  ["secret_auth_storage", "stable", false],
  ["unified_exec", "stable", true],
  ["unified_exec_tty", "stable", true],
  ["shell_zsh_fork", "removed", false],
  ["unified_exec_zsh_fork", "removed", false],
  ["shell_snapshot", "stable", true],
  ["login_shell_package_path", "beta", false],
  ["powershell_shell_version", "underDevelopment", false],
  ["shell_snapshot_v2", "underDevelopment", false],
  ["deferred_executor", "underDevelopment", false],
  ["per_environment_context", "underDevelopment", false],
  ["cwd_relative_turn_diffs", "underDevelopment", false],
  ["js_repl", "removed", false],
  ["content_item_kinds", "stable", true],
  ["untrusted_as_tool_output", "stable", true],
  ["executed_tool_call_metadata", "underDevelopment", false],
  ["stable_environment_tools", "removed", false],
  ["code_mode", "underDevelopment", false],
  ["code_mode_tool_search", "underDevelopment", false],
  ["code_mode_buffered_exec", "removed", false],
  ["code_mode_host", "stable", true],
  ["code_mode_host_grpc", "stable", true],
  ["code_mode_host_output_truncation", "stable", true],
  ["code_mode_prewarm", "underDevelopment", false],
  ["restored_history_prewarm", "underDevelopment", false],
  ["code_mode_interrupt", "stable", true],
  ["code_mode_tool_description_first", "removed", false],
  ["instant_interrupt", "underDevelopment", true],
  ["interrupt_on_cancel", "underDevelopment", false],
  ["code_mode_only", "underDevelopment", false],
  ["code_mode_only_strict_3p_tools", "underDevelopment", false],
  ["js_repl_tools_only", "removed", false],
  ["terminal_resize_reflow", "removed", true],
  ["web_search_request", "deprecated", false],
  ["web_search_cached", "deprecated", false],
  ["standalone_web_search", "underDevelopment", false],
  ["hosted_search_policy", "underDevelopment", false],
  ["search_tool", "removed", false],
  ["codex_git_commit", "removed", false],
  ["runtime_metrics", "underDevelopment", false],
  ["critical_path_timing", "underDevelopment", false],
  ["sqlite", "removed", true],
  ["memories", "stable", false],
  ["external_agent_memory_import", "underDevelopment", false],
  ["local_thread_store_compression", "underDevelopment", false],
  ["local_thread_store_shared_compression", "removed", false],
  ["background_paginated_rollout_migration", "underDevelopment", false],
  ["chronicle", "underDevelopment", false],
  ["apply_patch_freeform", "removed", false],
  ["apply_patch_streaming_events", "underDevelopment", false],
  ["apply_patch_preserve_line_endings", "removed", false],
  ["exec_permission_approvals", "underDevelopment", false],
  ["write_stdin_approval", "stable", true],
  ["hooks", "stable", true],
  ["request_permissions_tool", "underDevelopment", false],
  ["use_linux_sandbox_bwrap", "removed", false],
  ["use_legacy_landlock", "deprecated", false],
  ["request_rule", "removed", false],
  ["experimental_windows_sandbox", "removed", false],
  ["elevated_windows_sandbox", "removed", false],
  ["windows_sandbox_service", "underDevelopment", false],
  ["prefer_mxc", "underDevelopment", false],
  ["remote_models", "removed", false],
  ["api_key_model_discovery", "stable", true],
  ["cli_daybreak", "stable", true],
  ["api_key_cyber_access_programs", "stable", true],
  ["daybreak_program_propagation", "underDevelopment", false],
  ["enable_request_compression", "stable", true],
  ["unbounded_connection_retries", "stable", true],
  ["network_proxy", "beta", false],
  ["credential_masking", "underDevelopment", false],
  ["worktrees", "removed", true],
  ["respect_system_proxy", "beta", false],
  ["system_proxy_fallback", "stable", true],
  ["multi_agent", "deprecated", true],
  ["multi_agent_v2", "stable", false],
  ["model_catalog_in_context", "underDevelopment", false],
  ["multi_agent_v2_dynamic_tools", "underDevelopment", false],
  ["subagent_thread_environments", "underDevelopment", false],
  ["subagent_default_context_limits", "underDevelopment", false],
  ["defer_mailbox_preemption", "underDevelopment", false],
  ["wake_on_agent_messages", "underDevelopment", false],
  ["agent_message_board", "underDevelopment", false],
  ["agent_message_board_mcp", "underDevelopment", false],
  ["multi_agent_mode", "removed", false],
  ["enable_fanout", "removed", false],
  ["apps", "stable", true],
  ["catalog_apps_instructions", "underDevelopment", false],
  ["psp", "underDevelopment", false],
  ["enable_mcp_apps", "underDevelopment", false],
  ["mcp_2026_07_28", "underDevelopment", false],
  ["mcp_tool_list_changed", "underDevelopment", false],
  ["mcp_connection_sharing", "underDevelopment", false],
  ["mcp_shared_repl_cwd", "underDevelopment", false],
  ["mcp_lazy_stdio_startup", "underDevelopment", false],
  ["multi_environment_mcp", "underDevelopment", false],
  ["apps_early_resource_discovery", "underDevelopment", false],
  ["codex_apps_mcp_2026_07_28", "underDevelopment", false],
  ["mcp_oauth_refresh_coordination", "stable", true],
  ["use_xaa", "underDevelopment", false],
  ["apps_mcp_path_override", "removed", false],
  ["tool_search", "removed", false],
  ["tool_search_always_defer_mcp_tools", "removed", true],
  ["deferred_tool_world_state", "stable", true],
  ["command_sessions_world_state", "underDevelopment", false],
  ["incremental_tools", "stable", true],
  ["incremental_tools_legacy", "stable", true],
  ["incremental_tools_legacy_gcp", "stable", true],
  ["suppress_model_change_announcements", "stable", false],
  ["prediction_preserve_parent_tools", "stable", true],
  ["incremental_exec_tools", "underDevelopment", false],
  ["non_prefixed_mcp_tool_names", "underDevelopment", false],
  ["unavailable_dummy_tools", "removed", false],
  ["tool_suggest", "stable", true],
  ["recommended_plugins", "stable", false],
  ["plugins", "stable", true],
  ["simplified_selection_hints", "underDevelopment", false],
  ["executor_capability_discovery", "underDevelopment", false],
  ["executor_capability_discovery_v2", "underDevelopment", false],
  ["skip_host_skill_discovery", "underDevelopment", false],
  ["plugin_hooks", "removed", false],
  ["in_app_browser", "stable", true],
  ["browser_annotation_api", "stable", true],
  ["in_app_chat", "stable", true],
  ["in_app_dictation", "stable", true],
  ["in_app_voice", "stable", true],
  ["in_app_local_automation", "stable", true],
  ["in_app_updates", "stable", true],
  ["browser_use", "stable", true],
  ["browser_use_full_cdp_access", "stable", true],
  ["browser_use_external", "stable", true],
  ["computer_use", "stable", true],
  ["remote_plugin", "stable", true],
  ["plugin_discovery_prefetch", "removed", false],
  ["plugin_sharing", "stable", true],
  ["external_migration", "removed", false],
  ["image_generation", "stable", true],
  ["image_generation_animation", "underDevelopment", false],
  ["omit_app_server_notification_media", "underDevelopment", false],
  ["file_backed_tool_audio", "underDevelopment", false],
  ["image_resize_notice", "underDevelopment", false],
  ["unified_image_budget", "stable", true],
  ["safe_image_decoder", "underDevelopment", false],
  ["resize_all_images", "removed", true],
  ["item_ids", "removed", true],
  ["concurrent_reasoning_summaries", "underDevelopment", false],
  ["output_token_replay", "underDevelopment", false],
  ["skill_mcp_dependency_install", "stable", true],
  ["omit_skill_descriptions", "underDevelopment", false],
  ["skill_search", "stable", true],
  ["skill_catalog_deltas", "underDevelopment", false],
  ["skill_env_var_dependency_prompt", "removed", false],
  ["mentions_v2", "stable", true],
  ["steer", "removed", true],
  ["default_mode_request_user_input", "underDevelopment", false],
  ["send_async_message", "removed", false],
  ["send_message_to_user_async", "underDevelopment", false],
  ["terminal_visualization_instructions", "underDevelopment", false],
  ["guardian_approval", "stable", true],
  ["guardian_include_additional_context", "stable", true],
  ["guardian_recorded_items", "underDevelopment", false],
  ["guardianv2.thread_context", "removed", false],
  ["guardian_reuse_parent_compaction", "stable", true],
  ["guardian_root_handoff_context", "underDevelopment", false],
  ["guardian_native_multi_agent_history", "underDevelopment", false],
  ["guardian_nested_approval_context", "underDevelopment", false],
  ["guardian_enhanced_node_repl_transcripts", "underDevelopment", false],
  ["guardian_node_repl_transcript_images", "underDevelopment", false],
  ["guardian_trust_orchestrator_connectors", "underDevelopment", false],
  ["guardian_conversation_history_tools", "underDevelopment", false],
  ["guardian_denial_reconsideration", "underDevelopment", false],
  ["guardianv2", "underDevelopment", false],
  ["guardianv2_decisions_comparison", "underDevelopment", false],
  ["guardianv3", "underDevelopment", false],
  ["guardian_ext", "removed", false],
  ["goals", "stable", true],
  ["token_budget", "underDevelopment", false],
  ["context_management", "underDevelopment", false],
  ["rollout_budget", "underDevelopment", false],
  ["reasoning_effort_override", "stable", true],
  ["current_time_reminder", "underDevelopment", false],
  ["utc_environment_date", "underDevelopment", false],
  ["nonfatal_clock_read_errors", "underDevelopment", false],
  ["collaboration_modes", "removed", true],
  ["tool_call_mcp_elicitation", "stable", true],
  ["auth_elicitation", "stable", true],
  ["bedrock_setup_wizard", "stable", true],
  ["gcp_setup_wizard", "stable", false],
  ["gateway_setup_wizard", "stable", false],
  ["personality", "removed", false],
  ["artifact", "underDevelopment", false],
  ["fast_mode", "stable", true],
  ["ultrafast_mode", "stable", true],
  ["step_model_switching", "underDevelopment", false],
  ["realtime_conversation", "removed", true],
  ["remote_control", "removed", false],
  ["image_detail_original", "removed", false],
  ["tui_app_server", "removed", true],
  ["prevent_idle_sleep", "beta", false],
  ["workspace_owner_usage_nudge", "removed", false],
  ["responses_websockets", "removed", false],
  ["responses_websockets_v2", "removed", false],
  ["remote_compaction_v2", "removed", false],
  ["async_compaction", "underDevelopment", false],
  ["async_compaction_root_only", "underDevelopment", false],
  ["compaction_image_budget", "stable", true],
  ["retain_client_developer_messages", "underDevelopment", false],
  ["retain_client_tool_outputs", "stable", true],
  ["use_agent_identity", "underDevelopment", false],
  ["runtime_agent_instances", "underDevelopment", false],
  ["workspace_dependencies", "stable", true],
];

const BETA_MENU: Record<string, { displayName: string; description: string; announcement: string }> = {
  analytics_plan_history: {
    displayName: "Analytics plan history",
    description: "Preview five-hour and weekly allowance history for consumer accounts in /analytics.",
    announcement: "",
  },
  tui_extensions_statusline: {
    displayName: "Custom status line",
    description: "Restart the TUI, then use /statusline.",
    announcement: "",
  },
  login_shell_package_path: {
    displayName: "Bundled tools in login shells",
    description: "Keep bundled tools such as ripgrep available when login shell startup resets PATH.",
    announcement: "",
  },
  network_proxy: {
    displayName: "Network proxy",
    description: "Apply network proxy restrictions to sandboxed sessions that already have network access.",
    announcement: "NEW: Network proxy can now be enabled from /experimental. Restart Codex after enabling it.",
  },
  respect_system_proxy: {
    displayName: "System proxy",
    description: "Use macOS or Windows system proxy settings for Codex requests.",
    announcement: "",
  },
  prevent_idle_sleep: {
    displayName: "Prevent sleep while running",
    description: "Keep your computer awake while Codex is running a thread.",
    announcement: "NEW: Prevent sleep while running is now available in /experimental.",
  },
};

/** Legacy key → canonical feature (Codex `features/src/legacy.rs`, minus the apply_patch keys 0.171.0 ignores). */
const LEGACY_ALIASES: Record<string, string> = {
  connectors: "apps",
  enable_experimental_windows_sandbox: "experimental_windows_sandbox",
  experimental_use_unified_exec_tool: "unified_exec",
  request_permissions: "exec_permission_approvals",
  web_search: "web_search_request",
  collab: "multi_agent",
  memory_tool: "memories",
};

export const featureCatalog: readonly FeatureSpec[] = REGISTRY.map(([name, stage, defaultEnabled]) => {
  const menu = BETA_MENU[name];
  return {
    name,
    stage,
    displayName: menu?.displayName ?? null,
    description: menu?.description ?? null,
    announcement: menu?.announcement ?? null,
    defaultEnabled,
    aliases: Object.entries(LEGACY_ALIASES)
      .filter(([, canonical]) => canonical === name)
      .map(([alias]) => alias),
  };
});

const SPEC_BY_NAME = new Map(featureCatalog.map((spec) => [spec.name, spec]));

export function canonicalFeatureName(nameOrAlias: string): string | undefined {
  if (SPEC_BY_NAME.has(nameOrAlias)) return nameOrAlias;
  return Object.hasOwn(LEGACY_ALIASES, nameOrAlias) ? LEGACY_ALIASES[nameOrAlias] : undefined;
}

/** A `[features]` entry is a boolean, or (code_mode, multi_agent_v2, network_proxy) a table with `enabled`. */
function toggleValue(entry: unknown): boolean | undefined {
  if (typeof entry === "boolean") return entry;
  if (isConfigTable(entry) && typeof entry.enabled === "boolean") return entry.enabled;
  return undefined;
}

/**
 * Every catalog feature's effective state. Codex applies `[features]` in sorted key order (a BTreeMap),
 * so when an alias and its canonical key are both set the later key wins; the top-level legacy
 * `experimental_use_unified_exec_tool` applies first. Toggles for removed features are ignored.
 */
export function resolveFeatures(effective: ConfigTable): Record<string, boolean> {
  const enabled: Record<string, boolean> = {};
  for (const spec of featureCatalog) enabled[spec.name] = spec.defaultEnabled;

  const apply = (key: string, value: boolean | undefined) => {
    const name = canonicalFeatureName(key);
    if (name === undefined || value === undefined) return;
    if (SPEC_BY_NAME.get(name)?.stage === "removed") return;
    enabled[name] = value;
  };
  apply("experimental_use_unified_exec_tool", toggleValue(effective.experimental_use_unified_exec_tool));
  const features = isConfigTable(effective.features) ? effective.features : {};
  for (const key of Object.keys(features).sort()) apply(key, toggleValue(features[key]));

  if (enabled.code_mode_only) enabled.code_mode = true;
  return enabled;
}

/** The `[features]` table with aliases folded into canonical names and every feature's resolved state. */
export function materializeFeatures(effective: ConfigTable): ConfigTable {
  const resolved = resolveFeatures(effective);
  const authored = isConfigTable(effective.features) ? effective.features : {};
  const materialized: ConfigTable = {};
  for (const spec of featureCatalog) {
    const authoredEntry = authored[spec.name];
    // Feature tables keep their extra settings; only `enabled` is pinned to the resolved state.
    materialized[spec.name] = isConfigTable(authoredEntry)
      ? { ...authoredEntry, enabled: resolved[spec.name] }
      : resolved[spec.name];
  }
  return materialized;
}

export interface FeaturePage {
  data: ExperimentalFeature[];
  nextCursor: string | null;
}

/**
 * One page of `experimentalFeature/list`. The cursor is the decimal offset of the next feature, as in
 * Codex; texts for bad cursors verified against codex 0.171.0. A missing limit returns everything and a
 * zero limit returns one feature, as Codex does.
 */
export function listFeatures(effective: ConfigTable, page: { cursor?: string | null; limit?: number | null } = {}): FeaturePage {
  const total = featureCatalog.length;
  let offset = 0;
  if (page.cursor !== undefined && page.cursor !== null) {
    if (!/^\d+$/.test(page.cursor)) throw new Error(`invalid cursor: ${page.cursor}`);
    offset = Number(page.cursor);
    if (offset > total) throw new Error(`cursor ${page.cursor} exceeds total feature flags ${total}`);
  }
  const limit = page.limit === undefined || page.limit === null ? total : Math.max(1, page.limit);
  const resolved = resolveFeatures(effective);
  const data = featureCatalog.slice(offset, offset + limit).map((spec) => ({
    name: spec.name,
    stage: spec.stage,
    displayName: spec.displayName,
    description: spec.description,
    announcement: spec.announcement,
    enabled: resolved[spec.name] ?? spec.defaultEnabled,
    defaultEnabled: spec.defaultEnabled,
  }));
  const end = offset + data.length;
  return { data, nextCursor: end < total ? String(end) : null };
}
