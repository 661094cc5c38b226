import assert from "node:assert/strict";
import { test } from "node:test";
import { parseKeyPath } from "./key-path.js";
import { resolveLayers } from "./layers.js";
import {
  applyEdits,
  ConfigWriteError,
  type ConfigWriteErrorCode,
  checkExpectedVersion,
  findOverride,
  layerReadonlyError,
  unknownConfigKeys,
  unrecognizedSettingsWarning,
  userLayerNotFoundError,
  validateConfig,
} from "./write.js";

function refusal(code: ConfigWriteErrorCode, message: string) {
  return (error: unknown) => {
    assert.ok(error instanceof ConfigWriteError, `expected a ConfigWriteError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  };
}

test("replace sets a value, creating the tables on the way", () => {
  const before = { model: "a" };
  const after = applyEdits(before, [
    { keyPath: 'projects."/work/a.b".trust_level', value: "trusted", mergeStrategy: "replace" },
    { keyPath: "model", value: "b", mergeStrategy: "replace" },
  ]);
  assert.deepEqual(after, { model: "b", projects: { "/work/a.b": { trust_level: "trusted" } } });
  assert.deepEqual(before, { model: "a" }, "the input layer is not mutated");
});

test("upsert deep-merges tables; replace swaps the whole table", () => {
  const layer = { model_providers: { corp: { name: "Corp", base_url: "http://a", http_headers: { a: "1" } } } };
  const upserted = applyEdits(layer, [
    { keyPath: "model_providers.corp", value: { base_url: "http://b", http_headers: { b: "2" } }, mergeStrategy: "upsert" },
  ]);
  assert.deepEqual(upserted.model_providers, {
    corp: { name: "Corp", base_url: "http://b", http_headers: { a: "1", b: "2" } },
  });
  const replaced = applyEdits(layer, [
    { keyPath: "model_providers.corp", value: { base_url: "http://b" }, mergeStrategy: "replace" },
  ]);
  assert.deepEqual(replaced.model_providers, { corp: { base_url: "http://b" } });
  const upsertOverScalar = applyEdits({ tui: 1 }, [{ keyPath: "tui", value: { theme: "x" }, mergeStrategy: "upsert" }]);
  assert.deepEqual(upsertOverScalar, { tui: { theme: "x" } }, "upsert replaces when either side is not a table");
});

test("null clears a key; a missing path is a quiet no-op as in Codex; a path below a scalar cannot exist", () => {
  const layer = { model: "a", tui: { theme: "dark", animations: true } };
  assert.deepEqual(applyEdits(layer, [{ keyPath: "tui.theme", value: null, mergeStrategy: "replace" }]), {
    model: "a",
    tui: { animations: true },
  });
  assert.deepEqual(applyEdits(layer, [{ keyPath: "nonexistent.deep.key", value: null, mergeStrategy: "replace" }]), layer);
  assert.throws(
    () => applyEdits(layer, [{ keyPath: "model.below.scalar", value: null, mergeStrategy: "replace" }]),
    (error: unknown) =>
      error instanceof ConfigWriteError && error.code === "configPathNotFound" && /`model` is not a table/.test(error.message),
  );
});

test("a scalar directly above the key is an error; one further up is replaced by a table", () => {
  assert.throws(
    () =>
      applyEdits({ analytics: { enabled: true } }, [
        { keyPath: "analytics.enabled.deep", value: true, mergeStrategy: "replace" },
      ]),
    refusal("configValidationError", "cannot set value on non-table parent"),
  );
  assert.deepEqual(applyEdits({ model: "x" }, [{ keyPath: "model.a.b", value: 1, mergeStrategy: "replace" }]), {
    model: { a: { b: 1 } },
  });
});

test("values TOML cannot hold are refused with Codex's text", () => {
  for (const value of [{ a: null, b: 1 }, ["a", null]]) {
    assert.throws(
      () => applyEdits({}, [{ keyPath: "tui", value, mergeStrategy: "replace" }]),
      refusal("configValidationError", "invalid value: invalid type: null, expected any valid TOML value"),
    );
  }
});

test("legacy profile selectors cannot be written but can be cleared", () => {
  assert.throws(
    () => applyEdits({}, [{ keyPath: "profile", value: "work", mergeStrategy: "replace" }]),
    refusal(
      "configValidationError",
      "`profile` is a legacy config selector and can no longer be written; use `--profile <name>` with `<name>.config.toml` instead",
    ),
  );
  assert.throws(
    () => applyEdits({}, [{ keyPath: "profiles.work.model", value: "x", mergeStrategy: "replace" }]),
    refusal(
      "configValidationError",
      "`profiles` contains legacy config profile tables and can no longer be written; use `--profile <name>` with `<name>.config.toml` instead",
    ),
  );
  assert.deepEqual(
    applyEdits({ profiles: { work: {} }, model: "m" }, [{ keyPath: "profiles", value: null, mergeStrategy: "replace" }]),
    {
      model: "m",
    },
  );
});

test("a bad key path in a batch refuses the whole batch", () => {
  assert.throws(
    () =>
      applyEdits({}, [
        { keyPath: "model", value: "a", mergeStrategy: "replace" },
        { keyPath: "a..b", value: 1, mergeStrategy: "replace" },
      ]),
    refusal("configValidationError", "keyPath segments must not be empty"),
  );
});

test("validation reports the first problem as Codex does", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { approval_policy: "sometimes" },
      "unknown variant `sometimes`, expected one of `untrusted`, `on-failure`, `on-request`, `granular`, `never`\nin `approval_policy`",
    ],
    [{ model: 5 }, "invalid type: integer `5`, expected a string\nin `model`"],
    [{ model: { foo: "y" } }, "invalid type: map, expected a string\nin `model`"],
    [
      { projects: { "/work/c": { trust_level: "bogus" } } },
      "unknown variant `bogus`, expected `trusted` or `untrusted`\nin `projects./work/c.trust_level`",
    ],
    [{ features: { web_search_request: "yes" } }, 'invalid type: string "yes", expected a boolean\nin `features`'],
    [{ apps: { a1: { enabled: "no" } } }, 'invalid type: string "no", expected a boolean\nin `apps`'],
    [
      { model_providers: { p4: { base_url: "http://x" } } },
      "model_providers.p4: provider name must not be empty\nin `model_providers`",
    ],
    [
      { model_providers: { p3: { name: "x", request_max_retries: "a" } } },
      'invalid type: string "a", expected u64\nin `model_providers.p3.request_max_retries`',
    ],
    [
      { model_providers: { p2: { name: "x", wire_api: "chat" } } },
      '`wire_api = "chat"` is no longer supported.\nHow to fix: set `wire_api = "responses"` in your provider config.\nMore info: https://github.com/openai/codex/discussions/7782\nin `model_providers.p2.wire_api`',
    ],
    [{ mcp_servers: { m2: { bogus: 1 } } }, "invalid transport\nin `mcp_servers.m2`"],
    [{ mcp_servers: { m3: { url: "http://x", command: "y" } } }, "url is not supported for stdio\nin `mcp_servers.m3`"],
    [
      { mcp_servers: { s: { command: "x", args: [["nested"]] } } },
      "invalid type: sequence, expected a string\nin `mcp_servers.s.args`",
    ],
    [{ approval_policy: { granular: { rules: true } } }, "missing field `sandbox_approval`\nin `approval_policy`"],
    [{ approval_policy: 5 }, "invalid type: unit variant, expected string only\nin `approval_policy`"],
    [{ model_reasoning_effort: "" }, "reasoning_effort must not be empty\nin `model_reasoning_effort`"],
    [{ project_doc_max_bytes: -1 }, "invalid value: integer `-1`, expected usize\nin `project_doc_max_bytes`"],
    [
      { model_auto_compact_token_limit: 1.5 },
      "invalid type: floating point `1.5`, expected i64\nin `model_auto_compact_token_limit`",
    ],
    [{ tui: 5 }, "invalid type: integer `5`, expected struct Tui\nin `tui`"],
    [{ permissions: { x: 5 } }, "invalid type: integer `5`, expected struct PermissionProfileToml\nin `permissions`"],
    [{ skills: { config: [5] } }, "invalid type: integer `5`, expected struct SkillConfig\nin `skills.config`"],
    [
      { features: { code_mode: { enabled: "x" } } },
      "data did not match any variant of untagged enum FeatureToml\nin `features.code_mode`",
    ],
    [{ history: { persistence: "maybe" } }, "unknown variant `maybe`, expected `save-all` or `none`\nin `history.persistence`"],
    [
      { sandbox_workspace_write: { writable_roots: ["relative/path"] } },
      "AbsolutePathBuf deserialized without a base path\nin `sandbox_workspace_write.writable_roots`",
    ],
    [
      { profiles: { work: { sandbox_mode: "full" } } },
      "unknown variant `full`, expected one of `read-only`, `workspace-write`, `danger-full-access`\nin `profiles.work.sandbox_mode`",
    ],
  ];
  for (const [config, detail] of cases) {
    assert.throws(
      () => validateConfig(config),
      refusal("configValidationError", `Invalid configuration: ${detail}\n`),
      JSON.stringify(config),
    );
  }
});

test("valid configs pass, unknown keys included (Codex only warns about them)", () => {
  const config = {
    model: "gpt-5",
    model_provider: "loopback",
    approval_policy: { granular: { rules: true, sandbox_approval: true, mcp_elicitations: false } },
    sandbox_mode: "workspace-write",
    service_tier: "turbo",
    personality: "pragmatic",
    plan_mode_reasoning_effort: "xhigh",
    approvals_reviewer: "auto_review",
    default_permissions: "build",
    check_for_update_on_startup: false,
    experimental_thread_config_endpoint: "http://127.0.0.1:50051",
    analytics: { enabled: false, bogus: 1 },
    notice: { fast_default_opt_out: true },
    model_providers: {
      loopback: {
        name: "loopback",
        base_url: "http://127.0.0.1:9/v1",
        wire_api: "responses",
        requires_openai_auth: false,
        query_params: { "api-version": "1" },
        request_max_retries: 4,
        bogus: 1,
      },
    },
    features: { memories: true, code_mode: { enabled: true }, not_a_feature: true },
    apps: { _default: { enabled: true }, a1: { enabled: false, disabled_reason: "user" } },
    skills: {
      config: [
        { path: "/a/SKILL.md", enabled: false },
        { name: "n", enabled: true },
      ],
    },
    permissions: { build: { extends: ":workspace", description: "Build" } },
    mcp_servers: {
      docs: { url: "https://mcp.example/docs", http_headers: { "X-Team": "a" } },
      local: { command: "x", args: ["a"] },
    },
    debug: { config_lockfile: { export_dir: "/locks", allow_codex_version_mismatch: true } },
    unknown_product_config: true,
  };
  assert.doesNotThrow(() => validateConfig(config));
  assert.deepEqual(unknownConfigKeys(config), ["unknown_product_config", "features.not_a_feature"]);
});

test("Codex's startup warning for ignored settings", () => {
  assert.equal(unrecognizedSettingsWarning([]), null);
  assert.equal(
    unrecognizedSettingsWarning([{ layerLabel: "user", file: "/h/config.toml", keyPath: "features.include_apply_patch_tool" }]),
    "Codex is ignoring 1 unrecognized configuration setting. Check for typos or deprecated settings.\n  user (/h/config.toml): `features.include_apply_patch_tool` is ignored.",
  );
  assert.match(
    unrecognizedSettingsWarning([
      { layerLabel: "project", file: "/p/.codex/config.toml", keyPath: "a" },
      { layerLabel: "project", file: "/p/.codex/config.toml", keyPath: "b" },
    ]) ?? "",
    /^Codex is ignoring 2 unrecognized configuration settings\./,
  );
});

test("the service-level refusals carry Codex's codes and texts", () => {
  assert.throws(
    () => {
      throw layerReadonlyError();
    },
    refusal("configLayerReadonly", "Only writes to the user config are allowed"),
  );
  assert.throws(
    () => {
      throw userLayerNotFoundError();
    },
    refusal("userLayerNotFound", "user layer not found in updated layers"),
  );
  assert.throws(
    () => checkExpectedVersion("sha256:stale", "sha256:current"),
    refusal("configVersionConflict", "Configuration was modified since last read. Fetch latest version and retry."),
  );
  assert.doesNotThrow(() => checkExpectedVersion("sha256:current", "sha256:current"));
  assert.doesNotThrow(() => checkExpectedVersion(null, "sha256:current"));
});

test("a write a higher layer overrides is reported as okOverridden with Codex's message", () => {
  const user = { type: "user" as const, file: "/u/config.toml", profile: null };
  const managed = { type: "enterpriseManaged" as const, id: "p1", name: "Security baseline" };
  const userConfig = applyEdits({}, [
    { keyPath: "sandbox_mode", value: "danger-full-access", mergeStrategy: "replace" },
    { keyPath: "model", value: "gpt-5", mergeStrategy: "replace" },
  ]);
  const layers = [
    { name: user, config: userConfig },
    {
      name: { type: "legacyManagedConfigTomlFromFile" as const, file: "/etc/codex/managed_config.toml" },
      config: { sandbox_mode: "read-only" },
    },
    { name: managed, config: { model: "gpt-managed" } },
  ];
  const effective = resolveLayers(layers);

  assert.equal(findOverride(effective, userConfig, [parseKeyPath("tui.theme")]), null, "nothing written, nothing overridden");
  const overridden = findOverride(effective, userConfig, [parseKeyPath("sandbox_mode"), parseKeyPath("model")]);
  assert.deepEqual(overridden, {
    message: "Overridden by legacy managed_config.toml: /etc/codex/managed_config.toml",
    overridingLayer: { name: layers[1]?.name, version: effective.layers[0]?.version },
    effectiveValue: "read-only",
  });
  // model is set by the user layer above the enterprise layer, so it took effect.
  assert.equal(findOverride(effective, userConfig, [parseKeyPath("model")]), null);
});
