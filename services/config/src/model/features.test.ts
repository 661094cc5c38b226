import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { canonicalFeatureName, featureCatalog, listFeatures, materializeFeatures, resolveFeatures } from "./features.js";

const schema = JSON.parse(
  readFileSync(
    new URL("../../../../test/fixtures/codex-app-server-schema-0.171.0/v2/ExperimentalFeatureListResponse.json", import.meta.url),
    "utf8",
  ),
) as {
  definitions: {
    ExperimentalFeature: { required: string[]; properties: Record<string, unknown> };
    ExperimentalFeatureStage: { oneOf: { enum: string[] }[] };
  };
};

test("the catalog is Codex 0.171.0's registry: unique names, known stages, menu texts only on beta", () => {
  assert.equal(featureCatalog.length, 224);
  assert.equal(new Set(featureCatalog.map((spec) => spec.name)).size, featureCatalog.length);
  const stages = schema.definitions.ExperimentalFeatureStage.oneOf.flatMap((variant) => variant.enum);
  for (const spec of featureCatalog) {
    assert.ok(stages.includes(spec.stage), `${spec.name} has stage ${spec.stage}`);
    assert.equal(spec.displayName !== null, spec.stage === "beta", `${spec.name}: only beta features have menu texts`);
  }
  const memories = featureCatalog.find((spec) => spec.name === "memories");
  assert.deepEqual(memories && { stage: memories.stage, defaultEnabled: memories.defaultEnabled, aliases: memories.aliases }, {
    stage: "stable",
    defaultEnabled: false,
    aliases: ["memory_tool"],
  });
  const proxy = featureCatalog.find((spec) => spec.name === "network_proxy");
  assert.equal(proxy?.announcement, "NEW: Network proxy can now be enabled from /experimental. Restart Codex after enabling it.");
  assert.ok(featureCatalog.filter((spec) => spec.aliases.length > 0).length >= 6);
});

test("legacy aliases name their canonical feature", () => {
  assert.equal(canonicalFeatureName("connectors"), "apps");
  assert.equal(canonicalFeatureName("collab"), "multi_agent");
  assert.equal(canonicalFeatureName("web_search"), "web_search_request");
  assert.equal(canonicalFeatureName("request_permissions"), "exec_permission_approvals");
  assert.equal(canonicalFeatureName("apps"), "apps");
  assert.equal(canonicalFeatureName("include_apply_patch_tool"), undefined, "0.171.0 ignores this one");
  assert.equal(canonicalFeatureName("toString"), undefined);
});

test("config toggles resolve through aliases; a later sorted key wins; removed features keep their default", () => {
  const resolved = resolveFeatures({
    features: {
      connectors: false,
      collab: false,
      multi_agent: true,
      memory_tool: true,
      undo: true,
      code_mode: { enabled: true },
    },
  });
  assert.equal(resolved.apps, false);
  assert.equal(resolved.multi_agent, true, "`multi_agent` sorts after `collab`, so it wins");
  assert.equal(resolved.memories, true);
  assert.equal(resolved.undo, false, "removed features ignore toggles");
  assert.equal(resolved.code_mode, true, "a feature table's `enabled` counts");
  assert.equal(resolved.shell_tool, true, "untouched features keep their default");
  assert.equal(Object.keys(resolved).length, featureCatalog.length);
  assert.equal(resolveFeatures({ features: { code_mode_only: true } }).code_mode, true, "code_mode_only needs code_mode");
});

test("materialized features use canonical names only and keep feature tables", () => {
  const materialized = materializeFeatures({ features: { connectors: false, code_mode: { enabled: true, runtime: "v8" } } });
  assert.equal(materialized.connectors, undefined);
  assert.equal(materialized.apps, false);
  assert.deepEqual(materialized.code_mode, { enabled: true, runtime: "v8" });
  assert.equal(Object.keys(materialized).length, featureCatalog.length);
});

test("listing pages through the registry in order with an opaque offset cursor", () => {
  const first = listFeatures({ features: { analytics_plan_history: true } }, { limit: 3 });
  assert.deepEqual(
    first.data.map((feature) => feature.name),
    ["analytics_plan_history", "cli_resume_account_check", "daemon_auto_start"],
  );
  assert.equal(first.nextCursor, "3");
  assert.deepEqual(first.data[0], {
    name: "analytics_plan_history",
    stage: "beta",
    displayName: "Analytics plan history",
    description: "Preview five-hour and weekly allowance history for consumer accounts in /analytics.",
    announcement: "",
    enabled: true,
    defaultEnabled: false,
  });
  const required = schema.definitions.ExperimentalFeature.required;
  for (const key of required) assert.ok(key in (first.data[1] ?? {}), `ExperimentalFeature.${key} is present`);
  assert.deepEqual(
    Object.keys(first.data[1] ?? {}).sort(),
    Object.keys(schema.definitions.ExperimentalFeature.properties).sort(),
  );

  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = listFeatures({}, { cursor, limit: 50 });
    seen.push(...page.data.map((feature) => feature.name));
    cursor = page.nextCursor;
  } while (cursor !== null);
  assert.deepEqual(
    seen,
    featureCatalog.map((spec) => spec.name),
  );

  assert.equal(listFeatures({}).data.length, featureCatalog.length, "no limit lists everything");
  assert.equal(listFeatures({}).nextCursor, null);
  assert.equal(listFeatures({}, { limit: 0 }).data.length, 1, "a zero limit still returns one, as Codex does");
});

test("bad cursors are refused with Codex's texts", () => {
  assert.throws(() => listFeatures({}, { cursor: "abc" }), { message: "invalid cursor: abc" });
  assert.throws(() => listFeatures({}, { cursor: "-1" }), { message: "invalid cursor: -1" });
  assert.throws(() => listFeatures({}, { cursor: "9999" }), { message: "cursor 9999 exceeds total feature flags 224" });
  assert.deepEqual(listFeatures({}, { cursor: "224" }), { data: [], nextCursor: null });
});
