import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { type ConfigLayer, type LayerSource, mergeTables, precedenceOf, resolveLayers, valueAtPath } from "./layers.js";

const packaged: LayerSource = { type: "packagedDefaults", file: "/opt/switchyard/defaults.toml" };
const system: LayerSource = { type: "system", file: "/etc/codex/config.toml" };
const managed: LayerSource = { type: "enterpriseManaged", id: "tenant-policy", name: "Tenant policy" };
const user: LayerSource = { type: "user", file: "/tenants/t1/users/u1/config.toml", profile: null };
const userProfile: LayerSource = { type: "user", file: "/tenants/t1/users/u1/work.config.toml", profile: "work" };
const rootProject: LayerSource = { type: "project", dotCodexFolder: "/repo/.codex" };
const nestedProject: LayerSource = { type: "project", dotCodexFolder: "/repo/pkg/app/.codex" };
const session: LayerSource = { type: "sessionFlags" };
const legacy: LayerSource = { type: "legacyManagedConfigTomlFromFile", file: "/etc/codex/managed_config.toml" };

test("precedence values are Codex's", () => {
  assert.deepEqual(
    [packaged, system, managed, user, userProfile, rootProject, session, legacy].map(precedenceOf),
    [-10, 10, 15, 20, 21, 25, 30, 40],
  );
});

test("tables merge recursively while scalars and arrays replace, without touching the inputs", () => {
  const base = { model: "a", tui: { theme: "dark", animations: true }, notify: ["x", "y"], deep: { a: { b: 1, c: 2 } } };
  const overlay = { tui: { theme: "light" }, notify: ["z"], deep: { a: { c: 3 } }, extra: 1 };
  const baseCopy = structuredClone(base);
  const overlayCopy = structuredClone(overlay);

  const merged = mergeTables(base, overlay);

  assert.deepEqual(merged, {
    model: "a",
    tui: { theme: "light", animations: true },
    notify: ["z"],
    deep: { a: { b: 1, c: 3 } },
    extra: 1,
  });
  assert.deepEqual(base, baseCopy);
  assert.deepEqual(overlay, overlayCopy);
  (merged.tui as Record<string, unknown>).theme = "changed";
  assert.equal(overlay.tui.theme, "light", "the result shares no tables with the inputs");
});

test("a table replaces a scalar and a scalar replaces a table", () => {
  assert.deepEqual(mergeTables({ a: 1 }, { a: { b: 2 } }), { a: { b: 2 } });
  assert.deepEqual(mergeTables({ a: { b: 2 } }, { a: 1 }), { a: 1 });
});

test("a __proto__ key is data, not a prototype", () => {
  const overlay = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  const merged = mergeTables({}, overlay);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(merged), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
});

test("layers resolve in precedence order whatever order they arrive in", () => {
  const layers: ConfigLayer[] = [
    { name: session, config: { model: "session" } },
    { name: packaged, config: { model: "packaged", model_provider: "openai" } },
    { name: user, config: { model: "user", approval_policy: "on-request" } },
    { name: system, config: { model: "system", approval_policy: "never", sandbox_mode: "read-only" } },
  ];
  const forward = resolveLayers(layers);
  const backward = resolveLayers([...layers].reverse());

  assert.deepEqual(forward.config, {
    model: "session",
    model_provider: "openai",
    approval_policy: "on-request",
    sandbox_mode: "read-only",
  });
  assert.deepEqual(backward, forward);
  assert.deepEqual(
    forward.layers.map((layer) => layer.name.type),
    ["sessionFlags", "user", "system", "packagedDefaults"],
  );
});

test("a layer's version is sha256 of its sorted compact JSON; an empty layer hashes {}", () => {
  const { layers } = resolveLayers([
    { name: system, config: {} },
    { name: user, config: { b: 1, a: { d: true, c: "x" } } },
  ]);
  const hex = (text: string) => createHash("sha256").update(text).digest("hex");
  assert.equal(layers[1]?.version, `sha256:${hex("{}")}`);
  assert.equal(layers[1]?.version, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  assert.equal(layers[0]?.version, `sha256:${hex('{"a":{"c":"x","d":true},"b":1}')}`);
});

test("a disabled layer is listed with its reason but neither merged nor an origin", () => {
  const reason = "To load project-local config, hooks, and exec policies, add /repo as a trusted project in /u/config.toml.";
  const effective = resolveLayers([
    { name: user, config: { model: "user" } },
    { name: rootProject, config: { model: "project", sandbox_mode: "danger-full-access" }, disabledReason: reason },
  ]);
  assert.deepEqual(effective.config, { model: "user" });
  assert.equal(effective.layers[0]?.name.type, "project");
  assert.equal(effective.layers[0]?.disabledReason, reason);
  assert.deepEqual(effective.layers[0]?.config, { model: "project", sandbox_mode: "danger-full-access" });
  assert.equal(effective.layers[1]?.disabledReason, null);
  assert.deepEqual(effective.origins.model?.name, user);
  assert.equal(effective.origins.sandbox_mode, undefined);
});

test("origins name the layer behind each leaf, spelled as Codex spells the paths", () => {
  const effective = resolveLayers([
    { name: system, config: { tui: { theme: "dark", animations: true }, notify: ["a", "b", "c"] } },
    {
      name: user,
      config: {
        tui: { theme: "light" },
        notify: ["z"],
        projects: { "/work/a.b": { trust_level: "trusted" } },
        skills: { config: [{ path: "/s/SKILL.md", enabled: false }] },
        empty_table: {},
        empty_list: [],
      },
    },
  ]);
  const userVersion = effective.layers[0]?.version;
  const systemVersion = effective.layers[1]?.version;

  assert.deepEqual(Object.keys(effective.origins).sort(), [
    "notify.0",
    "projects./work/a.b.trust_level",
    "skills.config.0.enabled",
    "skills.config.0.path",
    "tui.animations",
    "tui.theme",
  ]);
  assert.deepEqual(effective.origins["tui.theme"], { name: user, version: userVersion });
  assert.deepEqual(effective.origins["tui.animations"], { name: system, version: systemVersion });
  assert.deepEqual(effective.origins["notify.0"], { name: user, version: userVersion }, "arrays come whole from one layer");
});

test("a leaf hidden by a higher scalar has no origin", () => {
  const effective = resolveLayers([
    { name: system, config: { history: { persistence: "none", max_bytes: 10 } } },
    { name: user, config: { history: "off" } },
  ]);
  assert.deepEqual(Object.keys(effective.origins), ["history"]);
  assert.equal(effective.origins.history?.name, user);
});

test("nested project layers sit above the root project layer whatever the input order", () => {
  const effective = resolveLayers([
    { name: nestedProject, config: { model: "nested" } },
    { name: session, config: { service_tier: "flex" } },
    { name: rootProject, config: { model: "root", model_reasoning_effort: "high" } },
    { name: userProfile, config: { model: "profile" } },
    { name: user, config: { model: "user" } },
  ]);
  assert.deepEqual(
    effective.layers.map((layer) => (layer.name.type === "project" ? layer.name.dotCodexFolder : layer.name.type)),
    ["sessionFlags", "/repo/pkg/app/.codex", "/repo/.codex", "user", "user"],
  );
  assert.equal(effective.layers[3]?.name, userProfile, "the profile layer outranks the base user layer");
  assert.equal(effective.config.model, "nested");
  assert.equal(effective.origins.model_reasoning_effort?.name, rootProject);
});

test("valueAtPath walks tables by key and arrays by index", () => {
  const config = { a: { list: [{ b: 1 }, { b: 2 }] } };
  assert.equal(valueAtPath(config, ["a", "list", "1", "b"]), 2);
  assert.equal(valueAtPath(config, ["a", "list", "x"]), undefined);
  assert.equal(valueAtPath(config, ["a", "missing", "b"]), undefined);
  assert.equal(valueAtPath(config, ["toString"]), undefined, "inherited properties are not config");
});
