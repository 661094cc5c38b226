import assert from "node:assert/strict";
import { test } from "node:test";
import { featureCatalog } from "./features.js";
import {
  buildLockfile,
  ConfigLockError,
  compareLockfiles,
  lockfileToToml,
  lockMismatchMessage,
  parseLockfile,
} from "./lockfile.js";

const effective = {
  model: "gpt-5",
  model_provider: "loopback",
  approval_policy: "on-request",
  profile: "work",
  profiles: { work: { model: "gpt-profile" } },
  debug: { config_lockfile: { export_dir: "/locks" } },
  projects: { "/work/repo": { trust_level: "trusted" } },
  model_instructions_file: "/work/repo/AGENTS.md",
  experimental_thread_config_endpoint: "http://127.0.0.1:50051",
  experimental_use_unified_exec_tool: false,
  features: { connectors: false, memory_tool: true },
  model_providers: { loopback: { name: "loopback", base_url: "http://127.0.0.1:9/v1", wire_api: "responses" } },
  skills: { config: [{ path: "/a/SKILL.md", enabled: false }] },
};

const resolved = { model_reasoning_effort: "medium", service_tier: "priority", model: "gpt-5" };

test("a lockfile keeps replayable values and drops the inputs that produced them", () => {
  const lock = buildLockfile(effective, { codexVersion: "0.171.0", resolved, saveFieldsResolvedFromModelCatalog: true });
  assert.equal(lock.version, 1);
  assert.equal(lock.codex_version, "0.171.0");
  for (const key of [
    "profile",
    "profiles",
    "debug",
    "projects",
    "model_instructions_file",
    "experimental_thread_config_endpoint",
    "experimental_use_unified_exec_tool",
  ]) {
    assert.equal(lock.config[key], undefined, `${key} is stripped`);
  }
  assert.equal(lock.config.model, "gpt-5");
  assert.equal(lock.config.model_reasoning_effort, "medium");
  assert.equal(lock.config.service_tier, "priority");
  const features = lock.config.features as Record<string, unknown>;
  assert.equal(features.connectors, undefined, "aliases are materialized to canonical names");
  assert.equal(features.memory_tool, undefined);
  assert.equal(features.apps, false);
  assert.equal(features.memories, true);
  assert.equal(Object.keys(features).length, featureCatalog.length);
  assert.deepEqual(effective.features, { connectors: false, memory_tool: true }, "the effective config is not mutated");
});

test("without saving catalog-resolved fields, only configured values are written", () => {
  const lock = buildLockfile(effective, { codexVersion: "0.171.0", resolved, saveFieldsResolvedFromModelCatalog: false });
  assert.equal(lock.config.model_reasoning_effort, undefined);
  assert.equal(lock.config.service_tier, undefined);
  assert.equal(lock.config.model, "gpt-5", "the configured model stays");
});

test("a lockfile round-trips through TOML and matches its regeneration", () => {
  const lock = buildLockfile(effective, { codexVersion: "0.171.0", resolved, saveFieldsResolvedFromModelCatalog: true });
  const text = lockfileToToml(lock);
  assert.match(text, /^version = 1\ncodex_version = "0\.171\.0"\n/);
  assert.match(text, /\n\[config\]\n/);
  const parsed = parseLockfile(text);
  assert.deepEqual(parsed, lock);
  const regenerated = buildLockfile(structuredClone(effective), {
    codexVersion: "0.171.0",
    resolved,
    saveFieldsResolvedFromModelCatalog: true,
  });
  assert.deepEqual(compareLockfiles(parsed, regenerated, { allowCodexVersionMismatch: false }), { matches: true, diff: "" });
});

test("drift fails with a unified TOML diff naming the changed keys", () => {
  const expected = buildLockfile(effective, { codexVersion: "0.171.0", resolved, saveFieldsResolvedFromModelCatalog: true });
  const drifted = buildLockfile(
    { ...effective, approval_policy: "never", features: { connectors: true, memory_tool: true } },
    { codexVersion: "0.171.0", resolved, saveFieldsResolvedFromModelCatalog: true },
  );
  const { matches, diff } = compareLockfiles(expected, drifted, { allowCodexVersionMismatch: false });
  assert.equal(matches, false);
  const lines = diff.split("\n");
  assert.equal(lines[0], "--- expected (lockfile)");
  assert.equal(lines[1], "+++ actual (regenerated)");
  assert.ok(lines.includes('-config.approval_policy = "on-request"'), diff);
  assert.ok(lines.includes('+config.approval_policy = "never"'), diff);
  assert.ok(lines.includes("-config.features.apps = false"), diff);
  assert.ok(lines.includes("+config.features.apps = true"), diff);
  assert.ok(lines.some((line) => /^@@ -\d+,\d+ \+\d+,\d+ @@$/.test(line)));
  assert.equal(lines.filter((line) => /^[-+]config/.test(line)).length, 4, "only the changed keys are - or + lines");
  assert.match(lockMismatchMessage(diff), /^replayed effective config does not match config lock:\n--- expected/);
});

test("a different codex_version is drift unless allowCodexVersionMismatch is set", () => {
  const expected = buildLockfile(effective, { codexVersion: "0.171.0", saveFieldsResolvedFromModelCatalog: true });
  const newer = buildLockfile(effective, { codexVersion: "0.172.0", saveFieldsResolvedFromModelCatalog: true });
  const strict = compareLockfiles(expected, newer, { allowCodexVersionMismatch: false });
  assert.equal(strict.matches, false);
  assert.match(strict.diff, /^-codex_version = "0\.171\.0"$/m);
  assert.match(strict.diff, /^\+codex_version = "0\.172\.0"$/m);
  assert.deepEqual(compareLockfiles(expected, newer, { allowCodexVersionMismatch: true }), { matches: true, diff: "" });

  const newerAndDrifted = buildLockfile(
    { ...effective, model: "gpt-6" },
    { codexVersion: "0.172.0", saveFieldsResolvedFromModelCatalog: true },
  );
  const tolerant = compareLockfiles(expected, newerAndDrifted, { allowCodexVersionMismatch: true });
  assert.equal(tolerant.matches, false, "the rest of the lockfile is still compared");
  assert.doesNotMatch(tolerant.diff, /codex_version/);
  assert.match(tolerant.diff, /^\+config\.model = "gpt-6"$/m);
});

test("bad lockfiles are refused with a clear message", () => {
  const cases: [string, string | RegExp][] = [
    ['version = 2\ncodex_version = "0.171.0"\n[config]\n', "unsupported config lock version 2; expected 1"],
    ['codex_version = "0.171.0"\n[config]\n', "failed to parse config lock: missing field `version`"],
    ["version = 1\n[config]\n", "failed to parse config lock: missing field `codex_version`"],
    ['version = 1\ncodex_version = "0.171.0"\n', "failed to parse config lock: missing field `config`"],
    [
      'version = 1\ncodex_version = "0.171.0"\nmodel = "x"\n[config]\n',
      "failed to parse config lock: unknown field `model`, expected one of `version`, `codex_version`, `config`",
    ],
    ['version = "1"\ncodex_version = "0.171.0"\n[config]\n', "failed to parse config lock: `version` must be an integer"],
    ['version = 1\ncodex_version = "0.171.0"\nconfig = 5\n', "failed to parse config lock: `config` must be a table"],
    ["version = = 1\n", /^failed to parse config lock: TOML parse error at line 1, column 11: /],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseLockfile(text),
      (error: unknown) => {
        assert.ok(error instanceof ConfigLockError);
        if (typeof message === "string") assert.equal(error.message, message);
        else assert.match(error.message, message);
        return true;
      },
      text,
    );
  }
});
