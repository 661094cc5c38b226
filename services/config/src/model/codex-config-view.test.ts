import assert from "node:assert/strict";
import { test } from "node:test";
import { DECLARED_CONFIG_KEYS } from "@switchyard/protocol";
import { codexConfigView } from "./codex-config-view.js";

// Codex 0.171.0 no longer writes `profiles` (config/batchWrite refuses them), so the interop suite
// cannot set one on the binary through the protocol; these expectations are the binary's answer for
// the same config.toml tables, recorded by hand.
test("a profile is shown with every field; its features without defaults, its analytics as a struct", () => {
  const view = codexConfigView({ profiles: { p: { model: "o3", foo: 1, features: { memories: true }, analytics: {} } } });
  const profile = (view.profiles as { p: Record<string, unknown> }).p;
  assert.equal(profile.model, "o3");
  assert.equal(profile.foo, undefined);
  assert.equal(profile.personality, null);
  assert.deepEqual(profile.features, { network_proxy: null, memories: true });
  assert.deepEqual(profile.analytics, { enabled: null });
  assert.equal(profile.tui, null);
  assert.equal(Object.keys(profile).length, 30);
});

test("the declared keys come first, in the schema's order, and Switchyard's own keys last", () => {
  const view = codexConfigView({ debug: { config_lockfile: { export_dir: "/locks" } }, model: "m" });
  const keys = Object.keys(view);
  assert.deepEqual(keys.slice(0, DECLARED_CONFIG_KEYS.length), [...DECLARED_CONFIG_KEYS]);
  assert.equal(keys.at(-1), "debug");
  assert.equal(view.model, "m");
});

test("an MCP server keeps what it sets and gets the fields every server has", () => {
  const view = codexConfigView({
    mcp_servers: { s: { command: "echo", env: { A: "1" } }, h: { url: "http://x", enabled: false } },
  });
  assert.deepEqual(view.mcp_servers, {
    s: { command: "echo", env: { A: "1" }, args: [], environment_id: "local", enabled: true, tool_timeout_sec: null },
    h: { url: "http://x", environment_id: "local", enabled: false, tool_timeout_sec: null },
  });
});

test("defaults are copies: changing one answer leaves the next one alone", () => {
  const first = codexConfigView({});
  (first.history as Record<string, unknown>).max_bytes = 1;
  assert.deepEqual(codexConfigView({}).history, { persistence: "save-all", max_bytes: null });
});
