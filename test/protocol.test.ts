// Every protocol error text a client can provoke, exactly as Codex 0.169.0 words it, and the
// session rules around initialize (specs/codex-wire.md). The connection survives every one.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";

// The expected unknown-variant list comes from the official schema fixture, not from our code, with
// the three v1 methods the binary still lists after account/read though its schema does not
// (test/interop-legacy-methods.test.ts compares the whole text with the binary's).
const schemaMethods = (
  JSON.parse(readFileSync(new URL("./fixtures/codex-app-server-schema-0.171.0/ClientRequest.json", import.meta.url), "utf8")) as {
    oneOf: { properties: { method: { enum: string[] } } }[];
  }
).oneOf.map((variant) => variant.properties.method.enum[0]);
const officialMethods = schemaMethods.flatMap((method) =>
  method === "account/read" ? [method, "getConversationSummary", "gitDiffToRemote", "getAuthStatus"] : [method],
);

// config/read's Config: the properties the official schema declares.
const declaredConfigKeys = Object.keys(
  (
    JSON.parse(
      readFileSync(new URL("./fixtures/codex-app-server-schema-0.171.0/v2/ConfigReadResponse.json", import.meta.url), "utf8"),
    ) as { definitions: { Config: { properties: Record<string, unknown> } } }
  ).definitions.Config.properties,
);

const officialModelFields = Object.keys(
  (
    JSON.parse(
      readFileSync(new URL("./fixtures/codex-app-server-schema-0.171.0/v2/ModelListResponse.json", import.meta.url), "utf8"),
    ) as {
      definitions: { Model: { properties: Record<string, unknown> } };
    }
  ).definitions.Model.properties,
);

describe("protocol errors and session rules", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack("protocol", { gatewayEnv: { GATEWAY_MAX_IN_FLIGHT_PER_CONNECTION: "4" } });
  });
  after(async () => stack?.stop());

  test("requests before initialize get -32600 Not initialized; initialize then works", async () => {
    const client = await CodexTestClient.connect(stack.url);
    const early = await client.request("thread/list", {});
    assert.deepEqual({ code: early.error?.code, message: early.error?.message }, { code: -32600, message: "Not initialized" });
    const init = await client.request("initialize", {
      clientInfo: { name: "codex-tui", title: null, version: "0.169.0" },
      capabilities: null,
    });
    assert.equal(typeof (init.result as { userAgent: string }).userAgent, "string");
    await client.close();
  });

  test("initialize answers the official shape, then remoteControl/status/changed with emittedAtMs", async () => {
    const client = await CodexTestClient.connect(stack.url);
    const init = await client.call("initialize", { clientInfo: { name: "codex-tui", version: "0.169.0" } });
    assert.deepEqual(Object.keys(init).sort(), ["codexHome", "platformFamily", "platformOs", "userAgent"]);
    assert.match(init.userAgent, /\(codex-tui; 0\.169\.0\)/);
    const status = await client.waitForNotification((n) => n.method === "remoteControl/status/changed");
    assert.equal(status.params.status, "disabled");
    assert.ok(Math.abs(status.emittedAtMs - Date.now()) < 60_000);
    await client.close();
  });

  test("a second initialize is -32600 Already initialized", async () => {
    const client = await CodexTestClient.open(stack.url);
    const again = await client.request("initialize", { clientInfo: { name: "x", version: "1" } });
    assert.deepEqual(
      { code: again.error?.code, message: again.error?.message },
      { code: -32600, message: "Already initialized" },
    );
    await client.close();
  });

  test("an invalid clientInfo.name is refused with Codex's text and the session stays uninitialized", async () => {
    const client = await CodexTestClient.connect(stack.url);
    const bad = await client.request("initialize", { clientInfo: { name: "bad\rname", version: "1" } });
    assert.equal(bad.error?.code, -32600);
    assert.equal(bad.error?.message, "Invalid clientInfo.name: 'bad\rname'. Must be a valid HTTP header value.");
    assert.equal(bad.error?.data, undefined);
    const after = await client.request("thread/list", {});
    assert.equal(after.error?.message, "Not initialized");
    await client.close();
  });

  test("an unknown method lists every official method in serde's words", async () => {
    const client = await CodexTestClient.open(stack.url);
    const reply = await client.request("foo/bar", {});
    assert.equal(reply.error?.code, -32600);
    const expected = `Invalid request: unknown variant \`foo/bar\`, expected one of ${officialMethods.map((m) => `\`${m}\``).join(", ")}`;
    assert.equal(reply.error?.message, expected);
    await client.close();
  });

  test("missing params, missing fields and wrong types are reported like serde", async () => {
    const client = await CodexTestClient.open(stack.url);
    const noParams = await client.request("thread/read");
    assert.equal(noParams.error?.message, "Invalid request: missing field `params`");
    const missing = await client.request("thread/read", {});
    assert.equal(missing.error?.message, "Invalid request: missing field `threadId`");
    const wrongType = await client.request("thread/read", { threadId: 42 });
    assert.equal(wrongType.error?.message, "Invalid request: invalid type: integer `42`, expected a string");
    const wrongName = await client.request("thread/name/set", { threadId: "x", name: true });
    assert.equal(wrongName.error?.message, "Invalid request: invalid type: boolean `true`, expected a string");
    for (const reply of [noParams, missing, wrongType, wrongName]) assert.equal(reply.error?.code, -32600);
    // Explicit nulls mean "absent" for optional fields.
    const listed = await client.call("thread/list", { cursor: null, limit: null, sortKey: null, archived: null, cwd: null });
    assert.deepEqual(listed.data, []);
    await client.close();
  });

  test("experimental methods and fields need the experimentalApi capability", async () => {
    const plain = await CodexTestClient.open(stack.url);
    const gated = await plain.request("mock/experimentalMethod", { value: "hi" });
    assert.deepEqual(
      { code: gated.error?.code, message: gated.error?.message },
      { code: -32600, message: "`mock/experimentalMethod` requires experimentalApi capability" },
    );
    const field = await plain.request("thread/start", { mockExperimentalField: "x" });
    assert.equal(field.error?.message, "`thread/start.mockExperimentalField` requires experimentalApi capability");
    const experimental = await CodexTestClient.open(stack.url, { experimentalApi: true });
    assert.deepEqual(await experimental.call("mock/experimentalMethod", { value: "hi" }), { echoed: "hi" });
    const started = await experimental.call("thread/start", { mockExperimentalField: "x" });
    assert.ok(started.thread.id);
    await Promise.all([plain.close(), experimental.close()]);
  });

  test("unknown and malformed thread ids are -32600 in Codex's words", async () => {
    const client = await CodexTestClient.open(stack.url);
    const unknown = "01a1fda8-a1f1-7530-9e46-a580f181f942";
    const read = await client.request("thread/read", { threadId: unknown });
    assert.deepEqual(
      { code: read.error?.code, message: read.error?.message },
      { code: -32600, message: `thread not loaded: ${unknown}` },
    );
    const rename = await client.request("thread/name/set", { threadId: unknown, name: "x" });
    assert.equal(rename.error?.message, `no rollout found for thread id ${unknown}`);
    // Another accepted form names the same thread by its canonical id.
    const braced = await client.request("thread/read", { threadId: `{${unknown.toUpperCase()}}` });
    assert.equal(braced.error?.message, `thread not loaded: ${unknown}`);
    const malformed = "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1";
    for (const method of ["thread/read", "thread/name/set"]) {
      const refused = await client.request(method, { threadId: "not-a-uuid", name: "x" });
      assert.deepEqual(
        { code: refused.error?.code, message: refused.error?.message },
        { code: -32600, message: `invalid thread id: ${malformed}` },
      );
    }
    assert.equal(
      (await client.request("thread/archive", { threadId: "not-a-uuid" })).error?.message,
      `invalid session id: ${malformed}`,
    );
    await client.close();
  });

  test("Codex methods Switchyard does not serve yet get a clear error, not silence", async () => {
    const client = await CodexTestClient.open(stack.url);
    const reply = await client.request("thread/realtime/start", { threadId: "x" });
    assert.equal(reply.error?.code, -32600);
    assert.match(reply.error?.message ?? "", /`thread\/realtime\/start` is not supported/);
    await client.close();
  });

  test("malformed JSON, binary frames and non-RPC values get no reply; the connection survives", async () => {
    const client = await CodexTestClient.open(stack.url);
    client.sendRaw("{not json");
    client.sendRaw("[1,2,3]");
    client.sendRaw(JSON.stringify({ id: { nested: true }, method: "thread/list" }));
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    client.sendRaw(JSON.stringify({ method: "initialized" }));
    const listed = await client.call("thread/list", {});
    assert.deepEqual(listed.data, []);
    assert.equal(client.pendingCount, 0);
    await client.close();
  });

  test("string and integer ids are echoed unchanged; a jsonrpc field is tolerated", async () => {
    const client = await CodexTestClient.open(stack.url);
    const replies: unknown[] = [];
    client.socket.on("message", (data) => replies.push(JSON.parse(data.toString())));
    client.sendRaw(JSON.stringify({ jsonrpc: "2.0", id: "req-α", method: "thread/list", params: {} }));
    client.sendRaw(JSON.stringify({ id: 9007199254740991, method: "thread/list", params: {} }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = replies
      .filter((reply) => typeof reply === "object" && reply !== null && "id" in reply)
      .map((reply) => (reply as { id: unknown }).id)
      .sort();
    assert.deepEqual(ids, [9007199254740991, "req-α"]);
    await client.close();
  });

  test("a full inbound queue answers -32001 Server overloaded; retry later.", async () => {
    const client = await CodexTestClient.open(stack.url);
    const started = await client.call("thread/start", {});
    // The limit is 4 in flight for this gateway; 40 pipelined requests must overflow it.
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        client.request("thread/name/set", { threadId: started.thread.id, name: `n${index}` }),
      ),
    );
    const overloaded = replies.filter((reply) => reply.error?.code === -32001);
    assert.ok(overloaded.length > 0, "some requests were refused");
    assert.equal(overloaded[0]?.error?.message, "Server overloaded; retry later.");
    assert.ok(
      replies.some((reply) => reply.result !== undefined),
      "admitted requests still complete",
    );
    assert.equal(replies.filter((r) => r.error && r.error.code !== -32001).length, 0);
    await client.close();
  });

  test("the official TUI's start-up sequence is answered in the official shapes", async () => {
    const client = await CodexTestClient.open(stack.url, { experimentalApi: true, name: "codex-tui" });
    client.sendRaw(JSON.stringify({ method: "initialized" }));
    // No OpenAI account; the user is the connection's principal (a tokenless loopback client here).
    assert.deepEqual(await client.call("account/read", { refreshToken: false }), {
      account: null,
      requiresOpenaiAuth: false,
      userId: "anonymous",
      workspaceRouting: null,
    });
    // What the TUI also asks at start-up and on resume, answered with honest empty data.
    assert.deepEqual(await client.call("plugin/installed", { cwds: ["/workspace"] }), {
      marketplaces: [],
      marketplaceLoadErrors: [],
    });
    assert.deepEqual(await client.call("account/bedrock/checkGovCloudRequirements", {}), {
      isGovCloud: false,
      shouldWarn: false,
    });
    const { thread } = await client.call("thread/start", {});
    assert.deepEqual(await client.call("thread/backgroundTerminals/list", { threadId: thread.id }), {
      data: [],
      nextCursor: null,
    });
    const models = (await client.call("model/list", { modelProvider: null, cursor: null, limit: null, includeHidden: true }))
      .data;
    assert.deepEqual(
      models.map((model: { model: string; isDefault: boolean }) => [model.model, model.isDefault]),
      [["gpt-5.2", true]],
    );
    // Every field Codex 0.171.0 gives a model, with its answers for what a catalog does not say; the
    // deployment's model offers the priority tier ("Fast"), as Codex's own catalog's models do.
    assert.deepEqual(Object.keys(models[0]).sort(), [...officialModelFields].sort());
    assert.deepEqual(
      [
        models[0].upgradeInfo,
        models[0].multiAgentVersion,
        models[0].additionalSpeedTiers,
        models[0].serviceTiers.map((tier: { id: string }) => tier.id),
        models[0].supportsPersonality,
      ],
      [null, null, ["fast"], ["priority"], false],
    );
    // The config service: packaged defaults (the deployment's model and provider) under the user's
    // (empty) layer, which is where the TUI's writes land.
    const config = await client.call("config/read", { includeLayers: true, cwd: "." });
    // As Codex: every key the schema's Config declares first, null where no layer sets it, then the
    // keys Codex adds (its defaults where no layer sets them; test/interop-config-read.test.ts compares them all).
    assert.deepEqual(
      Object.fromEntries(Object.entries(config.config).slice(0, declaredConfigKeys.length)),
      Object.fromEntries(declaredConfigKeys.map((key) => [key, { model: "gpt-5.2", model_provider: "openai" }[key] ?? null])),
    );
    assert.equal(config.config.project_doc_max_bytes, 32768);
    // Without includeLayers Codex leaves `layers` out (not null).
    const plain = await client.request("config/read", { cwd: "." });
    assert.deepEqual(Object.keys(plain.result as object), ["config", "origins"]);
    assert.deepEqual(
      config.layers.map((layer: { name: { type: string } }) => layer.name.type),
      ["user", "packagedDefaults"],
    );
    assert.match(config.layers[1].version, /^sha256:[0-9a-f]{64}$/);
    assert.equal(config.origins.model.version, config.layers[1].version);
    assert.deepEqual(await client.call("configRequirements/read"), { requirements: null, supportsIndependentSpeedModes: true });
    assert.deepEqual((await client.call("skills/list", { cwds: [], forceReload: false })).data[0].skills, []);
    assert.deepEqual((await client.call("hooks/list", { cwds: [] })).data[0].hooks, []);
    const started = await client.call("thread/start", {
      cwd: null,
      ephemeral: false,
      historyMode: "paginated",
      threadSource: "user",
      dynamicTools: [],
      model: null,
      modelProvider: null,
      approvalPolicy: null,
      sandbox: null,
    });
    const lists = await Promise.all(
      ["a", "b", "c", "d"].map((sectionId) =>
        client.call("thread/list", {
          sectionId,
          useStateDbOnly: true,
          currentAccountOnly: false,
          sourceKinds: ["cli", "appServer"],
          limit: 25,
        }),
      ),
    );
    assert.ok(lists.every((list) => Array.isArray(list.data)));
    const read = await client.call("thread/read", { threadId: started.thread.id, includeTurns: false });
    assert.equal(read.thread.threadSource, "user");
    await client.close();
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
