import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ConfigRejectedError, ConfigWriteError, type ConfigWriteErrorCode } from "./errors.js";
import { parseKeyPath } from "./key-path.js";
import {
  applyExactRequirements,
  BUILTIN_PERMISSION_PROFILES,
  checkWriteAgainstRequirements,
  DEAD_END_MESSAGE,
  isEmptyRequirements,
  parseRequirements,
  permissionProfiles,
  requirementsView,
  resolveSessionPermissions,
} from "./requirements.js";

const source = "/etc/codex/requirements.toml";

const managedCatalog = {
  default_permissions: "build",
  allowed_approval_policies: ["on-request", "untrusted"],
  allowed_sandbox_modes: ["read-only", "workspace-write"],
  allowed_web_search_modes: ["cached"],
  allowed_permission_profiles: { review: true, build: true, ":danger-full-access": false },
  permissions: { review: { extends: ":read-only", description: "Review only" }, build: { extends: ":workspace" } },
  features: { memories: false },
};

function refusal(code: ConfigWriteErrorCode, message: string) {
  return (error: unknown) => {
    assert.ok(error instanceof ConfigWriteError, `expected a ConfigWriteError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  };
}

test("requirements parse Codex's spellings and add `disabled` to web search modes", () => {
  const req = parseRequirements(managedCatalog, { source });
  assert.deepEqual(req.allowedApprovalPolicies, ["on-request", "untrusted"]);
  assert.deepEqual(req.allowedSandboxModes, ["read-only", "workspace-write"]);
  assert.deepEqual(req.allowedWebSearchModes, ["cached", "disabled"]);
  assert.deepEqual(req.allowedPermissionProfiles, { review: true, build: true, ":danger-full-access": false });
  assert.deepEqual(req.permissions, {
    review: { extends: ":read-only", description: "Review only" },
    build: { extends: ":workspace", description: null },
  });
  assert.equal(req.defaultPermissions, "build");
  assert.deepEqual(req.featureRequirements, { memories: false });
  assert.equal(isEmptyRequirements(req), false);
  assert.equal(isEmptyRequirements(parseRequirements({})), true);
});

test("the seed's `allowed_permissions` list spelling is accepted as an allowlist", () => {
  const req = parseRequirements({
    allowed_permissions: ["review", "build"],
    default_permissions: "review",
    permissions: { review: { extends: ":read-only" }, build: { extends: ":workspace" } },
  });
  assert.deepEqual(req.allowedPermissionProfiles, { review: true, build: true });
});

test("bad requirement shapes are refused with a clear message", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { allowed_sandbox_modes: ["workspace-write"] },
      `invalid value for \`allowed_sandbox_modes\`: \`[WorkspaceWrite]\` is not in the allowed set must include 'read-only' to allow any PermissionProfile (set by ${source})`,
    ],
    [{ default_permissions: "build" }, "requirements.toml default_permissions requires allowed_permission_profiles"],
    [
      { allowed_permission_profiles: { review: true } },
      "requirements.toml default_permissions must be set unless allowed_permission_profiles allows both `:workspace` and `:read-only`",
    ],
    [{ allowed_sandbox_modes: "read-only" }, "invalid requirements: `allowed_sandbox_modes` must be an array of strings"],
    [
      { allowed_web_search_modes: ["sometimes"] },
      "invalid requirements: `allowed_web_search_modes` has unknown value `sometimes`; expected one of disabled, cached, indexed, live",
    ],
    [
      { allowed_approval_policies: ["sometimes"] },
      "invalid requirements: `allowed_approval_policies` must list untrusted, on-failure, on-request, never or {granular = {…}}",
    ],
    [{ features: { memories: "no" } }, "invalid requirements: `features` must be a table of booleans"],
    [
      { allowed_permission_profiles: { ":read-only": true, ":workspace": true }, default_permissions: "x" },
      'invalid requirements: `default_permissions = "x"` is not allowed by `allowed_permission_profiles`',
    ],
  ];
  for (const [table, message] of cases) {
    assert.throws(() => parseRequirements(table, { source }), { message }, JSON.stringify(table));
  }
});

test("the wire view has exactly ConfigRequirements' fields, camelCased", () => {
  const schema = JSON.parse(
    readFileSync(
      new URL(
        "../../../../test/fixtures/codex-app-server-schema-0.171.0/v2/ConfigRequirementsReadResponse.json",
        import.meta.url,
      ),
      "utf8",
    ),
  ) as { definitions: { ConfigRequirements: { properties: Record<string, unknown> } } };
  const req = parseRequirements(
    {
      ...managedCatalog,
      model_provider: "corp",
      model_providers: { corp: { name: "Corp", base_url: "https://llm.corp/v1" } },
      computer_use: { allow_locked_computer_use: false, macos: { bundle_ids: { "com.apple.Safari": "allow" } } },
      models: { new_thread: { model: "gpt-managed", model_reasoning_effort: "medium" } },
      feedback: { enabled: false },
    },
    { source },
  );
  const view = requirementsView(req);
  assert.deepEqual(Object.keys(view).sort(), Object.keys(schema.definitions.ConfigRequirements.properties).sort());
  assert.deepEqual(view.allowedPermissionProfiles, { review: true, build: true, ":danger-full-access": false });
  assert.deepEqual(view.allowedWebSearchModes, ["cached", "disabled"]);
  assert.deepEqual(view.featureRequirements, { memories: false });
  assert.equal(view.defaultPermissions, "build");
  assert.deepEqual(view.allowedLoginMethods, ["api", "chatgpt"]);
  assert.deepEqual(view.computerUse, { allowLockedComputerUse: false, macos: { bundleIds: { "com.apple.Safari": "allow" } } });
  assert.deepEqual(view.models, { newThread: { model: "gpt-managed", modelReasoningEffort: "medium" } });
  assert.deepEqual(
    view.modelProviders,
    { corp: { name: "Corp", base_url: "https://llm.corp/v1" } },
    "provider fields keep config.toml names",
  );
  assert.equal(view.network, null);
});

test("writes touching an exactly pinned key are configRequirementReadonly, even with the pinned value", () => {
  const req = parseRequirements(
    {
      model_provider: "corp",
      chatgpt_base_url: "https://managed.example/backend-api/",
      model_providers: { corp: { name: "Corp" } },
      feedback: { enabled: false },
    },
    { source },
  );
  const cases: [string, string][] = [
    ["model_provider", "`model_provider` is managed by requirements and cannot be changed"],
    ["chatgpt_base_url", "`chatgpt_base_url` is managed by requirements and cannot be changed"],
    ["model_providers.corp.name", "`model_providers` is managed by requirements and cannot be changed"],
    ["feedback", "`feedback.enabled` is managed by requirements and cannot be changed"],
    ["feedback.enabled", "`feedback.enabled` is managed by requirements and cannot be changed"],
  ];
  for (const [keyPath, message] of cases) {
    assert.throws(
      () => checkWriteAgainstRequirements({ model_provider: "corp" }, req, [parseKeyPath(keyPath)]),
      refusal("configRequirementReadonly", message),
      keyPath,
    );
  }
  assert.doesNotThrow(
    () => checkWriteAgainstRequirements({}, req, [parseKeyPath("model_providers.other")]),
    "a new provider id is fine",
  );
  assert.doesNotThrow(() => checkWriteAgainstRequirements({}, req, [parseKeyPath("model")]));
});

test("a feature set against a feature requirement is configValidationError with Codex's text", () => {
  const req = parseRequirements(managedCatalog, { source });
  assert.throws(
    () => checkWriteAgainstRequirements({ features: { memory_tool: true } }, req, [parseKeyPath("features.memory_tool")]),
    refusal(
      "configValidationError",
      `Invalid configuration: invalid value for \`features\`: \`features.memories=true\` is not in the allowed set [memories=false] (set by ${source})`,
    ),
  );
  assert.doesNotThrow(() =>
    checkWriteAgainstRequirements({ features: { memories: false } }, req, [parseKeyPath("features.memories")]),
  );
});

test("values outside an allowlist are refused by default and accepted in Codex mode", () => {
  const req = parseRequirements(managedCatalog, { source });
  const cases: [Record<string, unknown>, string, string][] = [
    [
      { approval_policy: "never" },
      "approval_policy",
      "invalid value for `approval_policy`: `Never` is not in the allowed set [OnRequest, UnlessTrusted]",
    ],
    [
      { sandbox_mode: "danger-full-access" },
      "sandbox_mode",
      "invalid value for `sandbox_mode`: `DangerFullAccess` is not in the allowed set [ReadOnly, WorkspaceWrite]",
    ],
    [{ web_search: "live" }, "web_search", "invalid value for `web_search`: `Live` is not in the allowed set [Cached, Disabled]"],
    [
      { default_permissions: "mine" },
      "default_permissions",
      "invalid value for `default_permissions`: `mine` is not in the allowed set [review, build]",
    ],
  ];
  for (const [effective, keyPath, message] of cases) {
    assert.throws(
      () => checkWriteAgainstRequirements(effective, req, [parseKeyPath(keyPath)]),
      refusal("configRequirementReadonly", `${message} (set by ${source})`),
    );
    assert.doesNotThrow(() =>
      checkWriteAgainstRequirements(effective, req, [parseKeyPath(keyPath)], { allowListViolations: "accept" }),
    );
    assert.doesNotThrow(
      () => checkWriteAgainstRequirements(effective, req, [parseKeyPath("model")]),
      "an untouched key is not re-checked",
    );
  }
  assert.throws(
    () => checkWriteAgainstRequirements({ approval_policy: "never" }, req),
    ConfigWriteError,
    "without paths everything is checked",
  );
  assert.doesNotThrow(() => checkWriteAgainstRequirements({ approval_policy: "untrusted", sandbox_mode: "read-only" }, req));
});

test("permission profiles: built-ins first, then config and managed profiles by id, allowed per the allowlist", () => {
  const req = parseRequirements(managedCatalog, { source });
  const effective = { permissions: { mine: { extends: ":danger-full-access", description: "My profile" } } };
  assert.deepEqual(permissionProfiles(effective, req), [
    { id: ":read-only", description: null, allowed: false },
    { id: ":workspace", description: null, allowed: false },
    { id: ":danger-full-access", description: null, allowed: false },
    { id: "build", description: null, allowed: true },
    { id: "mine", description: "My profile", allowed: false },
    { id: "review", description: "Review only", allowed: true },
  ]);
  assert.deepEqual(
    permissionProfiles({}, parseRequirements({})).map((profile) => [profile.id, profile.allowed]),
    BUILTIN_PERMISSION_PROFILES.map((profile) => [profile.id, true]),
  );
});

test("a disallowed approval policy falls back to the first allowed one with Codex's warning", () => {
  const req = parseRequirements({ allowed_approval_policies: ["untrusted", "on-request"] }, { source });
  const session = resolveSessionPermissions({}, { approval_policy: "never", sandbox_mode: "read-only" }, req);
  assert.equal(session.approvalPolicy, "untrusted");
  assert.deepEqual(session.warnings, [
    {
      summary: `Configured value for \`approval_policy\` is disallowed by requirements; falling back to required value UnlessTrusted. Details: invalid value for \`approval_policy\`: \`Never\` is not in the allowed set [UnlessTrusted, OnRequest] (set by ${source})`,
      details: null,
      path: null,
    },
  ]);
});

test("a disallowed named profile falls back to the required default profile with Codex's warning", () => {
  const req = parseRequirements(
    {
      default_permissions: "review",
      allowed_permission_profiles: { build: true, review: true, mine: true },
      permissions: { review: { extends: ":read-only" }, build: { extends: ":workspace" } },
    },
    { source },
  );
  const effective = { permissions: { mine: { extends: ":workspace" }, other: { extends: ":workspace" } } };

  const fallback = resolveSessionPermissions({}, { ...effective, default_permissions: "other" }, req);
  assert.deepEqual(fallback.activeProfile, { id: "review", extends: null }, "Codex reports no `extends` for managed profiles");
  assert.equal(fallback.sandboxMode, "read-only");
  assert.equal(fallback.approvalPolicy, "on-request");
  assert.deepEqual(
    fallback.warnings.map((warning) => warning.summary),
    [
      "Configured value for `permission_profile` is disallowed by requirements; falling back from `other` to required value `review`.",
    ],
  );

  const allowed = resolveSessionPermissions({}, { ...effective, default_permissions: "mine" }, req);
  assert.deepEqual(allowed.activeProfile, { id: "mine", extends: ":workspace" });
  assert.equal(allowed.sandboxMode, "workspace-write");
  assert.deepEqual(allowed.warnings, []);

  const requested = resolveSessionPermissions({ profileId: "build" }, effective, req);
  assert.deepEqual(requested.activeProfile, { id: "build", extends: null });
  assert.equal(requested.sandboxMode, "workspace-write");
});

test("a disallowed sandbox falls back to read-only, except for the never + full-access dead end", () => {
  const req = parseRequirements({ allowed_sandbox_modes: ["read-only", "workspace-write"] }, { source });
  const fallback = resolveSessionPermissions({}, { approval_policy: "on-request", sandbox_mode: "danger-full-access" }, req);
  assert.equal(fallback.sandboxMode, "read-only");
  assert.equal(fallback.activeProfile, null);
  assert.match(fallback.warnings[0]?.summary ?? "", /`DangerFullAccess` is not in the allowed set \[ReadOnly, WorkspaceWrite\]/);

  assert.throws(
    () => resolveSessionPermissions({}, { approval_policy: "never", sandbox_mode: "danger-full-access" }, req),
    (error: unknown) => error instanceof ConfigRejectedError && error.message === DEAD_END_MESSAGE,
  );
  assert.equal(
    DEAD_END_MESSAGE,
    '`approval_policy = "never"` cannot be used because requirements do not allow `sandbox_mode = "danger-full-access"`; Codex would fall back to read-only permissions with approvals disabled. Choose an `approval_policy` based on what you need, such as `on-request`, or choose an allowed sandbox mode.',
  );

  const readOnlyOnly = parseRequirements({ allowed_sandbox_modes: ["read-only"] }, { source });
  const workspace = resolveSessionPermissions({ sandboxMode: "workspace-write" }, { approval_policy: "never" }, readOnlyOnly);
  assert.equal(workspace.sandboxMode, "read-only", "codex 0.171.0 lets never + workspace-write fall back to read-only");
  assert.equal(workspace.approvalPolicy, "never");
});

test("the dead end is judged after the approval fallback", () => {
  const req = parseRequirements(
    { allowed_approval_policies: ["untrusted", "on-request"], allowed_sandbox_modes: ["read-only"] },
    { source },
  );
  const session = resolveSessionPermissions({ approvalPolicy: "never", sandboxMode: "danger-full-access" }, {}, req);
  assert.equal(session.approvalPolicy, "untrusted");
  assert.equal(session.sandboxMode, "read-only");
  assert.equal(session.warnings.length, 2);
});

test("without a selection the built-in profile follows project trust, requirements or not; a sandbox mode has none", () => {
  const none = parseRequirements({});
  // Codex 0.171.0 names the built-in profile it applied (checked against the binary).
  assert.deepEqual(resolveSessionPermissions({}, {}, none), {
    approvalPolicy: "on-request",
    sandboxMode: "read-only",
    activeProfile: { id: ":read-only", extends: null },
    warnings: [],
  });
  const trusted = resolveSessionPermissions({ projectTrusted: true }, {}, none);
  assert.equal(trusted.sandboxMode, "workspace-write");
  assert.deepEqual(trusted.activeProfile, { id: ":workspace", extends: null });
  // The legacy path: a sandbox mode given or configured, and no active profile.
  assert.equal(resolveSessionPermissions({ sandboxMode: "read-only" }, {}, none).activeProfile, null);
  assert.equal(resolveSessionPermissions({}, { sandbox_mode: "workspace-write" }, none).activeProfile, null);
  assert.equal(
    resolveSessionPermissions({ sandboxMode: "danger-full-access" }, { sandbox_mode: "read-only" }, none).sandboxMode,
    "danger-full-access",
  );
});

test("a profile id defined both in config and in requirements is refused", () => {
  const req = parseRequirements(managedCatalog, { source });
  assert.throws(
    () => resolveSessionPermissions({}, { permissions: { build: { extends: ":danger-full-access" } } }, req),
    (error: unknown) =>
      error instanceof ConfigRejectedError && /`build` is defined both in config and in requirements/.test(error.message),
  );
});

test("pinned values replace configured ones, with Codex's warning", () => {
  const req = parseRequirements(
    {
      chatgpt_base_url: "https://managed.example/backend-api/",
      cli_auth_credentials_store: "ephemeral",
      feedback: { enabled: false },
    },
    { source },
  );
  const { config, warnings } = applyExactRequirements(
    { chatgpt_base_url: "https://user.example/", cli_auth_credentials_store: "file", model: "m" },
    req,
  );
  assert.deepEqual(config, {
    chatgpt_base_url: "https://managed.example/backend-api/",
    cli_auth_credentials_store: "ephemeral",
    model: "m",
    feedback: { enabled: false },
  });
  assert.deepEqual(
    warnings.map((warning) => warning.summary),
    [
      `Configured value for \`chatgpt_base_url\` is overridden by the required value "https://managed.example/backend-api/" from ${source}.`,
      `Configured value for \`cli_auth_credentials_store\` is overridden by the required value Ephemeral from ${source}.`,
    ],
  );
});
