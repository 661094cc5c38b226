// Tenant secrets and model providers, end to end on a real gateway, NATS, Postgres and Redis:
// orchestrators' secrets sealed in Postgres and never read back, internal/config/modelProvider called
// over the bus as the thread service calls it (the tenant secret, the deployment key for the built-in
// openai provider only, Codex's errors), provider credentials written into config sealed at rest and
// shown as ******** by every read (config/read, sessionConfig/read, lockfiles, the CLI export, the
// thread-config endpoint), packaged default providers, the CLI, and tenant isolation.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { busSubjects, type ResolveModelProviderResponse } from "@switchyard/protocol";
import {
  type BusConnection,
  type BusOutcome,
  connectNats,
  createLogger,
  egressPolicy,
  encodeJson,
  LaneClient,
  newCommandId,
  TenantDb,
} from "@switchyard/runtime";
import { type ConfigAdmin, openConfigAdmin } from "../services/config/src/admin.js";
import { loadConfigAdminEnv } from "../services/config/src/env.js";
import { loadUpstreamThreadConfig } from "../services/config/src/grpc/client.js";
import { secretKeyId } from "../services/config/src/secrets/secret-box.js";
import { ConfigStore } from "../services/config/src/store/config-store.js";
import { CodexTestClient } from "./harness/client.js";
import { runConfigServiceExpectingExit } from "./harness/processes.js";
import { askedUnkeyed } from "./harness/redelivery.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";
import { startUpstreamThreadConfig } from "./harness/upstream-thread-config.js";

/** The tests' upstream endpoints listen on loopback, which a deployment's policy refuses unless allowed. */
const LOOPBACK_ALLOWED = egressPolicy(["private"], ["loopback"]);

const run = promisify(execFile);
const log = createLogger({ service: "config-secrets-test", instanceId: "t", level: "silent" });

const SECRETS_KEY = randomBytes(32).toString("base64");
const DEPLOYMENT_OPENAI_KEY = "sk-deployment-key-never-for-tenant-urls";
const DEFAULT_PROVIDERS = [
  "[model_providers.scripted]",
  'name = "Scripted"',
  'base_url = "http://127.0.0.1:9/v1"',
  "[model_providers.packaged_tok]",
  'name = "Packaged"',
  'base_url = "http://127.0.0.1:9/v1"',
  'experimental_bearer_token = "pkg-token-plaintext"',
].join("\n");

const PLAINTEXTS = [
  "sk-acme-plaintext-123",
  "tok-user-plaintext",
  "hdr-plaintext",
  "tok-session-plaintext",
  "tok-upstream-plaintext",
  "sk-tenant-openai",
  "tok-override-plaintext",
];

describe("tenant secrets and model providers", () => {
  let stack: Stack;
  let admin: ConfigAdmin;
  let bus: BusConnection;
  let lanes: LaneClient;

  const open = async (tenant: string, subject = "user", roles: string[] = []) =>
    CodexTestClient.open(stack.url, { token: await hs256Token({ tenant, sub: subject, roles }), experimentalApi: true });
  const orchestrator = (tenant: string) => open(tenant, "orch", ["orchestrator"]);

  /** An internal method on the config service's unkeyed lane, as a service sends it (ServiceClient). */
  const internal = (method: string, params: unknown, caller: { tenant: string; subject: string }): Promise<BusOutcome> =>
    lanes.request({
      owner: "config",
      key: undefined,
      meta: {
        commandId: newCommandId(),
        method,
        caller: { ...caller, roles: [] },
        deadlineMs: Date.now() + 15_000,
        connection: "config-secrets-test/internal",
        clientVersion: "0.171.0",
      },
      body: encodeJson(params),
      timeoutMs: 15_000,
    });
  /** What thread/start asks the config service for a new thread (its snapshot is what turns resolve from). */
  const startThread = async (caller: { tenant: string; subject: string }, threadId: string, config?: Record<string, unknown>) => {
    const outcome = await internal(
      "internal/config/resolveThread",
      { threadId, cwd: "/work", overrides: { serviceTierGiven: false, config }, clientVersion: "0.171.0" },
      caller,
    );
    assert.ok(outcome.ok, `resolveThread: ${JSON.stringify(outcome)}`);
    return outcome.result as { modelProvider: string };
  };
  const modelProvider = async (caller: { tenant: string; subject: string }, threadId: string, providerId: string) => {
    const outcome = await internal("internal/config/modelProvider", { threadId, providerId }, caller);
    assert.ok(outcome.ok, `modelProvider: ${JSON.stringify(outcome)}`);
    return outcome.result as ResolveModelProviderResponse;
  };
  const modelProviderError = async (caller: { tenant: string; subject: string }, threadId: string, providerId: string) => {
    const outcome = await internal("internal/config/modelProvider", { threadId, providerId }, caller);
    assert.equal(outcome.ok, false, `modelProvider ${providerId} should fail`);
    return (outcome as { error: { code: number; message: string } }).error;
  };
  /** Every row of the config schema, as text: where a plaintext secret must never appear. */
  const rawConfigRows = async () => {
    const tables = [
      "layers",
      "tenant_documents",
      "session_configs",
      "thread_configs",
      "lockfiles",
      "applied_commands",
      "tenant_secrets",
    ];
    const texts = await Promise.all(
      tables.map(async (table) => JSON.stringify((await stack.infra.pool.query(`SELECT * FROM config.${table}`)).rows)),
    );
    return texts.join("\n");
  };
  const assertNoPlaintext = (text: string, where: string) => {
    for (const plaintext of PLAINTEXTS) assert.ok(!text.includes(plaintext), `${where} must not hold ${plaintext}`);
  };

  before(async () => {
    stack = await startStack("config-secrets", {
      threads: 0,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      configEnv: {
        SWITCHYARD_SECRETS_KEY: SECRETS_KEY,
        CONFIG_DEFAULT_MODEL_PROVIDERS: DEFAULT_PROVIDERS,
        CONFIG_OPENAI_API_KEY: DEPLOYMENT_OPENAI_KEY,
      },
    });
    admin = await openConfigAdmin({
      databaseUrl: stack.infra.databaseUrl,
      redisUrl: stack.infra.env.REDIS_URL as string,
      busPrefix: stack.infra.busPrefix,
      deploymentDefault: { model: "gpt-5.2", modelProvider: "openai" },
      grpc: { portBase: stack.grpcPortBase, publicHost: "127.0.0.1" },
      env: loadConfigAdminEnv({ SWITCHYARD_SECRETS_KEY: SECRETS_KEY, CONFIG_DEFAULT_MODEL_PROVIDERS: DEFAULT_PROVIDERS }),
    });
    bus = await connectNats({ url: stack.infra.env.NATS_URL as string, name: "config-secrets-test", log });
    lanes = new LaneClient(bus, busSubjects(stack.infra.busPrefix), `cstest${randomBytes(3).toString("hex")}`, log);
  });
  after(async () => {
    lanes?.stop();
    await bus?.nc.close();
    await admin?.close();
    await stack?.stop();
  });

  test("an orchestrator's secret is sealed in Postgres, listed without its value, and refused to anyone else", async () => {
    const orch = await orchestrator("t-sec");
    const set = await orch.call("switchyard/secret/set", { name: "ACME_KEY", value: "sk-acme-plaintext-123" });
    assert.equal(set.name, "ACME_KEY");
    assert.ok(!Number.isNaN(Date.parse(set.updatedAt)), "updatedAt is a timestamp");
    const rows = await stack.infra.pool.query("SELECT * FROM config.tenant_secrets WHERE tenant = 't-sec'");
    assert.equal(rows.rows.length, 1);
    const row = rows.rows[0] as { name: string; ciphertext: string; key_id: string; updated_by: string };
    assert.match(row.ciphertext, /^v1:[0-9a-f]{12}:/);
    assert.equal(row.ciphertext.split(":")[1], row.key_id);
    assert.equal(row.updated_by, "orch");
    assertNoPlaintext(await rawConfigRows(), "the config schema (secret row and command ledger)");

    const list = await orch.call("switchyard/secret/list", {});
    assert.deepEqual(list.data, [{ name: "ACME_KEY", updatedAt: set.updatedAt }]);
    assert.ok(!JSON.stringify(list).includes("sk-acme"), "never the value");

    // Anyone without the orchestrator role is refused, for every secret method.
    const user = await open("t-sec", "ann");
    for (const [method, params] of [
      ["switchyard/secret/set", { name: "ACME_KEY", value: "overwritten" }],
      ["switchyard/secret/list", {}],
      ["switchyard/secret/delete", { name: "ACME_KEY" }],
    ] as const) {
      const reply = await user.request(method, params);
      assert.equal(reply.error?.code, -32600, method);
      assert.match(reply.error?.message ?? "", /requires the `orchestrator` role/);
    }
    const bad = await orch.request("switchyard/secret/set", { name: "1-BAD", value: "x" });
    assert.equal(bad.error?.code, -32600);
    assert.match(bad.error?.message ?? "", /secret name/);
    const empty = await orch.request("switchyard/secret/set", { name: "EMPTY", value: " " });
    assert.match(empty.error?.message ?? "", /must not be empty/);
    assert.equal((await orch.call("switchyard/secret/list", {})).data.length, 1, "nothing stored by refused writes");
    assertConformant();
  });

  test("a secret write asked twice under one command id is applied once; a late ask never undoes a later write", async () => {
    // What the gateway's ask again looks like to the config service: the same command id twice.
    const caller = { tenant: "t-twice", subject: "orch", roles: ["orchestrator"] };
    const ask = (commandId: string, method: string, params: unknown) =>
      askedUnkeyed(stack, { commandId, method, params, caller });
    await admin.importDocument({
      tenant: "t-twice",
      target: "system",
      text: [
        'model_provider = "twice"',
        "[model_providers.twice]",
        'name = "Twice"',
        'base_url = "http://127.0.0.1:9/v1"',
        'env_key = "TWICE_KEY"',
      ].join("\n"),
    });
    const first = await ask("set-1", "switchyard/secret/set", { name: "TWICE_KEY", value: "tok-first" });
    assert.ok(first.ok, JSON.stringify(first));
    const later = await ask("set-2", "switchyard/secret/set", { name: "TWICE_KEY", value: "tok-later" });
    assert.ok(later.ok, JSON.stringify(later));
    // The first set asked again late (its first ask stalled, say): it answers as it did, and changes nothing.
    assert.deepEqual(await ask("set-1", "switchyard/secret/set", { name: "TWICE_KEY", value: "tok-first" }), first);
    const orch = { tenant: "t-twice", subject: "orch" };
    assert.equal((await startThread(orch, "th-twice")).modelProvider, "twice");
    assert.equal((await modelProvider(orch, "th-twice", "twice")).provider.bearerToken, "tok-later", "the later set stands");
    const answerOf = async (commandId: string) => {
      const outcome = await ask(commandId, "switchyard/secret/delete", { name: "TWICE_KEY" });
      assert.ok(outcome.ok, JSON.stringify(outcome));
      return outcome.result;
    };
    assert.deepEqual(await answerOf("delete-1"), { deleted: true });
    assert.deepEqual(await answerOf("delete-1"), { deleted: true }, "asked again: the same answer");
    assert.deepEqual(await answerOf("delete-2"), { deleted: false }, "a new delete finds nothing");

    // Both runs at once: the first ask stalls inside its transaction while the second commits. The
    // stalled one's ledger row collides; it rolls back whole and answers what the second stored.
    const store = new ConfigStore(new TenantDb(stack.infra.pool));
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = () => {};
    const inApply = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const command = { commandId: "race-1", method: "switchyard/secret/set" };
    const stalled = store.applyOnce("t-twice", command, async () => {
      entered();
      await gate;
      return { run: "stalled" };
    });
    await inApply;
    const second = await store.applyOnce("t-twice", command, async () => ({ run: "second" }));
    release();
    assert.deepEqual(second, { result: { run: "second" }, isReplay: false });
    assert.deepEqual(await stalled, { result: { run: "second" }, isReplay: true });
  });

  test("internal/config/modelProvider maps the thread's provider and uses the tenant secret; Codex's errors when it cannot", async () => {
    const orch = await orchestrator("t-prov");
    await orch.call("switchyard/secret/set", { name: "ACME_KEY", value: "sk-acme-plaintext-123" });
    // The tenant defines the provider (system layer); the user picks it, its reasoning settings and
    // the developer instructions a turn gives the model.
    await admin.importDocument({
      tenant: "t-prov",
      target: "user",
      subject: "ann",
      text: [
        'model_provider = "acme"',
        'model_reasoning_effort = "high"',
        'model_reasoning_summary = "detailed"',
        'developer_instructions = "Answer in haiku."',
      ].join("\n"),
    });
    await admin.importDocument({
      tenant: "t-prov",
      target: "system",
      text: [
        "[model_providers.acme]",
        'name = "Acme"',
        'base_url = "http://127.0.0.1:9/v1/"',
        'env_key = "ACME_KEY"',
        'env_key_instructions = "Get one at acme.example."',
        "request_max_retries = 500",
        "stream_idle_timeout_ms = 1234",
        'query_params = { "api-version" = "2025-01-01" }',
        'http_headers = { "X-Team" = "blue" }',
        'env_http_headers = { "X-Org" = "ACME_ORG" }',
      ].join("\n"),
    });
    const ann = { tenant: "t-prov", subject: "ann" };
    assert.equal((await startThread(ann, "th-acme")).modelProvider, "acme");
    const resolved = await modelProvider(ann, "th-acme", "acme");
    assert.deepEqual(resolved, {
      provider: {
        id: "acme",
        name: "Acme",
        baseUrl: "http://127.0.0.1:9/v1",
        wireApi: "responses",
        queryParams: { "api-version": "2025-01-01" },
        // X-Org's secret is unset: left out, as Codex leaves out a header whose variable is unset.
        headers: { "X-Team": "blue" },
        bearerToken: "sk-acme-plaintext-123",
        requestMaxRetries: 100,
        streamMaxRetries: 5,
        streamIdleTimeoutMs: 1234,
      },
      reasoningEffort: "high",
      reasoningSummary: "detailed",
      developerInstructions: "Answer in haiku.",
      reviewModel: null,
      // No layer sets model_context_window here, and the tenant imported no model catalog: the
      // deployment's default model, which offers the priority tier.
      modelContextWindow: null,
      catalogWindow: null,
      serviceTiers: ["priority"],
    });
    await orch.call("switchyard/secret/set", { name: "ACME_ORG", value: "org-42" });
    assert.deepEqual((await modelProvider(ann, "th-acme", "acme")).provider.headers, { "X-Team": "blue", "X-Org": "org-42" });

    // The secret gone: Codex's missing-variable text, with where to set it and the provider's instructions.
    assert.deepEqual(await orch.call("switchyard/secret/delete", { name: "ACME_KEY" }), { deleted: true });
    assert.deepEqual(await orch.call("switchyard/secret/delete", { name: "ACME_KEY" }), { deleted: false });
    const missing = await modelProviderError(ann, "th-acme", "acme");
    assert.equal(missing.code, -32600);
    assert.equal(
      missing.message,
      "Missing environment variable: `ACME_KEY`. Set it as a tenant secret (switchyard secret set ACME_KEY, or switchyard/secret/set). Get one at acme.example.",
    );
    const unknown = await modelProviderError(ann, "th-acme", "nope");
    assert.equal(unknown.message, "Model provider `nope` not found");

    // A user re-pointing the tenant's provider in their own layer cannot take the tenant's secrets along.
    await orch.call("switchyard/secret/set", { name: "ACME_KEY", value: "sk-acme-plaintext-123" });
    const mallory = await open("t-prov", "mallory");
    await mallory.call("config/value/write", {
      keyPath: "model_providers.acme",
      value: { name: "Acme", base_url: "http://attacker.example/v1" },
      mergeStrategy: "upsert",
    });
    await startThread({ tenant: "t-prov", subject: "mallory" }, "th-mallory");
    const exfiltration = await modelProviderError({ tenant: "t-prov", subject: "mallory" }, "th-mallory", "acme");
    assert.match(exfiltration.message, /cannot use the tenant's secrets \(ACME_KEY, ACME_ORG\)/);
    assert.ok(!exfiltration.message.includes("sk-acme"));
  });

  test("the built-in openai provider: the tenant's OPENAI_API_KEY, else the deployment key, never for another base_url", async () => {
    const bob = { tenant: "t-openai", subject: "bob" };
    await startThread(bob, "th-openai");
    const builtIn = await modelProvider(bob, "th-openai", "openai");
    assert.equal(builtIn.provider.name, "OpenAI");
    assert.equal(builtIn.provider.baseUrl, "https://api.openai.com/v1");
    assert.equal(builtIn.provider.bearerToken, DEPLOYMENT_OPENAI_KEY);
    assert.equal(builtIn.provider.requestMaxRetries, 4);
    assert.equal(builtIn.provider.streamIdleTimeoutMs, 300_000);
    assert.equal(builtIn.reasoningEffort, null);
    const orch = await orchestrator("t-openai");
    await orch.call("switchyard/secret/set", { name: "OPENAI_API_KEY", value: "sk-tenant-openai" });
    assert.equal((await modelProvider(bob, "th-openai", "openai")).provider.bearerToken, "sk-tenant-openai");

    // A tenant that points `openai` elsewhere never gets the deployment's key sent there.
    const eve = await open("t-openai-elsewhere", "eve");
    await eve.call("config/value/write", {
      keyPath: "model_providers.openai",
      value: { name: "Mine", base_url: "http://attacker.example/v1", env_key: "OPENAI_API_KEY" },
      mergeStrategy: "replace",
    });
    await startThread({ tenant: "t-openai-elsewhere", subject: "eve" }, "th-elsewhere");
    const refused = await modelProviderError({ tenant: "t-openai-elsewhere", subject: "eve" }, "th-elsewhere", "openai");
    assert.match(
      refused.message,
      /^Model provider `openai` is defined or changed in a user's or project's own config, so it cannot use the tenant's secrets \(OPENAI_API_KEY\)/,
    );
    assert.ok(!refused.message.includes(DEPLOYMENT_OPENAI_KEY));
  });

  test("a bearer token and an Authorization header written into config are sealed at rest and shown as ********", async () => {
    const ann = await open("t-tok", "ann");
    const provider = {
      name: "Tok",
      base_url: "http://127.0.0.1:9/v1",
      experimental_bearer_token: "tok-user-plaintext",
      http_headers: { Authorization: "Bearer hdr-plaintext", "X-A": "1" },
    };
    const first = await ann.call("config/value/write", {
      keyPath: "model_providers.tok",
      value: provider,
      mergeStrategy: "replace",
    });
    const storedLayer = async () =>
      (await stack.infra.pool.query("SELECT body FROM config.layers WHERE tenant = 't-tok' AND kind = 'user'")).rows[0].body as {
        model_providers: { tok: { experimental_bearer_token: string; http_headers: Record<string, string> } };
      };
    const sealed = (await storedLayer()).model_providers.tok;
    assert.match(sealed.experimental_bearer_token, /^sy-secret:v1:/);
    assert.match(sealed.http_headers.Authorization as string, /^sy-secret:v1:/);
    assert.equal(sealed.http_headers["X-A"], "1");
    assertNoPlaintext(await rawConfigRows(), "the config schema");

    const read = await ann.call("config/read", { includeLayers: true });
    assert.equal(read.config.model_providers.tok.experimental_bearer_token, "********");
    assert.deepEqual(read.config.model_providers.tok.http_headers, { Authorization: "********", "X-A": "1" });
    assertNoPlaintext(JSON.stringify(read), "config/read");
    assert.ok(!JSON.stringify(read).includes("sy-secret:"), "not even the ciphertext is shown");
    const userLayer = read.layers.find((layer: { name: { type: string } }) => layer.name.type === "user");
    assert.equal(userLayer.version, first.version, "the version read is the version written (it covers the sealed body)");

    // An edit elsewhere keeps the ciphertext; writing back what was read changes nothing, not even the version.
    const second = await ann.call("config/value/write", {
      keyPath: "model",
      value: "m2",
      mergeStrategy: "replace",
      expectedVersion: first.version,
    });
    assert.deepEqual((await storedLayer()).model_providers.tok, sealed);
    const roundTrip = await ann.call("config/value/write", {
      keyPath: "model_providers.tok",
      // The user layer as read (config/read's `config` shows every field of a provider, as Codex does, nulls included).
      value: userLayer.config.model_providers.tok,
      mergeStrategy: "replace",
      expectedVersion: second.version,
    });
    assert.equal(roundTrip.version, second.version);
    assert.deepEqual((await storedLayer()).model_providers.tok, sealed);
    // The placeholder where nothing is stored, or a forged sealed value, is refused.
    const placeholder = await ann.request("config/value/write", {
      keyPath: "model_providers.other",
      value: { name: "Other", experimental_bearer_token: "********" },
      mergeStrategy: "replace",
    });
    assert.equal(
      (placeholder.error?.data as { config_write_error_code?: string })?.config_write_error_code,
      "configValidationError",
    );
    const forged = await ann.request("config/value/write", {
      keyPath: "model_providers.tok.experimental_bearer_token",
      value: "sy-secret:v1:000000000000:AAAA:AAAA:AAAA",
      mergeStrategy: "replace",
    });
    assert.match(forged.error?.message ?? "", /reserved/);

    // The operator's export shows the placeholder too.
    const exported = await admin.exportEffective({ tenant: "t-tok", subject: "ann", cwd: null });
    assert.match(exported, /experimental_bearer_token = "\*{8}"/);
    assertNoPlaintext(exported, "config export");

    // A thread using it: the snapshot is sealed, the turn gets the plaintext, the lockfile shows ********.
    await ann.call("config/value/write", { keyPath: "model_provider", value: "tok", mergeStrategy: "replace" });
    const caller = { tenant: "t-tok", subject: "ann" };
    assert.equal((await startThread(caller, "th-tok")).modelProvider, "tok");
    const resolved = await modelProvider(caller, "th-tok", "tok");
    assert.equal(resolved.provider.bearerToken, "tok-user-plaintext");
    assert.deepEqual(resolved.provider.headers, { Authorization: "Bearer hdr-plaintext", "X-A": "1" });
    const lock = await ann.call("switchyard/configLock/export", { threadId: "th-tok" });
    assert.match(lock.lockfile, /experimental_bearer_token = "\*{8}"/);
    assertNoPlaintext(lock.lockfile, "the lockfile");
    // A lockfile saved with a token in it is stored with the placeholder.
    await ann.call("switchyard/configLock/save", {
      path: "/locks/with-token.config.lock.toml",
      lockfile: lock.lockfile.replace('"********"', '"tok-user-plaintext"'),
    });
    assertNoPlaintext(await rawConfigRows(), "the config schema (thread snapshot, lockfiles)");
  });

  test("session config: the token is sealed, redacted on read, used by the thread, and never served over gRPC", async () => {
    const orch = await orchestrator("t-session");
    const config = {
      model_provider: "sess",
      model_providers: {
        sess: { name: "Sess", base_url: "http://127.0.0.1:9/v1", experimental_bearer_token: "tok-session-plaintext" },
      },
    };
    const { version } = await orch.call("switchyard/sessionConfig/set", { threadId: "th-session", config });
    assertNoPlaintext(await rawConfigRows(), "session_configs");
    const read = await orch.call("switchyard/sessionConfig/read", { threadId: "th-session" });
    assert.equal(read.version, version);
    assert.equal(read.config.model_providers.sess.experimental_bearer_token, "********");
    // Setting back what was read keeps the stored token.
    await orch.call("switchyard/sessionConfig/set", { threadId: "th-session", config: read.config });

    const caller = { tenant: "t-session", subject: "ann" };
    assert.equal((await startThread(caller, "th-session")).modelProvider, "sess");
    assert.equal((await modelProvider(caller, "th-session", "sess")).provider.bearerToken, "tok-session-plaintext");
    assertNoPlaintext(await rawConfigRows(), "thread_configs");
    // A token in thread/start's config overrides is sealed in the snapshot too.
    await startThread(caller, "th-override", {
      model_provider: "ov",
      "model_providers.ov": {
        name: "Ov",
        base_url: "http://127.0.0.1:9/v1",
        experimental_bearer_token: "tok-override-plaintext",
      },
    });
    assert.equal((await modelProvider(caller, "th-override", "ov")).provider.bearerToken, "tok-override-plaintext");
    assertNoPlaintext(await rawConfigRows(), "the snapshot of a thread with overrides");

    // The tenant's thread-config listener (unauthenticated) serves the provider without its token.
    const endpoint = await admin.endpointFor("t-session");
    let served: Awaited<ReturnType<typeof loadUpstreamThreadConfig>> | undefined;
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      served = await loadUpstreamThreadConfig(
        endpoint,
        { threadId: "th-session", cwd: null },
        { timeoutMs: 2_000, egress: LOOPBACK_ALLOWED },
      ).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return undefined;
      });
    }
    assert.ok(served?.session, "the listener answers");
    assert.equal(served.session.model_providers?.sess?.base_url, "http://127.0.0.1:9/v1");
    assert.equal(served.session.model_providers?.sess?.experimental_bearer_token, undefined);
  });

  test("a token from an upstream thread-config endpoint is sealed in the thread's snapshot", async () => {
    const upstream = await startUpstreamThreadConfig({
      model_provider: "up",
      model_providers: {
        up: { name: "Up", base_url: "http://127.0.0.1:9/v1", experimental_bearer_token: "tok-upstream-plaintext" },
      },
    });
    try {
      await admin.importDocument({
        tenant: "t-upstream",
        target: "system",
        text: `experimental_thread_config_endpoint = "${upstream.endpoint}"\n`,
      });
      const caller = { tenant: "t-upstream", subject: "ann" };
      assert.equal((await startThread(caller, "th-up")).modelProvider, "up");
      assert.equal((await modelProvider(caller, "th-up", "up")).provider.bearerToken, "tok-upstream-plaintext");
      assertNoPlaintext(await rawConfigRows(), "the snapshot of a thread configured upstream");
    } finally {
      upstream.stop();
    }
  });

  test("packaged default providers (CONFIG_DEFAULT_MODEL_PROVIDERS) are in config/read and can be named", async () => {
    const client = await open("t-packaged", "ann");
    const read = await client.call("config/read", { includeLayers: true });
    const packaged = read.layers.find((layer: { name: { type: string } }) => layer.name.type === "packagedDefaults");
    assert.deepEqual(packaged.config.model_providers.scripted, { name: "Scripted", base_url: "http://127.0.0.1:9/v1" });
    assert.equal(read.config.model_providers.scripted.base_url, "http://127.0.0.1:9/v1");
    assert.equal(read.origins["model_providers.scripted.base_url"].name.type, "packagedDefaults");
    // A deployment's plaintext token is redacted like any other.
    assert.equal(read.config.model_providers.packaged_tok.experimental_bearer_token, "********");
    assert.ok(!JSON.stringify(read).includes("pkg-token-plaintext"));
    await client.call("modelProvider/default/set", { providerId: "scripted" });
    const caller = { tenant: "t-packaged", subject: "ann" };
    assert.equal((await startThread(caller, "th-scripted")).modelProvider, "scripted");
    const scripted = await modelProvider(caller, "th-scripted", "scripted");
    assert.equal(scripted.provider.baseUrl, "http://127.0.0.1:9/v1");
    assert.equal(scripted.provider.bearerToken, null);
    assert.equal((await modelProvider(caller, "th-scripted", "packaged_tok")).provider.bearerToken, "pkg-token-plaintext");
  });

  test("bad settings stop the service at start, naming the variable", async () => {
    const badProviders = await runConfigServiceExpectingExit({
      ...stack.infra.env,
      CONFIG_DEFAULT_MODEL_PROVIDERS: "[model_providers.x\nname = 1",
    });
    assert.notEqual(badProviders.code, 0);
    assert.match(badProviders.output, /CONFIG_DEFAULT_MODEL_PROVIDERS: not a valid \[model_providers\.<id>\] TOML fragment/);
    const badKey = await runConfigServiceExpectingExit({ ...stack.infra.env, SWITCHYARD_SECRETS_KEY: "c2hvcnQ=" });
    assert.notEqual(badKey.code, 0);
    assert.match(badKey.output, /SWITCHYARD_SECRETS_KEY: must be the base64 of exactly 32 random bytes/);
  });

  test("tenant isolation: another tenant can neither list nor use a tenant's secret, even a copied row", async () => {
    const orchA = await orchestrator("t-iso-a");
    await orchA.call("switchyard/secret/set", { name: "SHARED_NAME", value: "sk-acme-plaintext-123" });
    const orchB = await orchestrator("t-iso-b");
    assert.deepEqual((await orchB.call("switchyard/secret/list", {})).data, []);
    const providerToml = '[model_providers.p]\nname = "P"\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "SHARED_NAME"\n';
    await admin.importDocument({ tenant: "t-iso-b", target: "system", text: providerToml });
    const bob = { tenant: "t-iso-b", subject: "bob" };
    await startThread(bob, "th-iso", { model_provider: "p" });
    assert.match((await modelProviderError(bob, "th-iso", "p")).message, /^Missing environment variable: `SHARED_NAME`\./);
    // A row copied between tenants behind the service's back does not open: values are bound to their tenant.
    await stack.infra.pool.query(
      `INSERT INTO config.tenant_secrets (tenant, name, ciphertext, key_id)
       SELECT 't-iso-b', name, ciphertext, key_id FROM config.tenant_secrets WHERE tenant = 't-iso-a' AND name = 'SHARED_NAME'`,
    );
    const copied = await modelProviderError(bob, "th-iso", "p");
    assert.match(copied.message, /tenant secret `SHARED_NAME`: sealed value failed authentication/);
    assert.ok(!copied.message.includes("sk-acme"));
    // Tenant A's own thread still works.
    await admin.importDocument({ tenant: "t-iso-a", target: "system", text: providerToml });
    await startThread({ tenant: "t-iso-a", subject: "ann" }, "th-iso-a", { model_provider: "p" });
    assert.equal(
      (await modelProvider({ tenant: "t-iso-a", subject: "ann" }, "th-iso-a", "p")).provider.bearerToken,
      "sk-acme-plaintext-123",
    );
  });

  test("the CLI sets (from stdin), lists and deletes secrets; rewrap re-seals after a key rotation", async () => {
    const env = { ...process.env, ...stack.infra.env, SWITCHYARD_SECRETS_KEY: SECRETS_KEY };
    const cli = (args: string[], input?: string) =>
      new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
        const child = execFile(
          process.execPath,
          ["--import", "tsx", "packages/cli/src/main.ts", ...args],
          { env },
          (error, stdout, stderr) => (error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr })),
        );
        child.stdin?.end(input ?? "");
      });
    const set = await cli(["secret", "set", "--name", "CLI_KEY", "--tenant", "t-cli"], "sk-from-stdin\n");
    assert.match(set.stdout, /^set secret CLI_KEY of tenant t-cli/);
    const listed = JSON.parse((await cli(["secret", "list", "--tenant", "t-cli", "--json"])).stdout);
    assert.deepEqual(
      listed.data.map((entry: { name: string }) => entry.name),
      ["CLI_KEY"],
    );
    await admin.importDocument({
      tenant: "t-cli",
      target: "system",
      text: '[model_providers.c]\nname = "C"\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "CLI_KEY"\n',
    });
    await startThread({ tenant: "t-cli", subject: "ann" }, "th-cli", { model_provider: "c" });
    assert.equal((await modelProvider({ tenant: "t-cli", subject: "ann" }, "th-cli", "c")).provider.bearerToken, "sk-from-stdin");
    assert.match((await cli(["secret", "delete", "--name", "CLI_KEY", "--tenant", "t-cli"])).stdout, /deleted secret CLI_KEY/);
    await assert.rejects(
      cli(["secret", "set", "--name", "bad-name", "--tenant", "t-cli", "--value", "x"]),
      /invalid secret name/,
    );

    // Rotation: a new key with the old one kept as previous; rewrap re-seals everything with the new key.
    const newKey = randomBytes(32).toString("base64");
    const rotatedEnv = { ...env, SWITCHYARD_SECRETS_KEY: newKey, SWITCHYARD_SECRETS_PREVIOUS_KEYS: SECRETS_KEY };
    const rewrap = await run(process.execPath, ["--import", "tsx", "packages/cli/src/main.ts", "secret", "rewrap"], {
      env: rotatedEnv,
    });
    assert.match(rewrap.stdout, /re-sealed [1-9]\d* tenant secrets and [1-9]\d* secrets inside config/);
    // The row copied between tenants above opens with no key: reported and left alone.
    assert.match(rewrap.stderr, /1 stored value\(s\) open with no configured key/);
    const keyIds = await stack.infra.pool.query("SELECT DISTINCT key_id FROM config.tenant_secrets WHERE tenant <> 't-iso-b'");
    assert.deepEqual(
      keyIds.rows.map((row) => row.key_id),
      [secretKeyId(Buffer.from(newKey, "base64"))],
      "every other tenant secret is sealed with the new key",
    );
    const layer = await stack.infra.pool.query("SELECT body FROM config.layers WHERE tenant = 't-tok' AND kind = 'user'");
    const token = layer.rows[0].body.model_providers.tok.experimental_bearer_token as string;
    assert.equal(token.split(":")[2], secretKeyId(Buffer.from(newKey, "base64")), "and so is a token inside a config layer");
    const again = await run(process.execPath, ["--import", "tsx", "packages/cli/src/main.ts", "secret", "rewrap"], {
      env: rotatedEnv,
    });
    assert.match(again.stdout, /re-sealed 0 tenant secrets and 0 secrets/);
    // The running service (old key only) can no longer open them: rotation needs every instance restarted first.
    assertNoPlaintext(await rawConfigRows(), "the config schema after rewrap");
  });
});
