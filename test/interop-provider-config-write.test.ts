// modelProvider/config/write against the real `codex app-server` 0.171.0: the same writes sent to
// both sides, each answer compared whole (the new provider's id, its summary, or the refusal's code,
// text and config_write_error_code), then modelProvider/list and the providers config/read shows.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexAsUser } from "./harness/beside-codex.js";
import { assertConformant } from "./harness/stack.js";

/** The binary's own config.toml sets these; Switchyard's user is given the same first. */
const COMMON = {
  model_provider: "loopback",
  model_providers: {
    loopback: { name: "loopback", base_url: "http://127.0.0.1:9/v1", wire_api: "responses", requires_openai_auth: false },
  },
};

const write = (settings: Record<string, unknown>) => ({ settings });

describe("modelProvider/config/write beside codex app-server 0.171.0", () => {
  let side: BesideCodex;

  before(async () => {
    side = await besideCodexAsUser("provider-write", { tenant: "t-provider-write", subject: "ann" });
    await side.client.call("config/batchWrite", {
      edits: Object.entries(COMMON).map(([keyPath, value]) => ({ keyPath, value, mergeStrategy: "replace" })),
    });
  });
  after(async () => {
    await side?.stop();
  });

  /** One request to both sides; the answers must be the same, whole. */
  async function same(method: string, params: unknown): Promise<{ result?: any; error?: any }> {
    const theirs = await side.codex.request(method, params);
    const ours = await side.client.request(method, params);
    // Switchyard's errors also carry data.reason (its own field); the rest must match.
    const shape = (reply: { result?: unknown; error?: any }) => {
      if (!reply.error) return { result: reply.result };
      const { reason: _reason, ...data } = reply.error.data ?? {};
      const { data: _data, ...error } = reply.error;
      return { error: Object.keys(data).length > 0 ? { ...error, data } : error };
    };
    assert.deepEqual(shape(ours), shape(theirs), `${method} ${JSON.stringify(params)}`);
    return ours;
  }

  test("a custom gateway is created under an id made from its name, and edited field by field", async () => {
    const created = await same(
      "modelProvider/config/write",
      write({ type: "customGateway", name: "  My GW  ", baseUrl: " https://gw.example.com/v1 ", envKey: " GW_KEY " }),
    );
    assert.equal(created.result.provider.id, "my-gw");
    assert.deepEqual(created.result.provider.settings, {
      type: "customGateway",
      auth: { mode: "environmentVariable", envKey: "GW_KEY" },
    });
    // The same name again, names that slug to built-in or configured ids, and names with nothing to slug.
    for (const name of [
      "My GW",
      "Ünïcode Gate!! 2",
      "!!!",
      "openai",
      "OPENAI",
      "gcp",
      "ollama",
      "Loopback",
      "x.y_z",
      "Amazon Bedrock Mantle",
      "lmstudio",
      "oss",
    ]) {
      await same("modelProvider/config/write", write({ type: "customGateway", name, baseUrl: "https://x.example/v1" }));
    }
    await same("modelProvider/config/write", write({ type: "customGateway", providerId: "my-gw", name: "Renamed" }));
    const cleared = await same("modelProvider/config/write", write({ type: "customGateway", providerId: "my-gw", envKey: null }));
    assert.deepEqual(cleared.result.provider.settings.auth, { mode: "none" });
    await same(
      "modelProvider/config/write",
      write({ type: "customGateway", providerId: "loopback", baseUrl: null, name: " spaced " }),
    );
    await same("modelProvider/config/write", write({ type: "customGateway", providerId: "loopback", envKey: "K2" }));
    await same("modelProvider/list", {});
  });

  test("refusals: names, base URLs, env keys, ids, in Codex's words and codes", async () => {
    const refusals = [
      { type: "customGateway" },
      { type: "customGateway", name: "   ", baseUrl: "https://x.example/v1" },
      { type: "customGateway", name: "OpenAI", baseUrl: "https://x.example/v1" },
      { type: "customGateway", name: " Google Cloud Vertex AI ", baseUrl: "https://x.example/v1" },
      { type: "customGateway", name: "Amazon Bedrock", baseUrl: "https://x.example/v1" },
      { type: "customGateway", name: "no url" },
      { type: "customGateway", name: "a", baseUrl: "not a url" },
      { type: "customGateway", name: "a", baseUrl: "ftp://x.example/v1" },
      { type: "customGateway", name: "a", baseUrl: "https://u:p@x.example/v1" },
      { type: "customGateway", name: "a", baseUrl: "https://x.example/v1?" },
      { type: "customGateway", name: "a", baseUrl: "https://x.example/v1#f" },
      { type: "customGateway", name: "a", baseUrl: "" },
      { type: "customGateway", name: "e", envKey: "bad key" },
      { type: "customGateway", name: "e", envKey: "9K", baseUrl: "https://x.example/v1" },
      { type: "customGateway", name: "e", envKey: "bad key", baseUrl: "nope" },
      { type: "customGateway", providerId: "nope" },
      { type: "customGateway", providerId: "nope", name: "OpenAI", baseUrl: "bad" },
      { type: "customGateway", providerId: "openai", baseUrl: "bad" },
      { type: "customGateway", providerId: "openai", name: "x" },
      { type: "customGateway", providerId: "amazon-bedrock", name: "x" },
      { type: "customGateway", providerId: "loopback", name: "" },
      { type: "customGateway", providerId: "loopback", baseUrl: "bad" },
      { type: "bedrock", providerId: "amazon-bedrock", region: "  " },
      { type: "gcp", providerId: "gcp", credentialFile: "relative/creds.json" },
      { type: "gcp", providerId: "gcp", projectId: "" },
    ];
    for (const settings of refusals) {
      const answer = await same("modelProvider/config/write", write(settings));
      assert.equal(answer.error?.code, -32600, JSON.stringify(settings));
    }
    // Malformed params, refused as serde refuses them.
    for (const params of [
      {},
      { settings: "x" },
      { settings: {} },
      { settings: { type: "other" } },
      { settings: { type: "customGateway", name: "x", extra: 1 } },
      { settings: { type: "customGateway", name: 1 } },
      { settings: { type: "bedrock" } },
      { settings: { type: "bedrock", providerId: "gcp" } },
      { settings: { type: "bedrock", providerId: "amazon-bedrock", x: 1 } },
      { settings: { type: "gcp", providerId: "gcp", x: 1 } },
      { settings: { type: "customGateway", name: "n", baseUrl: "https://x.example/v1" }, extra: 1 },
    ]) {
      await same("modelProvider/config/write", params);
    }
  });

  test("gateway OAuth: the default provider does not use it, so nothing to sign in to or cancel", async () => {
    for (const [method, params] of [
      ["account/gatewayOAuth/read", undefined],
      ["account/gatewayOAuth/read", {}],
      ["account/gatewayOAuth/read", { providerId: "openai" }],
      ["account/gatewayOAuth/login", undefined],
      ["account/gatewayOAuth/login", { deviceAuth: true }],
      ["account/gatewayOAuth/cancel", undefined],
      ["account/gatewayOAuth/cancel", { x: 1 }],
    ] as const) {
      await same(method, params);
    }
    const read = await same("account/gatewayOAuth/read", {});
    assert.deepEqual(read.result, {
      providerId: "loopback",
      providerName: "spaced", // renamed by the first test
      required: false,
      supportsDeviceAuth: false,
      status: null,
      error: null,
    });
    assertConformant();
  });

  test("Bedrock and Vertex AI settings are kept per field and cleared with null", async () => {
    await same("modelProvider/config/write", write({ type: "bedrock", providerId: "amazon-bedrock", region: " eu-west-1 " }));
    await same("modelProvider/config/write", write({ type: "bedrock", providerId: "amazon-bedrock", profile: "p" }));
    const cleared = await same(
      "modelProvider/config/write",
      write({ type: "bedrock", providerId: "amazon-bedrock", region: null }),
    );
    assert.deepEqual(cleared.result.provider.settings, { type: "bedrock", profile: "p", region: null });
    await same("modelProvider/config/write", write({ type: "bedrock", providerId: "amazon-bedrock-runtime" }));
    await same(
      "modelProvider/config/write",
      write({ type: "gcp", providerId: "gcp", projectId: " proj ", location: "us-central1", credentialFile: "/x/creds.json" }),
    );
    await same("modelProvider/config/write", write({ type: "gcp", providerId: "gcp", projectId: null, location: null }));
    const list = await same("modelProvider/list", {});
    assert.ok(list.result.data.some((provider: { id: string }) => provider.id === "gcp"));
    assert.ok(!list.result.data.some((provider: { id: string }) => provider.id === "amazon-bedrock-runtime"));
    // Every field cleared: the (empty) table stays, and the provider with it, as in Codex.
    await same("modelProvider/config/write", write({ type: "gcp", providerId: "gcp", credentialFile: null }));
    await same("modelProvider/config/write", write({ type: "bedrock", providerId: "amazon-bedrock", profile: null }));
    const emptied = await same("modelProvider/list", {});
    assert.ok(emptied.result.data.some((provider: { id: string }) => provider.id === "gcp"));
    // config/read shows every provider as the binary shows it (its struct, field by field).
    const theirs = await side.codex.request("config/read", { includeLayers: false });
    const ours = await side.client.call("config/read", { includeLayers: false });
    assert.deepEqual(ours.config.model_providers, theirs.result.config.model_providers);
  });
});
