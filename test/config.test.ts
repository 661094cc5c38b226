// The config service end to end, through a real gateway, NATS, Postgres and Redis: layer
// precedence and merge with origins, trust gating, every write error, requirements (on writes and
// at thread start), session config for orchestrators (precedence and tenancy), the upstream
// thread-config endpoint consumed over gRPC, lockfiles, the CLI, and reads with Redis gone.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { status as grpcStatus, Server, ServerCredentials } from "@grpc/grpc-js";
import type { ConfigAdmin } from "../services/config/src/admin.js";
import { threadConfigLoaderService } from "../services/config/src/grpc/proto.js";
import { loadResponseFor } from "../services/config/src/grpc/server.js";
import { MCP_NOT_STARTED } from "../services/config/src/handlers/mcp-handlers.js";
import { LAYERS_FOR_SQL } from "../services/config/src/store/config-store.js";
import { CodexTestClient, recordSomething } from "./harness/client.js";
import { sampleValue, scrape } from "./harness/metrics.js";
import { startConfigService } from "./harness/processes.js";
import { deliveredTwice } from "./harness/redelivery.js";
import { rowsReadInTransaction, serviceSession } from "./harness/service-session.js";
import { assertConformant, openStackConfigAdmin, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const run = promisify(execFile);

describe("config service", () => {
  let stack: Stack;
  let admin: ConfigAdmin;
  const open = async (tenant: string, subject = "user", roles: string[] = []) =>
    CodexTestClient.open(stack.url, { token: await hs256Token({ tenant, sub: subject, roles }), experimentalApi: true });
  const importLayer = (tenant: string, layer: Parameters<ConfigAdmin["importDocument"]>[0]["target"], text: string, extra = {}) =>
    admin.importDocument({ tenant, target: layer, text, ...extra });
  const writeError = async (client: CodexTestClient, method: string, params: unknown) => {
    const reply = await client.request(method, params);
    assert.ok(reply.error, `${method} should fail`);
    assert.equal(reply.error.code, -32600);
    return reply.error as { code: number; message: string; data: { config_write_error_code?: string; reason: string } };
  };

  before(async () => {
    // Two config instances: reads and writes land on either, each with its own in-process cache.
    stack = await startStack("config", { configs: 2, gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
    admin = await openStackConfigAdmin(stack);
  });
  after(async () => {
    await admin?.close();
    await stack?.stop();
  });

  test("layers merge by precedence (tables recursively, scalars and arrays replace) with per-leaf origins", async () => {
    await importLayer(
      "t-layers",
      "system",
      'model = "sys-model"\napproval_policy = "on-request"\n[tools]\nweb_search = { allowed_domains = ["a.example"] }\n',
    );
    await importLayer("t-layers", "user", 'model = "user-model"\n[tools.web_search]\ncontext_size = "high"\n', {
      subject: "ann",
    });
    const client = await open("t-layers", "ann");
    const read = await client.call("config/read", { includeLayers: true });
    assert.equal(read.config.model, "user-model");
    assert.equal(read.config.approval_policy, "on-request");
    // tools.web_search merged from two layers: both leaves kept, each with its own origin.
    assert.deepEqual(read.config.tools.web_search.allowed_domains, ["a.example"]);
    assert.equal(read.config.tools.web_search.context_size, "high");
    assert.equal(read.origins.model.name.type, "user");
    assert.equal(read.origins.approval_policy.name.type, "system");
    // Arrays are not leaves: each element has its origin (as Codex reports them).
    assert.equal(read.origins["tools.web_search.allowed_domains.0"].name.type, "system");
    assert.equal(read.origins["tools.web_search.context_size"].name.type, "user");
    // Layers highest precedence first, each versioned as sha256 of its sorted compact JSON.
    const types = read.layers.map((layer: { name: { type: string } }) => layer.name.type);
    assert.deepEqual(types, ["user", "system", "packagedDefaults"]);
    for (const layer of read.layers) assert.match(layer.version, /^sha256:[0-9a-f]{64}$/);
    assert.equal(read.origins.model.version, read.layers[0].version);
    // Another user of the tenant sees the system layer, not ann's.
    const other = await (await open("t-layers", "bob")).call("config/read", {});
    assert.equal(other.config.model, "sys-model");
    // Another tenant sees neither.
    const stranger = await (await open("t-layers-other", "ann")).call("config/read", {});
    assert.equal(stranger.config.model, "gpt-5.2");
    assertConformant();
  });

  test("a config read reads its user's layer by key however many users its tenant has", async () => {
    // The statement as the store prepares it, as the service's role, with a generic plan made while
    // the tenant had one layer and the table no statistics; then the tenant grows.
    const tenant = "t-layers-scale";
    await importLayer(tenant, "user", 'model = "mine"\n', { subject: "ann" });
    const client = await serviceSession(stack.infra.databaseUrl, tenant, { isGenericPlan: true });
    try {
      const read = () => client.query({ name: "layers-scale", text: LAYERS_FOR_SQL, values: [tenant, "ann", ["/", "/work"]] });
      assert.equal((await read()).rows.length, 1);
      await stack.infra.pool.query(
        `INSERT INTO config.layers (tenant, kind, scope, body, version)
         SELECT $1, 'user', 'user-' || n, '{}', 'v' FROM generate_series(1, 3000) AS n`,
        [tenant],
      );
      await client.query("BEGIN");
      assert.deepEqual(
        (await read()).rows.map((row) => [row.kind, row.scope]),
        [["user", "ann"]],
      );
      const reads = await rowsReadInTransaction(client, "config", "layers");
      await client.query("COMMIT");
      assert.equal(reads.scanned, 0, "no scan of the table");
      assert.ok(reads.fetchedByIndex <= 10, `whole-key lookups, not the tenant's 3,001 layers: ${reads.fetchedByIndex}`);
    } finally {
      await client.end();
    }
  });

  test("project layers apply at or below their path, and only when trusted", async () => {
    await importLayer("t-trust", "project", 'model = "project-model"\n', { project: "/work/repo" });
    const client = await open("t-trust", "ann");
    const untrusted = await client.call("config/read", { includeLayers: true, cwd: "/work/repo/src" });
    const project = untrusted.layers.find((layer: { name: { type: string } }) => layer.name.type === "project");
    assert.ok(project, "the untrusted project layer is listed");
    assert.equal(project.name.dotCodexFolder, "/work/repo/.codex");
    assert.ok(project.disabledReason, "with the reason it is disabled");
    assert.notEqual(untrusted.config.model, "project-model");
    // Trust is the user's: projects."<path>".trust_level.
    await client.call("config/value/write", {
      keyPath: 'projects."/work/repo".trust_level',
      value: "trusted",
      mergeStrategy: "replace",
    });
    const trusted = await client.call("config/read", { includeLayers: true, cwd: "/work/repo/src" });
    assert.equal(trusted.config.model, "project-model");
    assert.equal(trusted.origins.model.name.type, "project");
    // Outside the project, no project layer.
    const elsewhere = await client.call("config/read", { includeLayers: true, cwd: "/work/other" });
    assert.equal(
      elsewhere.layers.some((layer: { name: { type: string } }) => layer.name.type === "project"),
      false,
    );
  });

  test("writes: dotted and quoted paths, upsert and replace, null clears, versions, okOverridden", async () => {
    const client = await open("t-writes", "ann");
    const first = await client.call("config/value/write", { keyPath: "model", value: "m1", mergeStrategy: "replace" });
    assert.equal(first.status, "ok");
    assert.match(first.filePath, /config\.toml$/);
    const read = await client.call("config/read", { includeLayers: true });
    assert.equal(read.config.model, "m1");
    const userLayer = read.layers.find((layer: { name: { type: string } }) => layer.name.type === "user");
    assert.equal(userLayer.version, first.version);

    await client.call("config/batchWrite", {
      edits: [
        { keyPath: "model_providers.acme", value: { name: "Acme", base_url: "http://127.0.0.1:9/v1" }, mergeStrategy: "replace" },
        { keyPath: "model_providers.acme.requires_openai_auth", value: false, mergeStrategy: "upsert" },
        { keyPath: 'projects."/a.b/c".trust_level', value: "trusted", mergeStrategy: "replace" },
      ],
      expectedVersion: first.version,
    });
    const after = await client.call("config/read", { includeLayers: true });
    const written = after.layers.find((layer: { name: { type: string } }) => layer.name.type === "user");
    assert.deepEqual(written.config.model_providers.acme, {
      name: "Acme",
      base_url: "http://127.0.0.1:9/v1",
      requires_openai_auth: false,
    });
    // The effective config shows the provider as Codex does: every field, unset ones null or defaulted.
    assert.equal(after.config.model_providers.acme.base_url, "http://127.0.0.1:9/v1");
    assert.equal(after.config.model_providers.acme.wire_api, "responses");
    assert.equal(after.config.model_providers.acme.env_key, null);
    assert.equal(after.config.projects["/a.b/c"].trust_level, "trusted");
    // A stale expectedVersion is a conflict, and nothing is saved.
    const conflict = await writeError(client, "config/value/write", {
      keyPath: "model",
      value: "m2",
      mergeStrategy: "replace",
      expectedVersion: first.version,
    });
    assert.equal(conflict.data.config_write_error_code, "configVersionConflict");
    assert.equal((await client.call("config/read", {})).config.model, "m1");
    // null clears.
    await client.call("config/value/write", { keyPath: "model", value: null, mergeStrategy: "replace" });
    assert.equal((await client.call("config/read", {})).config.model, "gpt-5.2");

    // A managed layer above the user's wins: the write is saved but reported overridden.
    await importLayer("t-writes", "legacy-managed", 'model_reasoning_effort = "low"\n');
    const overridden = await client.call("config/value/write", {
      keyPath: "model_reasoning_effort",
      value: "high",
      mergeStrategy: "replace",
    });
    assert.equal(overridden.status, "okOverridden");
    assert.equal(overridden.overriddenMetadata.effectiveValue, "low");
    assert.equal(overridden.overriddenMetadata.overridingLayer.name.type, "legacyManagedConfigTomlFromFile");
    assertConformant();
  });

  test("a read after a write sees it, on either instance, pipelined or from another connection", async () => {
    const writer = await open("t-fresh", "ann");
    const reader = await open("t-fresh", "ann");
    for (let index = 0; index < 20; index++) {
      // Pipelined on one connection: the shared read is queued behind the exclusive write.
      const write = writer.request("config/value/write", { keyPath: "model", value: `m-${index}`, mergeStrategy: "replace" });
      const read = writer.request("config/read", {});
      assert.equal((await write).error, undefined);
      assert.equal(((await read).result as { config: { model: string } }).config.model, `m-${index}`);
      // Another connection, after the write was answered: whichever instance serves it, never stale.
      assert.equal((await reader.call("config/read", {})).config.model, `m-${index}`);
    }
  });

  test("every write error has Codex's config_write_error_code, and nothing is saved", async () => {
    const client = await open("t-errors", "ann");
    await client.call("config/value/write", { keyPath: "model", value: "kept", mergeStrategy: "replace" });
    const before = await client.call("config/read", { includeLayers: true });
    const cases: [string, unknown, string][] = [
      [
        "config/value/write",
        { keyPath: "model", value: "x", mergeStrategy: "replace", filePath: "/etc/codex/config.toml" },
        "configLayerReadonly",
      ],
      [
        "config/value/write",
        { keyPath: "approval_policy", value: "sometimes", mergeStrategy: "replace" },
        "configValidationError",
      ],
      ["config/value/write", { keyPath: "model", value: 7, mergeStrategy: "replace" }, "configValidationError"],
      ["config/value/write", { keyPath: "model.inner", value: 1, mergeStrategy: "replace" }, "configValidationError"],
      ["config/value/write", { keyPath: "model.inner", value: null, mergeStrategy: "replace" }, "configPathNotFound"],
      ["config/value/write", { keyPath: "profiles.work.model", value: "x", mergeStrategy: "replace" }, "configValidationError"],
      [
        "config/batchWrite",
        {
          edits: [
            { keyPath: "model", value: "fine", mergeStrategy: "replace" },
            { keyPath: "sandbox_mode", value: "nope", mergeStrategy: "replace" },
          ],
        },
        "configValidationError",
      ],
      [
        "config/value/write",
        { keyPath: "model", value: "x", mergeStrategy: "replace", expectedVersion: "sha256:0" },
        "configVersionConflict",
      ],
    ];
    for (const [method, params, code] of cases) {
      const error = await writeError(client, method, params);
      assert.equal(error.data.config_write_error_code, code, `${JSON.stringify(params)} → ${error.message}`);
      assert.ok(error.message.length > 0);
    }
    // Requirements: a value they do not allow is refused as configRequirementReadonly.
    await importLayer("t-errors", "requirements", 'allowed_sandbox_modes = ["read-only", "workspace-write"]\n');
    const required = await writeError(client, "config/value/write", {
      keyPath: "sandbox_mode",
      value: "danger-full-access",
      mergeStrategy: "replace",
    });
    assert.equal(required.data.config_write_error_code, "configRequirementReadonly");
    const after = await client.call("config/read", { includeLayers: true });
    assert.deepEqual(
      after.layers.find((l: { name: { type: string } }) => l.name.type === "user"),
      before.layers.find((l: { name: { type: string } }) => l.name.type === "user"),
    );
    // The connection survives every refusal.
    assert.equal((await client.call("config/read", {})).config.model, "kept");
    // A connection without a user identity has no user layer to write.
    const anonymous = await CodexTestClient.open(stack.url, {
      token: await hs256Token({ tenant: "t-errors", sub: "anonymous" }),
    });
    const noUser = await writeError(anonymous, "config/value/write", { keyPath: "model", value: "x", mergeStrategy: "replace" });
    assert.equal(noUser.data.config_write_error_code, "userLayerNotFound");
  });

  test("requirements: read, permission profiles, a disallowed profile replaced at thread start, a dead end refused", async () => {
    await importLayer(
      "t-req",
      "requirements",
      [
        'allowed_approval_policies = ["on-request", "never"]',
        'allowed_sandbox_modes = ["read-only"]',
        'allowed_permissions = ["review"]',
        'default_permissions = "review"',
        "[permissions.review]",
        'extends = ":read-only"',
        'description = "read and comment"',
        "",
      ].join("\n"),
    );
    const client = await open("t-req", "ann");
    const { requirements } = await client.call("configRequirements/read", {});
    assert.deepEqual(requirements.allowedApprovalPolicies, ["on-request", "never"]);
    assert.deepEqual(requirements.allowedSandboxModes, ["read-only"]);
    const profiles = await client.call("permissionProfile/list", {});
    const review = profiles.data.find((profile: { id: string }) => profile.id === "review");
    assert.equal(review?.allowed, true);
    assert.ok(profiles.data.some((profile: { id: string; allowed: boolean }) => profile.id !== "review" && !profile.allowed));

    // A named profile the requirements do not allow → the requirements' default, with a configWarning.
    // Writing it is refused; a layer the tenant set before the requirements still names it.
    const refusedWrite = await writeError(client, "config/value/write", {
      keyPath: "default_permissions",
      value: ":workspace",
      mergeStrategy: "replace",
    });
    assert.equal(refusedWrite.data.config_write_error_code, "configRequirementReadonly");
    await importLayer("t-req", "system", 'default_permissions = ":workspace"\n');
    const started = await client.call("thread/start", { cwd: "/work" });
    const warning = await client.waitForNotification((n) => n.method === "configWarning");
    assert.match(JSON.stringify(warning.params), /review/);
    assert.equal(started.sandbox.type, "readOnly");

    // approval "never" with a sandbox forced down to read-only is a dead end: refused at start.
    await client.call("config/batchWrite", {
      edits: [{ keyPath: "approval_policy", value: "never", mergeStrategy: "replace" }],
    });
    await importLayer("t-req", "system", "");
    const refused = await client.request("thread/start", { cwd: "/work", sandbox: "danger-full-access" });
    assert.equal(refused.error?.code, -32600);
    assert.equal((refused.error?.data as { reason: string } | undefined)?.reason, "configRejected");
    assert.match(refused.error?.message ?? "", /never/);
  });

  test("service_tier keeps its three states from config to thread start", async () => {
    const client = await open("t-tier", "ann");
    assert.equal((await client.call("thread/start", { cwd: "/w" })).serviceTier, null);
    assert.equal((await client.call("thread/start", { cwd: "/w", serviceTier: null })).serviceTier, "default");
    await client.call("config/value/write", { keyPath: "service_tier", value: "fast", mergeStrategy: "replace" });
    assert.equal((await client.call("thread/start", { cwd: "/w" })).serviceTier, "priority");
    assert.equal((await client.call("thread/start", { cwd: "/w", serviceTier: "flex" })).serviceTier, "flex");
  });

  test("features, models, the default provider, skills and app toggles land in the user's layer", async () => {
    const client = await open("t-features", "ann");
    const listed = await client.call("experimentalFeature/list", {});
    assert.ok(listed.data.length > 0);
    const feature = listed.data[0];
    await client.call("experimentalFeature/enablement/set", { enablement: { [feature.name]: !feature.enabled } });
    const relisted = await client.call("experimentalFeature/list", {});
    assert.equal(relisted.data.find((f: { name: string }) => f.name === feature.name).enabled, !feature.enabled);
    const unknown = await client.request("experimentalFeature/enablement/set", { enablement: { no_such_feature: true } });
    assert.equal(unknown.error?.code, -32600);

    const models = await client.call("model/list", {});
    assert.equal(models.data[0].model, "gpt-5.2");
    assert.equal(models.data[0].isDefault, true);

    const badProvider = await client.request("modelProvider/default/set", { providerId: "nowhere" });
    assert.equal(badProvider.error?.code, -32600);
    await client.call("config/value/write", {
      keyPath: "model_providers.mine",
      value: { name: "Mine", base_url: "http://127.0.0.1:9/v1" },
      mergeStrategy: "replace",
    });
    await client.call("modelProvider/default/set", { providerId: "mine" });
    assert.equal((await client.call("config/read", {})).config.model_provider, "mine");
    assert.equal((await client.call("thread/start", { cwd: "/w" })).modelProvider, "mine");

    assert.deepEqual(await client.call("skills/config/write", { path: "/skills/a/SKILL.md", enabled: false }), {
      effectiveEnabled: false,
    });
    assert.deepEqual((await client.call("config/read", {})).config.skills.config, [
      { path: "/skills/a/SKILL.md", enabled: false },
    ]);
    await client.call("skills/config/write", { path: "/skills/a/SKILL.md", enabled: true });
    assert.deepEqual((await client.call("config/read", {})).config.skills.config, []);
    await client.call("config/batchWrite", {
      edits: [
        { keyPath: "apps.calendar.enabled", value: false, mergeStrategy: "replace" },
        { keyPath: "apps.calendar.disabled_reason", value: "user", mergeStrategy: "replace" },
      ],
    });
    assert.equal((await client.call("config/read", {})).config.apps.calendar.enabled, false);
    assert.deepEqual((await client.call("skills/list", { cwds: ["/w"] })).data, [{ cwd: "/w", skills: [], errors: [] }]);
    assert.deepEqual((await client.call("hooks/list", { cwds: ["/w"] })).data, [
      { cwd: "/w", hooks: [], warnings: [], errors: [] },
    ]);
    assertConformant();
  });

  test("modelProvider/config/write: a provider made in the user's layer, used by threads, applied once, its sealed token kept", async () => {
    const ann = await open("t-provider-write", "ann");
    const bob = await open("t-provider-write", "bob");
    // A managed layer's provider: listed for every user, not editable in a user's layer.
    await importLayer(
      "t-provider-write",
      "legacy-managed",
      '[model_providers.shared]\nname = "Shared"\nbase_url = "https://shared.example/v1"\n',
    );
    const created = await ann.call("modelProvider/config/write", {
      settings: { type: "customGateway", name: "Team Gateway", baseUrl: "https://gw.example/v1", envKey: "GW_KEY" },
    });
    assert.equal(created.provider.id, "team-gateway");
    // The same write redelivered (one command id, twice on the config lane): applied once, answered the same.
    const params = { settings: { type: "customGateway", name: "Team Gateway", baseUrl: "https://gw.example/v1" } };
    const twice = await deliveredTwice(stack, {
      family: "config",
      tenant: "t-provider-write",
      keyId: "user:ann",
      subject: "ann",
      commandId: "provider-write-twice",
      method: "modelProvider/config/write",
      params,
    });
    assert.deepEqual(twice[0], twice[1]);
    assert.equal((twice[0] as any).provider.id, "team-gateway-2");
    const ids = (await ann.call("modelProvider/list", {})).data.map((provider: { id: string }) => provider.id);
    assert.deepEqual(ids, ["openai", "shared", "team-gateway", "team-gateway-2"]);
    // Another user of the tenant has their own layer: the tenant's provider, not ann's.
    assert.deepEqual(
      (await bob.call("modelProvider/list", {})).data.map((provider: { id: string }) => provider.id),
      ["openai", "shared"],
    );
    const shared = await ann.call("modelProvider/config/write", {
      settings: { type: "customGateway", providerId: "shared", name: "Mine" },
    });
    assert.equal(shared.provider.canEdit, false, "a layer above the user's sets it");
    assert.equal(shared.provider.name, "Shared", "the managed layer's name still wins");

    // A provider with a sealed bearer token: editing its name leaves the token as it was.
    await ann.call("config/value/write", {
      keyPath: "model_providers.sealed",
      value: { name: "Sealed", base_url: "https://sealed.example/v1", experimental_bearer_token: "s3cret" },
      mergeStrategy: "replace",
    });
    const storedSealed = async () => {
      const { rows } = await stack.infra.pool.query(
        "SELECT body->'model_providers'->'sealed' AS provider FROM config.layers WHERE tenant = $1 AND kind = 'user' AND scope = $2",
        ["t-provider-write", "ann"],
      );
      return rows[0]?.provider as { name: string; experimental_bearer_token: string };
    };
    const sealedBefore = await storedSealed();
    assert.ok(!JSON.stringify(sealedBefore).includes("s3cret"), "the token is stored sealed");
    await ann.call("modelProvider/config/write", { settings: { type: "customGateway", providerId: "sealed", name: "Renamed" } });
    const sealedAfter = await storedSealed();
    assert.equal(sealedAfter.name, "Renamed");
    assert.equal(
      sealedAfter.experimental_bearer_token,
      sealedBefore.experimental_bearer_token,
      "the sealed token is not rewritten",
    );

    // A thread started on the new provider uses it.
    await ann.call("modelProvider/default/set", { providerId: "team-gateway" });
    assert.equal((await ann.call("thread/start", { cwd: "/w" })).modelProvider, "team-gateway");
    assertConformant();
  });

  test("mcpServerStatus/list: a bearer token's variable is looked up among the tenant's secrets, a thread's among its config", async () => {
    const ann = await open("t-mcp", "ann");
    const orchestrator = await open("t-mcp", "orch", ["orchestrator"]);
    const stranger = await open("t-mcp-other", "ann", ["orchestrator"]);
    await ann.call("config/value/write", {
      keyPath: "mcp_servers.docs",
      value: { url: "https://docs.example/mcp", bearer_token_env_var: "DOCS_TOKEN" },
      mergeStrategy: "replace",
    });
    const toolsError = async () => (await ann.call("mcpServerStatus/list", {})).data[0].toolsError;
    assert.equal(await toolsError(), "MCP startup failed: Environment variable DOCS_TOKEN for MCP server 'docs' is not set");
    await stranger.call("switchyard/secret/set", { name: "DOCS_TOKEN", value: "another tenant's" });
    assert.match(await toolsError(), /is not set$/, "another tenant's secret does not count");
    await orchestrator.call("switchyard/secret/set", { name: "DOCS_TOKEN", value: "t0ken" });
    assert.equal(await toolsError(), MCP_NOT_STARTED);
    // A thread's servers come from its own config; another tenant's thread is not found.
    const { thread } = await ann.call("thread/start", { cwd: "/w" });
    const ofThread = await ann.call("mcpServerStatus/list", { threadId: thread.id });
    assert.deepEqual(
      ofThread.data.map((server: { name: string; runtimeStatus: string }) => [server.name, server.runtimeStatus]),
      [["docs", "failed"]],
    );
    const elsewhere = await stranger.request("mcpServerStatus/list", { threadId: thread.id });
    assert.equal(elsewhere.error?.message, `thread not found: ${thread.id}`);
    assertConformant();
  });

  test("session config: orchestrators only, per tenant, set before the thread exists, and it wins over the request", async () => {
    const orchestrator = await open("t-session", "orch", ["orchestrator"]);
    const user = await open("t-session", "ann");
    const stranger = await open("t-session-other", "orch", ["orchestrator"]);
    const sessionConfig = {
      model_provider: "orchestrated",
      model_providers: { orchestrated: { name: "Orchestrated", base_url: "http://127.0.0.1:9/v1", wire_api: "responses" } },
      features: { goals: true },
    };
    const denied = await user.request("switchyard/sessionConfig/set", { cwd: "/sessions/a", config: sessionConfig });
    assert.equal(denied.error?.code, -32600);
    assert.match(denied.error?.message ?? "", /orchestrator/);
    const both = await orchestrator.request("switchyard/sessionConfig/set", { cwd: "/a", threadId: "t", config: {} });
    assert.equal(both.error?.code, -32600);
    const unknownKey = await orchestrator.request("switchyard/sessionConfig/set", { cwd: "/a", config: { model: "x" } });
    assert.equal(unknownKey.error?.code, -32600);

    const { version } = await orchestrator.call("switchyard/sessionConfig/set", { cwd: "/sessions/a", config: sessionConfig });
    assert.match(version, /^sha256:/);
    const read = await orchestrator.call("switchyard/sessionConfig/read", { cwd: "/sessions/a" });
    assert.equal(read.version, version);
    assert.equal(read.config.model_provider, "orchestrated");
    assert.equal(await stranger.call("switchyard/sessionConfig/read", { cwd: "/sessions/a" }), null);

    // Session config wins over what the request asks for, for the keys it owns.
    const started = await user.call("thread/start", { cwd: "/sessions/a", modelProvider: "openai" });
    assert.equal(started.modelProvider, "orchestrated");
    // It is the thread's sessionFlags layer, and config/read for that cwd shows it too.
    const layered = await user.call("config/read", { includeLayers: true, cwd: "/sessions/a" });
    assert.equal(layered.layers[0].name.type, "sessionFlags");
    assert.equal(layered.origins.model_provider.name.type, "sessionFlags");

    // A thread's own session config, set before the thread exists, beats its cwd's (thread ids are the caller's to know).
    const other = await stranger.call("thread/start", { cwd: "/sessions/a" });
    assert.equal(other.modelProvider, "openai", "another tenant's runtime never sees it");

    await orchestrator.call("switchyard/sessionConfig/delete", { cwd: "/sessions/a" });
    assert.equal(await orchestrator.call("switchyard/sessionConfig/read", { cwd: "/sessions/a" }), null);
    assert.equal((await user.call("thread/start", { cwd: "/sessions/a" })).modelProvider, "openai");
  });

  test("a thread start resolved from an instance's remembered inputs still sees every config change made since", async () => {
    const user = await open("t-remember", "ann");
    const orchestrator = await open("t-remember", "orch", ["orchestrator"]);
    const startModels = async () => {
      // Both config instances serve starts (queue group): six starts reach each of them with high odds.
      const models: string[] = [];
      for (let index = 0; index < 6; index++) models.push((await user.call("thread/start", { cwd: "/remember" })).model);
      return models;
    };
    await importLayer("t-remember", "user", 'model = "before"\n', { subject: "ann" });
    assert.deepEqual(new Set(await startModels()), new Set(["before"]));
    // Written straight to Postgres (as the CLI does): neither instance has read the new generation.
    await importLayer("t-remember", "user", 'model = "after"\n', { subject: "ann" });
    assert.deepEqual(new Set(await startModels()), new Set(["after"]), "a start after the import uses it");
    // A session config for the cwd, written through one instance, reaches starts on the other.
    await orchestrator.call("switchyard/sessionConfig/set", {
      cwd: "/remember",
      config: {
        model_provider: "orchestrated",
        model_providers: { orchestrated: { name: "Orchestrated", base_url: "http://127.0.0.1:9/v1", wire_api: "responses" } },
      },
    });
    assert.deepEqual(
      new Set(
        (await Promise.all([0, 1, 2, 3, 4, 5].map(() => user.call("thread/start", { cwd: "/remember" })))).map(
          (s) => s.modelProvider,
        ),
      ),
      new Set(["orchestrated"]),
    );
  });

  test("a start with the same inputs as a recent one is one statement: no config resolution, its snapshot stored with its row", async () => {
    const user = await open("t-reuse", "ann");
    await importLayer("t-reuse", "user", 'model = "reused"\n', { subject: "ann" });
    const resolutions = async () => {
      let total = 0;
      for (const config of stack.configs) {
        const samples = await scrape(`${config.healthUrl}/metrics`);
        total +=
          sampleValue(samples, "switchyard_requests_total", {
            service: "config",
            method: "internal/config/resolveThread",
            outcome: "ok",
          }) ?? 0;
      }
      return total;
    };
    const snapshotOf = async (threadId: string) => {
      const session = await serviceSession(stack.infra.databaseUrl, "t-reuse");
      try {
        const { rows } = await session.query(
          "SELECT subject, cwd, effective, client_version FROM config.thread_configs WHERE tenant = $1 AND thread_id = $2",
          ["t-reuse", threadId],
        );
        return rows[0];
      } finally {
        await session.end();
      }
    };
    // A config instance marks its answer reusable once it holds the user's inputs (after its first
    // resolution); from then on the thread service starts such threads without asking.
    let reused = false;
    for (let attempt = 0; attempt < 20 && !reused; attempt++) {
      const before = await resolutions();
      await user.call("thread/start", { cwd: "/reuse" });
      reused = (await resolutions()) === before;
    }
    assert.ok(reused, "a start was served without a config resolution");
    const before = await resolutions();
    const started = [];
    for (let index = 0; index < 4; index++) started.push(await user.call("thread/start", { cwd: "/reuse" }));
    assert.equal(await resolutions(), before, "none of them asked the config service");
    for (const { thread, model } of started) {
      assert.equal(model, "reused");
      const snapshot = await snapshotOf(thread.id);
      assert.equal(snapshot?.subject, "ann", "the snapshot is stored, as the caller's");
      assert.equal(snapshot?.cwd, "/reuse");
      assert.equal(snapshot?.effective.model, "reused");
      assert.equal((await user.call("thread/read", { threadId: thread.id })).thread.id, thread.id);
    }
    // Other inputs are other answers.
    assert.equal((await user.call("thread/start", { cwd: "/reuse", model: "asked-for" })).model, "asked-for");
    assert.equal((await (await open("t-reuse", "bob")).call("thread/start", { cwd: "/reuse" })).model, "gpt-5.2");
    // A config change since: the remembered answer is refused in the statement and resolved afresh.
    await importLayer("t-reuse", "user", 'model = "changed"\n', { subject: "ann" });
    const changed = await user.call("thread/start", { cwd: "/reuse" });
    assert.equal(changed.model, "changed");
    assert.equal((await snapshotOf(changed.thread.id))?.effective.model, "changed");
    assert.equal(await resolutions(), before + 3, "the override, the other user and the changed config were resolved");
  });

  test("a refresh rebuilds a thread's config from fresh layers and keeps its session layer", async () => {
    const orchestrator = await open("t-refresh", "orch", ["orchestrator"]);
    const user = await open("t-refresh", "ann");
    await orchestrator.call("switchyard/sessionConfig/set", { cwd: "/r", config: { features: { goals: false } } });
    const started = await user.call("thread/start", { cwd: "/r" });
    // The orchestrator removes the cwd's session config: the started thread keeps its own copy.
    await orchestrator.call("switchyard/sessionConfig/delete", { cwd: "/r" });
    await user.call("config/value/write", { keyPath: "features.goals", value: true, mergeStrategy: "replace" });
    const forThread = await user.call("experimentalFeature/list", { threadId: started.thread.id, limit: 500 });
    assert.equal(
      forThread.data.find((feature: { name: string }) => feature.name === "goals")?.enabled,
      false,
      "session layer kept",
    );
    const plain = await user.call("experimentalFeature/list", { limit: 500 });
    assert.equal(plain.data.find((feature: { name: string }) => feature.name === "goals")?.enabled, true, "fresh user layer");
  });

  test("an upstream thread-config endpoint is consumed at thread start, with Codex's error mapping and no fallback", async () => {
    let behaviour: "answer" | "unauthenticated" | "hang" = "answer";
    const upstream = new Server();
    upstream.addService(threadConfigLoaderService, {
      Load: (
        call: { request: { cwd?: string } },
        callback: (error: { code: number; details: string } | null, value?: unknown) => void,
      ) => {
        if (behaviour === "unauthenticated") return callback({ code: grpcStatus.UNAUTHENTICATED, details: "no token" });
        if (behaviour === "hang") return;
        callback(null, loadResponseFor({ model_provider: `upstream-${call.request.cwd?.split("/").pop()}` }));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      upstream.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    try {
      // A user naming an endpoint in their own layer changes nothing: only tenant-managed layers may.
      const user = await open("t-upstream", "ann");
      await user.call("config/value/write", {
        keyPath: "experimental_thread_config_endpoint",
        value: `http://127.0.0.1:${port}`,
        mergeStrategy: "replace",
      });
      assert.equal((await user.call("thread/start", { cwd: "/up/alpha" })).modelProvider, "openai");
      // The provider the endpoint names must exist (Codex refuses a start with an unknown one).
      await importLayer(
        "t-upstream",
        "system",
        `experimental_thread_config_endpoint = "http://127.0.0.1:${port}"\n[model_providers.upstream-alpha]\nname = "Alpha"\nbase_url = "http://127.0.0.1:9/v1"\n`,
      );
      assert.equal((await user.call("thread/start", { cwd: "/up/alpha" })).modelProvider, "upstream-alpha");
      behaviour = "unauthenticated";
      const auth = await user.request("thread/start", { cwd: "/up/alpha" });
      assert.equal(auth.error?.code, -32600);
      assert.deepEqual(auth.error?.data, { reason: "threadConfigLoadFailed", kind: "auth" });
      behaviour = "hang";
      const timeout = await user.request("thread/start", { cwd: "/up/alpha" });
      assert.equal((timeout.error?.data as { kind: string } | undefined)?.kind, "timeout");
    } finally {
      upstream.forceShutdown();
    }
  });

  test("lockfiles: exported at thread start, replayed on a later one, drift fails with a TOML diff", async () => {
    const user = await open("t-lock", "ann");
    await user.call("config/value/write", { keyPath: "model", value: "locked-model", mergeStrategy: "replace" });
    const first = await user.call("thread/start", { cwd: "/l", config: { "debug.config_lockfile.export_dir": "/locks" } });
    const exported = await user.call("switchyard/configLock/export", { threadId: first.thread.id });
    assert.match(exported.lockfile, /^version = 1/m);
    assert.match(exported.lockfile, /codex_version = /);
    assert.match(exported.lockfile, /\[config\]/);
    assert.match(exported.lockfile, /locked-model/);
    assert.doesNotMatch(exported.lockfile, /export_dir/, "replay-irrelevant inputs are stripped");
    await user.call("switchyard/configLock/save", { path: "/locks/replay.toml", lockfile: exported.lockfile });
    // A fork's config is resolved as it is now, with its source's session config: nothing changed
    // since the source started, so it has the same lockfile.
    await recordSomething(user, first.thread.id);
    const fork = await user.call("thread/fork", { threadId: first.thread.id });
    const forkLock = await user.call("switchyard/configLock/export", { threadId: fork.thread.id });
    assert.equal(forkLock.lockfile, exported.lockfile);
    // Same config: the replay starts.
    const replay = { "debug.config_lockfile.load_path": "/locks/replay.toml" };
    await user.call("thread/start", { cwd: "/l", config: replay });
    // Drift: the start fails with the diff in data.
    await user.call("config/value/write", { keyPath: "model", value: "drifted-model", mergeStrategy: "replace" });
    const drifted = await user.request("thread/start", { cwd: "/l", config: replay });
    assert.equal(drifted.error?.code, -32600);
    const data = drifted.error?.data as { reason: string; diff: string };
    assert.equal(data.reason, "configLockMismatch");
    assert.match(data.diff, /locked-model/);
    assert.match(data.diff, /drifted-model/);
  });

  test("the CLI imports, exports, checks lockfiles and prints a tenant's thread-config endpoint", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sy-config-cli-"));
    const file = join(directory, "config.toml");
    writeFileSync(file, 'model = "cli-model"\n[model_providers.cli]\nname = "CLI"\nbase_url = "http://127.0.0.1:9/v1"\n');
    const env = { ...process.env, ...stack.infra.env, CONFIG_GRPC_PORT_BASE: String(stack.grpcPortBase) };
    const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "packages/cli/src/main.ts", ...args], { env });
    const imported = await cli("config", "import", "--tenant", "t-cli", "--layer", "user", "--subject", "ann", "--file", file);
    assert.match(imported.stdout, /imported/);
    const exported = await cli("config", "export", "--tenant", "t-cli", "--subject", "ann");
    assert.match(exported.stdout, /model = "cli-model"/);
    assert.match(exported.stdout, /\[model_providers\.cli\]/);
    const bad = join(directory, "bad.toml");
    writeFileSync(bad, "model = [unclosed\n");
    await assert.rejects(cli("config", "import", "--tenant", "t-cli", "--layer", "system", "--file", bad), /TOML/);
    // A thread's lockfile through the CLI; replaying it matches until the config drifts (exit 1 with a diff).
    const user = await open("t-cli", "ann");
    const { thread } = await user.call("thread/start", { cwd: "/cli" });
    const lockPath = join(directory, "thread.lock.toml");
    await cli("config", "lock", "export", "--tenant", "t-cli", "--thread", thread.id, "--out", lockPath);
    const replay = ["config", "lock", "replay", "--tenant", "t-cli", "--subject", "ann", "--cwd", "/cli", "--file", lockPath];
    assert.match((await cli(...replay)).stdout, /lockfile matches; saved as thread\.lock\.toml/);
    await user.call("config/value/write", { keyPath: "model", value: "cli-drifted", mergeStrategy: "replace" });
    await assert.rejects(cli(...replay), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? "", /cli-model/);
      assert.match(error.stderr ?? "", /cli-drifted/);
      return true;
    });
    const endpoint = await cli("thread-config-endpoint", "--tenant", "t-cli");
    assert.match(endpoint.stdout.trim(), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await cli("thread-config-endpoint", "--tenant", "t-cli")).stdout, endpoint.stdout, "stable per tenant");
  });

  test("with Redis unreachable, reads and writes still work from Postgres", async () => {
    const noRedis = await startConfigService(
      { ...stack.infra.env, REDIS_URL: "redis://127.0.0.1:1", CONFIG_GRPC_PORT_BASE: String(stack.grpcPortBase + 40) },
      "config-no-redis",
    );
    try {
      // Only the instance without Redis serves now.
      await Promise.all(stack.configs.map((config) => config.stop()));
      const client = await open("t-noredis", "ann");
      await client.call("config/value/write", { keyPath: "model", value: "pg-only", mergeStrategy: "replace" });
      assert.equal((await client.call("config/read", {})).config.model, "pg-only");
    } finally {
      await stack.addConfigService();
      await noRedis.stop();
    }
  });
});
