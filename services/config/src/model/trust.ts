// Project layers come from repository contents, so they are trust-gated: an untrusted (or not yet
// trusted) project's `.codex/config.toml` is listed but disabled, and keys that would let a repository
// choose where credentials go or which local commands run are stripped even when trusted.
// Texts and rules verified against codex 0.171.0 (config/read with cwd, configWarning notifications).
import { type ConfigLayer, type ConfigTable, deepClone, hasOwn, isConfigTable } from "./layers.js";

export type TrustLevel = "trusted" | "untrusted";

/** The configWarning notification's params, without `range`. */
export interface ConfigWarning {
  summary: string;
  details: string | null;
  path: string | null;
}

/**
 * Top-level keys a project layer may not set, in Codex's order (its warning lists them in this order).
 * `experimental_thread_config_endpoint` is Switchyard's addition: that endpoint supplies model
 * providers, so a repository must not be able to redirect it.
 */
export const PROJECT_LOCAL_CONFIG_DENYLIST: readonly string[] = [
  "openai_base_url",
  "chatgpt_base_url",
  "apps_mcp_product_sku",
  "responses_api_metadata",
  "model_provider",
  "model_providers",
  "notify",
  "profile",
  "profiles",
  "experimental_realtime_webrtc_call_base_url",
  "experimental_realtime_ws_base_url",
  "otel",
  "experimental_thread_config_endpoint",
];

/** Nested keys stripped the same way (Codex: the system proxy would route a user's traffic). */
const PROJECT_LOCAL_NESTED_DENYLIST: readonly (readonly [string, string])[] = [["features", "respect_system_proxy"]];

/** Codex compares trust keys as normalized absolute paths; a trailing slash does not make a new key. */
export function normalizeProjectPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/**
 * The trust level recorded for exactly this directory in `projects."<path>".trust_level` of the
 * config below the project layers (user, system, managed…). Ancestors do not pass their trust down:
 * codex 0.171.0 ignores a trusted parent of the project root.
 */
export function trustLevelFor(projectPath: string, lowerConfig: ConfigTable): TrustLevel | undefined {
  const projects = lowerConfig.projects;
  if (!isConfigTable(projects)) return undefined;
  const wanted = normalizeProjectPath(projectPath);
  const matches = Object.keys(projects)
    .filter((key) => normalizeProjectPath(key) === wanted)
    .sort((a, b) => (a === wanted ? -1 : b === wanted ? 1 : a < b ? -1 : 1));
  for (const key of matches) {
    const entry = projects[key];
    const level = isConfigTable(entry) ? entry.trust_level : undefined;
    if (level === "trusted" || level === "untrusted") return level;
  }
  return undefined;
}

export interface ProjectTrust {
  level: TrustLevel | undefined;
  /** The `projects` key the decision came from, or the key the user should add when there is none. */
  trustKey: string;
  /** Named in the "add … as a trusted project in <file>" hint. */
  userConfigFile: string;
}

/**
 * Codex's order for a `.codex` folder's directory: that directory's own entry, then the project root
 * (found by `project_root_markers`), then the git repository root (differs for worktrees).
 */
export function projectTrust(input: {
  dotCodexFolder: string;
  projectRoot: string;
  repoRoot?: string | null;
  lowerConfig: ConfigTable;
  userConfigFile: string;
}): ProjectTrust {
  const folderDir = normalizeProjectPath(input.dotCodexFolder).replace(/\/\.codex$/, "") || "/";
  const candidates = [folderDir, input.projectRoot, ...(input.repoRoot ? [input.repoRoot] : [])].map(normalizeProjectPath);
  for (const candidate of candidates) {
    const level = trustLevelFor(candidate, input.lowerConfig);
    if (level) return { level, trustKey: candidate, userConfigFile: input.userConfigFile };
  }
  return {
    level: undefined,
    trustKey: normalizeProjectPath(input.repoRoot ?? input.projectRoot),
    userConfigFile: input.userConfigFile,
  };
}

export function disabledReasonFor(trust: ProjectTrust): string | null {
  if (trust.level === "trusted") return null;
  if (trust.level === "untrusted") {
    return `${trust.trustKey} is marked as untrusted in the effective configuration. To load project-local config, hooks, and exec policies, update its trust setting. If that setting is managed by your organization, contact your administrator.`;
  }
  return `To load project-local config, hooks, and exec policies, add ${trust.trustKey} as a trusted project in ${trust.userConfigFile}.`;
}

function stripDenylisted(config: ConfigTable): { config: ConfigTable; stripped: string[] } {
  const sanitized = deepClone(config);
  const stripped: string[] = [];
  for (const key of PROJECT_LOCAL_CONFIG_DENYLIST) {
    if (hasOwn(sanitized, key)) {
      delete sanitized[key];
      stripped.push(key);
    }
  }
  for (const [table, key] of PROJECT_LOCAL_NESTED_DENYLIST) {
    const parent = sanitized[table];
    if (isConfigTable(parent) && hasOwn(parent, key)) {
      delete parent[key];
      stripped.push(`${table}.${key}`);
    }
  }
  return { config: sanitized, stripped };
}

/**
 * Strips denylisted keys (always, so a disabled layer never shows them either) and disables the layer
 * unless trusted. The "ignored keys" warning is only raised for layers that load, as Codex does; the
 * notice about disabled layers is one warning for all of them (`untrustedProjectLayersWarning`).
 */
export function gateProjectLayer(layer: ConfigLayer, trust: ProjectTrust): { layer: ConfigLayer; warnings: ConfigWarning[] } {
  if (layer.name.type !== "project") return { layer, warnings: [] };
  const { config, stripped } = stripDenylisted(layer.config);
  const disabledReason = disabledReasonFor(trust);
  const warnings: ConfigWarning[] = [];
  if (disabledReason === null && stripped.length > 0) {
    warnings.push({
      summary: `Ignored unsupported project-local config keys in ${layer.name.dotCodexFolder}/config.toml: ${stripped.join(", ")}. If you want these settings to apply, manually set them in your user-level config.toml.`,
      details: null,
      path: null,
    });
  }
  return { layer: { name: layer.name, config, disabledReason }, warnings };
}

/** Codex's single startup warning listing every disabled project folder, root first. Null when none is disabled. */
export function untrustedProjectLayersWarning(layers: readonly ConfigLayer[]): ConfigWarning | null {
  const disabled = layers
    .filter((layer) => layer.name.type === "project" && layer.disabledReason)
    .map((layer) => ({
      folder: (layer.name as { dotCodexFolder: string }).dotCodexFolder,
      reason: layer.disabledReason as string,
    }))
    .sort((a, b) => a.folder.split("/").length - b.folder.split("/").length || (a.folder < b.folder ? -1 : 1));
  if (disabled.length === 0) return null;
  const lines = disabled.map((entry, index) => `    ${index + 1}. ${entry.folder}\n       ${entry.reason}\n`);
  return {
    summary: `Project-local config, hooks, and exec policies are disabled in the following folders until the project is trusted, but skills still load.\n${lines.join("")}`,
    details: null,
    path: null,
  };
}
