// Tenant requirements: a requirements.toml-shaped table that constrains config. It pins exact values
// (writes to them are refused), limits approval policies, sandbox modes, web search modes and
// permission profiles (session start falls back with a warning, or refuses a dead-end), contributes a
// managed permission-profile catalog, and pins features.
//
// Spellings, fallbacks and texts verified against codex 0.171.0 running with an /etc/codex/
// requirements.toml (configRequirements/read, permissionProfile/list, config/value/write, thread/start
// and the configWarning notifications). Where a text is ours it says so.
import { ConfigRejectedError, ConfigWriteError } from "./errors.js";
import { canonicalFeatureName, resolveFeatures } from "./features.js";
import { type ConfigTable, deepClone, isConfigTable, setOwn, valueAtPath } from "./layers.js";
import type { ConfigWarning } from "./trust.js";

export type SandboxMode = "read-only" | "workspace-write" | "danger-full-access";

const SANDBOX_MODES: readonly SandboxMode[] = ["read-only", "workspace-write", "danger-full-access"];
const APPROVAL_POLICY_STRINGS = ["untrusted", "on-failure", "on-request", "never"];
const WEB_SEARCH_MODES = ["disabled", "cached", "indexed", "live"];
const APPROVALS_REVIEWERS = ["user", "auto_review", "guardian_subagent"];

export interface PermissionProfileDefinition {
  extends: string | null;
  description: string | null;
}

export interface ExactRequirement {
  /** The config path the requirement pins, e.g. ["feedback", "enabled"] or ["model_providers", "corp"]. */
  path: string[];
  /** How Codex names it in "`<label>` is managed by requirements and cannot be changed". */
  label: string;
  value: unknown;
}

export interface Requirements {
  /** Who set them, for "(set by …)" in messages; Codex prints the requirements file path. */
  source: string;
  allowedApprovalPolicies: unknown[] | null;
  allowedApprovalsReviewers: string[] | null;
  allowedSandboxModes: SandboxMode[] | null;
  /** Always includes "disabled" when set, as Codex adds it. */
  allowedWebSearchModes: string[] | null;
  allowedPermissionProfiles: Record<string, boolean> | null;
  /** The managed catalog: `[permissions.<id>]` bodies. */
  permissions: Record<string, PermissionProfileDefinition>;
  defaultPermissions: string | null;
  featureRequirements: Record<string, boolean> | null;
  exact: ExactRequirement[];
  /** The table as given, for the parts only `requirementsView` reads. */
  raw: ConfigTable;
}

export const BUILTIN_PERMISSION_PROFILES: readonly { id: string; description: string; sandboxMode: SandboxMode }[] = [
  // Descriptions are ours; `permissionProfile/list` reports null for built-ins, as Codex does.
  { id: ":read-only", description: "Read files; no writes, no network.", sandboxMode: "read-only" },
  { id: ":workspace", description: "Read files and write inside the workspace.", sandboxMode: "workspace-write" },
  { id: ":danger-full-access", description: "No sandbox.", sandboxMode: "danger-full-access" },
];

/** Top-level requirement keys that pin the same key in config (Codex's "exact managed values"). */
const EXACT_KEYS = [
  "model_provider",
  "chatgpt_base_url",
  "cli_auth_credentials_store",
  "check_for_update_on_startup",
  "log_dir",
  "sqlite_home",
  "model_catalog_json",
  "allow_login_shell",
] as const;

// ---- parsing ------------------------------------------------------------------------------------

function badShape(message: string): Error {
  return new Error(`invalid requirements: ${message}`);
}

function stringList(table: ConfigTable, key: string, allowed?: readonly string[]): string[] | null {
  const value = table[key];
  if (value === undefined) return null;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw badShape(`\`${key}\` must be an array of strings`);
  }
  if (allowed) {
    const unknown = value.find((item) => !allowed.includes(item));
    if (unknown !== undefined)
      throw badShape(`\`${key}\` has unknown value \`${unknown}\`; expected one of ${allowed.join(", ")}`);
  }
  return value;
}

function optionalString(table: ConfigTable, key: string): string | null {
  const value = table[key];
  if (value === undefined) return null;
  if (typeof value !== "string") throw badShape(`\`${key}\` must be a string`);
  return value;
}

function boolMap(value: unknown, key: string): Record<string, boolean> {
  if (!isConfigTable(value) || !Object.values(value).every((entry) => typeof entry === "boolean")) {
    throw badShape(`\`${key}\` must be a table of booleans`);
  }
  return { ...(value as Record<string, boolean>) };
}

export function parseRequirements(table: ConfigTable, options: { source?: string } = {}): Requirements {
  if (!isConfigTable(table)) throw badShape("requirements must be a table");
  const source = options.source ?? "tenant requirements";

  const approvalPolicies = table.allowed_approval_policies;
  if (approvalPolicies !== undefined) {
    const valid =
      Array.isArray(approvalPolicies) &&
      approvalPolicies.every(
        (item) =>
          (typeof item === "string" && APPROVAL_POLICY_STRINGS.includes(item)) ||
          (isConfigTable(item) && isConfigTable(item.granular)),
      );
    if (!valid)
      throw badShape(`\`allowed_approval_policies\` must list ${APPROVAL_POLICY_STRINGS.join(", ")} or {granular = {…}}`);
  }

  const sandboxModes = stringList(table, "allowed_sandbox_modes", SANDBOX_MODES) as SandboxMode[] | null;
  if (sandboxModes && !sandboxModes.includes("read-only")) {
    // Codex's text, its odd grammar included.
    throw new Error(
      `invalid value for \`allowed_sandbox_modes\`: \`[${sandboxModes.map(debugName).join(", ")}]\` is not in the allowed set must include 'read-only' to allow any PermissionProfile (set by ${source})`,
    );
  }

  const webSearchModes = stringList(table, "allowed_web_search_modes", WEB_SEARCH_MODES);

  // Codex 0.171.0 spells the allowlist `allowed_permission_profiles = { id = bool }`; the earlier
  // `allowed_permissions = [ids]` spelling (Codex PR "managed permission-profile catalog") is accepted too.
  let allowedPermissionProfiles: Record<string, boolean> | null = null;
  if (table.allowed_permission_profiles !== undefined) {
    allowedPermissionProfiles = boolMap(table.allowed_permission_profiles, "allowed_permission_profiles");
  } else if (table.allowed_permissions !== undefined) {
    allowedPermissionProfiles = Object.fromEntries((stringList(table, "allowed_permissions") ?? []).map((id) => [id, true]));
  }

  const permissions: Record<string, PermissionProfileDefinition> = {};
  if (table.permissions !== undefined) {
    if (!isConfigTable(table.permissions)) throw badShape("`permissions` must be a table of profiles");
    for (const [id, body] of Object.entries(table.permissions)) {
      if (!isConfigTable(body)) throw badShape(`\`permissions.${id}\` must be a table`);
      if (id.startsWith(":")) throw badShape(`\`permissions.${id}\`: ids starting with ":" are reserved for built-in profiles`);
      const extendsId = optionalString(body, "extends");
      const description = optionalString(body, "description");
      setOwn(permissions, id, { extends: extendsId, description });
    }
  }

  const defaultPermissions = optionalString(table, "default_permissions");
  if (defaultPermissions !== null && allowedPermissionProfiles === null) {
    throw new Error("requirements.toml default_permissions requires allowed_permission_profiles");
  }
  if (
    allowedPermissionProfiles !== null &&
    defaultPermissions === null &&
    !(allowedPermissionProfiles[":workspace"] === true && allowedPermissionProfiles[":read-only"] === true)
  ) {
    throw new Error(
      "requirements.toml default_permissions must be set unless allowed_permission_profiles allows both `:workspace` and `:read-only`",
    );
  }
  if (defaultPermissions !== null && allowedPermissionProfiles?.[defaultPermissions] !== true) {
    throw badShape(`\`default_permissions = "${defaultPermissions}"\` is not allowed by \`allowed_permission_profiles\``); // ours
  }

  const featureTable = table.features ?? table.feature_requirements;
  const featureRequirements = featureTable === undefined ? null : boolMap(featureTable, "features");

  const exact: ExactRequirement[] = [];
  for (const key of EXACT_KEYS) {
    if (table[key] !== undefined) exact.push({ path: [key], label: key, value: table[key] });
  }
  if (isConfigTable(table.feedback) && table.feedback.enabled !== undefined) {
    exact.push({ path: ["feedback", "enabled"], label: "feedback.enabled", value: table.feedback.enabled });
  }
  if (table.model_providers !== undefined) {
    if (!isConfigTable(table.model_providers)) throw badShape("`model_providers` must be a table of providers");
    for (const [id, provider] of Object.entries(table.model_providers)) {
      exact.push({ path: ["model_providers", id], label: "model_providers", value: provider });
    }
  }

  return {
    source,
    allowedApprovalPolicies: (approvalPolicies as unknown[] | undefined) ?? null,
    allowedApprovalsReviewers: stringList(table, "allowed_approvals_reviewers", APPROVALS_REVIEWERS),
    allowedSandboxModes: sandboxModes,
    allowedWebSearchModes:
      webSearchModes && (webSearchModes.includes("disabled") ? webSearchModes : [...webSearchModes, "disabled"]),
    allowedPermissionProfiles,
    permissions,
    defaultPermissions,
    featureRequirements,
    exact,
    raw: deepClone(table),
  };
}

export function isEmptyRequirements(req: Requirements): boolean {
  return Object.keys(req.raw).length === 0;
}

// ---- the wire view ------------------------------------------------------------------------------

const snakeToCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase());

/** Keys whose tables are keyed by data (bundle ids, origins, domains…), which must not be renamed. */
const DATA_KEYED_TABLES = new Set(["bundle_ids", "aumids", "origins", "domains", "unix_sockets"]);

function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  if (!isConfigTable(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [
      snakeToCamel(key),
      DATA_KEYED_TABLES.has(key) && isConfigTable(entry)
        ? Object.fromEntries(Object.entries(entry).map(([dataKey, item]) => [dataKey, camelize(item)]))
        : camelize(entry),
    ]),
  );
}

/** The wire `ConfigRequirements` (configRequirements/read), every field present as Codex sends it. */
export function requirementsView(req: Requirements): Record<string, unknown> {
  const raw = req.raw;
  const pick = (key: string) => (raw[key] === undefined ? null : deepClone(raw[key]));
  const pickCamel = (key: string) => (raw[key] === undefined ? null : camelize(raw[key]));
  const forcedLogin = typeof raw.forced_login_method === "string" ? [raw.forced_login_method] : null;
  return {
    modelProvider: pick("model_provider"),
    modelProviders: pick("model_providers"),
    allowedLoginMethods: (raw.allowed_login_methods as string[] | undefined) ?? forcedLogin ?? ["api", "chatgpt"],
    cliAuthCredentialsStore: pick("cli_auth_credentials_store"),
    chatgptBaseUrl: pick("chatgpt_base_url"),
    additionalDeveloperInstructions: pick("additional_developer_instructions"),
    allowedApprovalPolicies: req.allowedApprovalPolicies && deepClone(req.allowedApprovalPolicies),
    allowedApprovalsReviewers: req.allowedApprovalsReviewers && [...req.allowedApprovalsReviewers],
    allowedSandboxModes: req.allowedSandboxModes && [...req.allowedSandboxModes],
    allowedWindowsSandboxImplementations: pick("allowed_windows_sandbox_implementations"),
    allowedPermissionProfiles: req.allowedPermissionProfiles && { ...req.allowedPermissionProfiles },
    defaultPermissions: req.defaultPermissions,
    allowedWebSearchModes: req.allowedWebSearchModes && [...req.allowedWebSearchModes],
    allowManagedHooksOnly: pick("allow_managed_hooks_only"),
    allowBrowserAndComputerUse: pick("allow_browser_and_computer_use"),
    allowAppshots: pick("allow_appshots"),
    allowRemoteControl: pick("allow_remote_control"),
    computerUse: pickCamel("computer_use"),
    browserUse: pickCamel("browser_use"),
    inAppBrowser: pickCamel("in_app_browser"),
    featureRequirements: req.featureRequirements && { ...req.featureRequirements },
    hooks: pick("hooks"),
    enforceResidency: pick("enforce_residency"),
    network: pickCamel("network"),
    application: pickCamel("application"),
    autoReview: pickCamel("auto_review"),
    models: pickCamel("models"),
    sqliteHome: pick("sqlite_home"),
    logDir: pick("log_dir"),
    modelCatalogJson: pick("model_catalog_json"),
    checkForUpdateOnStartup: pick("check_for_update_on_startup"),
    allowLoginShell: pick("allow_login_shell"),
    feedback: pick("feedback"),
    // OtelRequirements keeps config.toml's snake_case field names on the wire.
    otel: pick("otel"),
  };
}

// ---- Codex's names for constrained values (Rust Debug spellings, as its messages print them) ------

const DEBUG_NAMES: Record<string, string> = {
  untrusted: "UnlessTrusted",
  "on-failure": "OnFailure",
  "on-request": "OnRequest",
  never: "Never",
  "read-only": "ReadOnly",
  "workspace-write": "WorkspaceWrite",
  "danger-full-access": "DangerFullAccess",
  disabled: "Disabled",
  cached: "Cached",
  indexed: "Indexed",
  live: "Live",
  user: "User",
  auto_review: "AutoReview",
  guardian_subagent: "GuardianSubagent",
};

function debugName(value: unknown): string {
  if (typeof value === "string") return DEBUG_NAMES[value] ?? value;
  if (isConfigTable(value) && isConfigTable(value.granular)) {
    const fields = Object.entries(value.granular).map(([key, entry]) => `${key}: ${String(entry)}`);
    return `Granular(GranularApprovalConfig { ${fields.join(", ")} })`; // approximates Codex's Debug output
  }
  return JSON.stringify(value);
}

function notInAllowedSet(field: string, value: unknown, allowed: readonly unknown[], source: string): string {
  return `invalid value for \`${field}\`: \`${debugName(value)}\` is not in the allowed set [${allowed.map(debugName).join(", ")}] (set by ${source})`;
}

function sameValue(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

const isPrefix = (prefix: readonly string[], path: readonly string[]) =>
  prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);

const overlaps = (left: readonly string[], right: readonly string[]) => isPrefix(left, right) || isPrefix(right, left);

// ---- writes -------------------------------------------------------------------------------------

export interface WriteCheckOptions {
  /**
   * Codex accepts a write outside an allowlist (approval policy, sandbox mode, web search mode,
   * reviewer, default profile) and falls back when a session starts. Switchyard refuses it by default
   * ("reject"); "accept" restores Codex's behaviour.
   */
  allowListViolations?: "reject" | "accept";
}

/**
 * Refuses a write that requirements forbid. Pass the written key paths (parsed) to check only what
 * the write touched, as Codex does; without them every constrained key is checked.
 * - A write touching an exactly pinned key: `configRequirementReadonly`, "`<key>` is managed by
 *   requirements and cannot be changed" (Codex's text; it refuses even the pinned value itself).
 * - A feature set against a feature requirement: `configValidationError` with Codex's text.
 * - A value outside an allowlist: `configRequirementReadonly` with Codex's constraint text.
 */
export function checkWriteAgainstRequirements(
  effectiveAfterWrite: ConfigTable,
  req: Requirements,
  writtenKeyPaths?: readonly (readonly string[])[],
  options: WriteCheckOptions = {},
): void {
  const touched = (path: readonly string[]) =>
    writtenKeyPaths === undefined || writtenKeyPaths.some((written) => overlaps(written, path));

  if (writtenKeyPaths) {
    for (const written of writtenKeyPaths) {
      const pinned = req.exact.find((requirement) => overlaps(written, requirement.path));
      if (pinned) {
        throw new ConfigWriteError(
          "configRequirementReadonly",
          `\`${pinned.label}\` is managed by requirements and cannot be changed`,
        );
      }
    }
  }

  if (req.featureRequirements) {
    const authored = isConfigTable(effectiveAfterWrite.features) ? Object.keys(effectiveAfterWrite.features) : [];
    const explicitlySet = new Set(authored.map((key) => canonicalFeatureName(key) ?? key));
    const resolved = resolveFeatures(effectiveAfterWrite);
    for (const [name, required] of Object.entries(req.featureRequirements)) {
      if (!explicitlySet.has(name) || resolved[name] === undefined || resolved[name] === required) continue;
      throw new ConfigWriteError(
        "configValidationError",
        `Invalid configuration: invalid value for \`features\`: \`features.${name}=${resolved[name]}\` is not in the allowed set [${name}=${required}] (set by ${req.source})`,
      );
    }
  }

  if (options.allowListViolations === "accept") return;
  const constrained: [string, unknown[] | null][] = [
    ["approval_policy", req.allowedApprovalPolicies],
    ["sandbox_mode", req.allowedSandboxModes],
    ["web_search", req.allowedWebSearchModes],
    ["approvals_reviewer", req.allowedApprovalsReviewers],
  ];
  for (const [key, allowed] of constrained) {
    const value = effectiveAfterWrite[key];
    if (!allowed || value === undefined || !touched([key])) continue;
    if (!allowed.some((entry) => sameValue(entry, value))) {
      throw new ConfigWriteError("configRequirementReadonly", notInAllowedSet(key, value, allowed, req.source));
    }
  }
  const profile = effectiveAfterWrite.default_permissions;
  if (req.allowedPermissionProfiles && typeof profile === "string" && touched(["default_permissions"])) {
    if (req.allowedPermissionProfiles[profile] !== true) {
      const allowed = Object.keys(req.allowedPermissionProfiles).filter((id) => req.allowedPermissionProfiles?.[id]);
      throw new ConfigWriteError(
        "configRequirementReadonly",
        notInAllowedSet("default_permissions", profile, allowed, req.source),
      );
    }
  }
}

/**
 * Puts the pinned values into an effective config, with Codex's warning for each configured value
 * that differed ("Configured value for `<key>` is overridden by the required value <value> from
 * <source>."). Codex also warns when only its built-in default differed; we know no defaults here.
 */
export function applyExactRequirements(
  effective: ConfigTable,
  req: Requirements,
): { config: ConfigTable; warnings: ConfigWarning[] } {
  const config = deepClone(effective);
  const warnings: ConfigWarning[] = [];
  for (const requirement of req.exact) {
    const configured = valueAtPath(config, requirement.path);
    if (configured !== undefined && !sameValue(configured, requirement.value) && requirement.label !== "model_providers") {
      // Codex prints the value with Rust's Debug: enum variants bare (`Ephemeral`), strings quoted.
      const shown =
        requirement.label === "cli_auth_credentials_store" && typeof requirement.value === "string"
          ? requirement.value.charAt(0).toUpperCase() + requirement.value.slice(1)
          : JSON.stringify(requirement.value);
      warnings.push({
        summary: `Configured value for \`${requirement.label}\` is overridden by the required value ${shown} from ${req.source}.`,
        details: null,
        path: null,
      });
    }
    let table = config;
    for (const segment of requirement.path.slice(0, -1)) {
      if (!isConfigTable(table[segment])) setOwn(table, segment, {});
      table = table[segment] as ConfigTable;
    }
    setOwn(table, requirement.path[requirement.path.length - 1] as string, deepClone(requirement.value));
  }
  return { config, warnings };
}

// ---- permission profiles ------------------------------------------------------------------------

function configProfiles(effective: ConfigTable): Record<string, PermissionProfileDefinition> {
  const table = isConfigTable(effective.permissions) ? effective.permissions : {};
  const profiles: Record<string, PermissionProfileDefinition> = {};
  for (const [id, body] of Object.entries(table)) {
    if (!isConfigTable(body)) continue;
    setOwn(profiles, id, {
      extends: typeof body.extends === "string" ? body.extends : null,
      description: typeof body.description === "string" ? body.description : null,
    });
  }
  return profiles;
}

/**
 * `permissionProfile/list`: built-ins first in Codex's order, then config and requirement profiles
 * sorted by id. Without an allowlist every profile is allowed.
 */
export function permissionProfiles(
  effective: ConfigTable,
  req: Requirements,
): { id: string; description: string | null; allowed: boolean }[] {
  const isAllowed = (id: string) => (req.allowedPermissionProfiles ? req.allowedPermissionProfiles[id] === true : true);
  const catalog = { ...configProfiles(effective), ...req.permissions };
  return [
    ...BUILTIN_PERMISSION_PROFILES.map((profile) => ({ id: profile.id, description: null, allowed: isAllowed(profile.id) })),
    ...Object.keys(catalog)
      .sort()
      .map((id) => ({ id, description: catalog[id]?.description ?? null, allowed: isAllowed(id) })),
  ];
}

// ---- session permissions ------------------------------------------------------------------------

export interface SessionPermissions {
  approvalPolicy: unknown;
  sandboxMode: SandboxMode;
  /** `activePermissionProfile` of thread/start; null on the legacy sandbox-mode path. */
  activeProfile: { id: string; extends: string | null } | null;
  warnings: ConfigWarning[];
}

/** Codex's text for the dead end: approvals off and writes blocked. */
export const DEAD_END_MESSAGE =
  '`approval_policy = "never"` cannot be used because requirements do not allow `sandbox_mode = "danger-full-access"`; Codex would fall back to read-only permissions with approvals disabled. Choose an `approval_policy` based on what you need, such as `on-request`, or choose an allowed sandbox mode.';

function sandboxOfProfile(id: string, catalog: Record<string, PermissionProfileDefinition>): SandboxMode {
  const seen = new Set<string>();
  let current: string | null = id;
  while (current !== null) {
    const builtin = BUILTIN_PERMISSION_PROFILES.find((profile) => profile.id === current);
    if (builtin) return builtin.sandboxMode;
    if (seen.has(current)) throw new ConfigRejectedError(`permission profile \`${id}\` extends itself through \`${current}\``); // ours
    seen.add(current);
    // Codex 0.171.0's words for a `:`-id that names no built-in (probed; `:` ids are reserved for them).
    if (current.startsWith(":"))
      throw new ConfigRejectedError(`default_permissions refers to unknown built-in profile \`${current}\``);
    const definition: PermissionProfileDefinition | undefined = catalog[current];
    // Codex 0.171.0's words when no `[permissions]` table defines any profile, or not this one (probed).
    if (!definition && Object.keys(catalog).length === 0) {
      throw new ConfigRejectedError("default_permissions requires a `[permissions]` table");
    }
    if (!definition) throw new ConfigRejectedError(`default_permissions refers to undefined profile \`${current}\``);
    // A profile that extends nothing grants only what it lists itself; read-only is its floor.
    current = definition.extends;
  }
  return "read-only";
}

/**
 * The approval policy, sandbox and active profile a session runs with, after requirements:
 * - an approval policy outside the allowlist falls back to the first allowed one (warning, Codex's text);
 * - a named profile the allowlist refuses falls back to the requirements' `default_permissions`
 *   (warning, Codex's text); with no profile named, the trust-based built-in applies;
 * - a sandbox mode outside the allowlist falls back to read-only (warning, modelled on Codex's, which
 *   prints an internal struct), unless that leaves approvals at "never" after asking for full access:
 *   that dead end throws `ConfigRejectedError` with Codex's text.
 * A profile id defined both in config and in requirements is refused, as Codex refuses it.
 */
export function resolveSessionPermissions(
  input: { approvalPolicy?: unknown; sandboxMode?: string | null; profileId?: string | null; projectTrusted?: boolean },
  effective: ConfigTable,
  req: Requirements,
): SessionPermissions {
  const warnings: ConfigWarning[] = [];
  const warn = (summary: string) => warnings.push({ summary, details: null, path: null });

  let approvalPolicy: unknown = input.approvalPolicy ?? effective.approval_policy ?? "on-request";
  const allowedApprovals = req.allowedApprovalPolicies;
  if (allowedApprovals && allowedApprovals.length > 0 && !allowedApprovals.some((entry) => sameValue(entry, approvalPolicy))) {
    const fallback = allowedApprovals[0];
    warn(
      `Configured value for \`approval_policy\` is disallowed by requirements; falling back to required value ${debugName(fallback)}. Details: ${notInAllowedSet("approval_policy", approvalPolicy, allowedApprovals, req.source)}`,
    );
    approvalPolicy = fallback;
  }

  const fromConfig = configProfiles(effective);
  const collision = Object.keys(req.permissions).find((id) => Object.hasOwn(fromConfig, id));
  if (collision) {
    throw new ConfigRejectedError(`permission profile \`${collision}\` is defined both in config and in requirements`); // ours
  }
  const catalog = { ...fromConfig, ...req.permissions };

  const requestedSandbox = input.sandboxMode ?? null;
  if (requestedSandbox !== null && !(SANDBOX_MODES as readonly string[]).includes(requestedSandbox)) {
    throw new ConfigRejectedError(`unknown sandbox mode \`${requestedSandbox}\``); // ours
  }
  let profileId: string | null =
    input.profileId ??
    (requestedSandbox === null && typeof effective.default_permissions === "string" ? effective.default_permissions : null);
  let explicitProfile = profileId !== null;
  // Nothing named and no sandbox mode anywhere: the trust-based built-in profile, with or without an
  // allowlist (Codex 0.171.0 reports it as the active profile; a sandbox mode given or configured is
  // the legacy path, which has none).
  if (profileId === null && requestedSandbox === null && effective.sandbox_mode === undefined) {
    profileId = input.projectTrusted ? ":workspace" : ":read-only";
    explicitProfile = false;
  }

  let sandboxMode: SandboxMode;
  let activeProfile: SessionPermissions["activeProfile"] = null;
  if (profileId !== null) {
    if (req.allowedPermissionProfiles && req.allowedPermissionProfiles[profileId] !== true) {
      const fallback =
        req.defaultPermissions ?? Object.keys(req.allowedPermissionProfiles).find((id) => req.allowedPermissionProfiles?.[id]);
      if (fallback === undefined)
        throw new ConfigRejectedError(`permission profile \`${profileId}\` is not allowed by requirements`); // ours
      if (explicitProfile) {
        warn(
          `Configured value for \`permission_profile\` is disallowed by requirements; falling back from \`${profileId}\` to required value \`${fallback}\`.`,
        );
      }
      profileId = fallback;
    }
    sandboxMode = sandboxOfProfile(profileId, catalog);
    // Codex reports `extends` only for profiles defined in config (verified: null for managed ones).
    activeProfile = { id: profileId, extends: fromConfig[profileId]?.extends ?? null };
  } else {
    const configured = requestedSandbox ?? (typeof effective.sandbox_mode === "string" ? effective.sandbox_mode : null);
    sandboxMode = (configured as SandboxMode | null) ?? (input.projectTrusted ? "workspace-write" : "read-only");
  }

  const allowedSandboxes = req.allowedSandboxModes;
  if (allowedSandboxes && !allowedSandboxes.includes(sandboxMode)) {
    if (approvalPolicy === "never" && sandboxMode === "danger-full-access") throw new ConfigRejectedError(DEAD_END_MESSAGE);
    warn(
      `Configured value for \`sandbox_mode\` is disallowed by requirements; falling back to required value ReadOnly. Details: ${notInAllowedSet("sandbox_mode", sandboxMode, allowedSandboxes, req.source)}`,
    );
    sandboxMode = "read-only";
  }

  return { approvalPolicy, sandboxMode, activeProfile, warnings };
}
