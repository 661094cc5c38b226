// config/read's `config` against the real `codex app-server` 0.171.0: the same config/batchWrite sent
// to both sides, then the same config/read. Codex answers its whole `ConfigToml` struct — every key it
// knows, unset ones as null or their defaults, each table it reads as a struct field by field, keys
// it does not know dropped — and Switchyard must answer the same (codex-config-view.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexAsUser } from "./harness/beside-codex.js";

/** What both sides are given first, so the keys the binary's own config.toml sets match on both. */
const COMMON = {
  model: "gpt-probe",
  model_provider: "loopback",
  check_for_update_on_startup: false,
  analytics: { enabled: false },
  model_providers: {
    loopback: { name: "loopback", base_url: "http://127.0.0.1:9/v1", wire_api: "responses", requires_openai_auth: false },
  },
};

/**
 * Tables set partly, unknown keys at the top and inside structs, map entries. (Codex no longer writes
 * `profiles`: codex-config-view.test.ts covers a profile's view.)
 */
const TABLES = {
  unknown_top: 1,
  history: { max_bytes: 5, bar: 1 },
  features: { memories: true, foo_unknown: true },
  shell_environment_policy: { inherit: "all" },
  sandbox_workspace_write: { network_access: true },
  tools: { web_search: { context_size: "low" }, view_image: true },
  tui: { notifications: true, effects: { starfield: false } },
  otel: { environment: "probe" },
  windows: { sandbox: "elevated" },
  memories: {},
  agents: { max_depth: 2, max_threads: 3 },
  notice: { hide_full_access_warning: true },
  mcp_servers: {
    stdio: { command: "echo", args: ["a"], env: { A: "1" }, startup_timeout_sec: 5 },
    remote: { url: "http://127.0.0.1:1/mcp", bearer_token_env_var: "TOKEN" },
  },
  model_providers: { ...COMMON.model_providers, extra: { name: "extra", foo: 2 } },
};

/** Providers of every kind modelProvider/list tells apart (how they authenticate, which base URLs it shows). */
const PROVIDERS = {
  Zed: { name: "Zed", base_url: "https://example.com/zed" },
  env: { name: "Env", base_url: "http://127.0.0.1:9/env", env_key: "ENV_KEY" },
  bearer: { name: "Bearer", base_url: "http://127.0.0.1:9/bearer", experimental_bearer_token: "token" },
  both: { name: "Both", base_url: "http://127.0.0.1:9/both", env_key: "BOTH_KEY", experimental_bearer_token: "token" },
  openaiAuth: { name: "OpenAI auth", base_url: "http://127.0.0.1:9/oa", requires_openai_auth: true },
  headers: { name: "Headers", base_url: "https://example.com/h", http_headers: { "X-A": "1" } },
  query: { name: "Query", base_url: "https://example.com/q", query_params: { "api-version": "1" } },
  userinfo: { name: "Userinfo", base_url: "https://user@example.com/v1" },
  urlQuery: { name: "URL query", base_url: "https://example.com/v1?key=1" },
  fragment: { name: "Fragment", base_url: "https://example.com/v1#part" },
  bare: { name: "Bare" },
};

const edits = (config: Record<string, unknown>) =>
  Object.entries(config).map(([keyPath, value]) => ({ keyPath, value, mergeStrategy: "replace" }));

describe("config/read beside codex app-server 0.171.0", () => {
  let side: BesideCodex;

  before(async () => {
    // A user of a tenant: config/batchWrite writes that user's layer.
    side = await besideCodexAsUser("config-read", { tenant: "t-config-read", subject: "ann" });
  });
  after(async () => {
    await side?.stop();
  });

  /** Sends the same batch to both sides (each must take it). */
  async function writeBoth(config: Record<string, unknown>): Promise<void> {
    const batch = { edits: edits(config) };
    const codexWrite = await side.codex.request("config/batchWrite", batch);
    assert.equal(codexWrite.error, undefined, JSON.stringify(codexWrite.error));
    await side.client.call("config/batchWrite", batch);
  }

  /** The same batch to both sides, then config/read's config compared key by key. */
  async function compareAfter(config: Record<string, unknown>): Promise<Record<string, unknown>> {
    await writeBoth(config);
    const codexRead = await side.codex.request("config/read", { includeLayers: false });
    assert.equal(codexRead.error, undefined, JSON.stringify(codexRead.error));
    const ours = await side.client.call("config/read", { includeLayers: false });
    const theirs = codexRead.result.config as Record<string, unknown>;
    for (const key of new Set([...Object.keys(theirs), ...Object.keys(ours.config)])) {
      assert.deepEqual(ours.config[key], theirs[key], `config.${key}`);
    }
    return ours.config;
  }

  test("an unset key is there, as null or Codex's default", async () => {
    const config = await compareAfter(COMMON);
    assert.equal(Object.keys(config).length, 110);
    assert.equal(config.project_doc_max_bytes, 32768);
    assert.deepEqual(config.history, { persistence: "save-all", max_bytes: null });
    assert.equal(config.tui, null);
  });

  test("tables are shown field by field, unknown keys dropped", async () => {
    const config = await compareAfter(TABLES);
    assert.equal(config.unknown_top, undefined);
    assert.deepEqual(config.history, { persistence: "save-all", max_bytes: 5 });
    assert.equal((config.tui as Record<string, unknown>).animations, true);
  });

  test("modelProvider/list and modelProvider/capabilities/read answer as the binary's", async () => {
    // (Not compared with config/read: Switchyard shows a bearer token as ********, where Codex shows it.)
    await writeBoth({ model_providers: { ...COMMON.model_providers, ...PROVIDERS }, model_provider: "env" });
    const codexList = await side.codex.request("modelProvider/list", {});
    const ours = await side.client.call("modelProvider/list", {});
    assert.deepEqual(ours, codexList.result);
    assert.equal(ours.data.length, Object.keys(PROVIDERS).length + 2); // and loopback and the built-in openai
    const codexCapabilities = await side.codex.request("modelProvider/capabilities/read", {});
    assert.deepEqual(await side.client.call("modelProvider/capabilities/read", {}), codexCapabilities.result);
    // A default provider neither side knows: Codex's -32603, in its words.
    await writeBoth({ model_provider: "nowhere" });
    const codexUnknown = await side.codex.request("modelProvider/capabilities/read", {});
    const oursUnknown = await side.client.request("modelProvider/capabilities/read", {});
    assert.deepEqual(
      [oursUnknown.error?.code, oursUnknown.error?.message],
      [codexUnknown.error?.code, codexUnknown.error?.message],
    );
    assert.equal((await side.client.call("modelProvider/list", {})).defaultProviderId, "nowhere");
    // Both refuse a request without params in the same words.
    const codexBare = await side.codex.request("modelProvider/list", undefined);
    const oursBare = await side.client.request("modelProvider/list");
    assert.equal(oursBare.error?.message, codexBare.error?.message);
  });
});
