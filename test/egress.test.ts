// The egress policy end to end: a deployment that refuses private ranges (the default, loopback
// included: this suite does not allow it as the others do) never calls a model provider or a
// thread-config endpoint that a tenant points at one. The provider's turn fails at once, saying why,
// and the thread service logs it; the endpoint's thread start is refused as an endpoint that cannot
// be reached is. A setting the services cannot read stops them at start, naming it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ConfigAdmin } from "../services/config/src/admin.js";
import { CodexTestClient } from "./harness/client.js";
import { runServiceExpectingExit, serviceEntry } from "./harness/processes.js";
import { type ScriptedResponses, startScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant, openStackConfigAdmin, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";
import { startUpstreamThreadConfig } from "./harness/upstream-thread-config.js";

const DENY_PRIVATE = { SWITCHYARD_EGRESS_DENY: "private", SWITCHYARD_EGRESS_ALLOW: "" };

describe("egress policy", () => {
  let stack: Stack;
  let provider: ScriptedResponses;
  let admin: ConfigAdmin;
  const open = async (tenant: string, subject: string) =>
    CodexTestClient.open(stack.url, { token: await hs256Token({ tenant, sub: subject }), experimentalApi: true });

  before(async () => {
    provider = await startScriptedResponses();
    stack = await startStack("egress", {
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      threadEnv: DENY_PRIVATE,
      configEnv: DENY_PRIVATE,
    });
    admin = await openStackConfigAdmin(stack);
  });

  after(async () => {
    await admin?.close();
    await stack?.stop();
    await provider?.close();
  });

  test("a provider a tenant points at a private address is never called; the turn fails at once, saying why", async () => {
    const client = await open("t-egress", "mallory");
    await client.call("config/value/write", {
      keyPath: "model_providers.inside",
      value: { name: "Inside", base_url: provider.baseUrl, request_max_retries: 3 },
      mergeStrategy: "replace",
    });
    const threadId = (await client.call("thread/start", { modelProvider: "inside" })).thread.id as string;
    const turnId = (await client.call("turn/start", { threadId, input: [{ type: "text", text: "hi", text_elements: [] }] })).turn
      .id as string;
    const completed = await client.waitForNotification(
      (n) => n.method === "turn/completed" && n.params.turn.id === turnId,
      15_000,
    );
    assert.equal(completed.params.turn.status, "failed");
    const message = completed.params.turn.error?.message as string;
    assert.match(
      message,
      /^stream disconnected before completion: error sending request for url \(http:\/\/127\.0\.0\.1:\d+\/v1\/responses\)/,
    );
    assert.match(message, /the address 127\.0\.0\.1 is not allowed by this deployment's egress policy$/);
    const retries = client.notifications.filter((n) => n.method === "error" && n.params.turnId === turnId && n.params.willRetry);
    assert.equal(retries.length, 0, "a refusal is not retried");
    assert.equal(provider.requests.length, 0, "the provider was never called");
    // The log line is written as the turn ends, beside its notifications: wait for it a little.
    const isLogged = () =>
      (stack.threads[0]?.output() ?? "")
        .split("\n")
        .some((line) => line.includes('"msg":"turn failed"') && line.includes("not allowed by this deployment's egress policy"));
    for (let waited = 0; !isLogged() && waited < 3_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(isLogged(), "the operator sees the refusal in the thread service's log");
    client.socket.close();
    assertConformant();
  });

  test("a thread-config endpoint at a private address is never called; the start is refused as unreachable", async () => {
    const upstream = await startUpstreamThreadConfig({ features: { tools: true } });
    try {
      await admin.importDocument({
        tenant: "t-egress-upstream",
        target: "system",
        text: `experimental_thread_config_endpoint = "${upstream.endpoint}"\n`,
      });
      const client = await open("t-egress-upstream", "ann");
      const refused = await client.request("thread/start", { cwd: "/w" });
      assert.equal(refused.error?.code, -32600);
      assert.equal(
        refused.error?.message,
        "failed to connect to remote thread config loader: the address 127.0.0.1 is not allowed by this deployment's egress policy",
      );
      assert.deepEqual(refused.error?.data, { reason: "threadConfigLoadFailed", kind: "requestFailed" });
      assert.equal(upstream.calls(), 0, "the endpoint was never called");
      client.socket.close();
    } finally {
      upstream.stop();
    }
  });

  test("a policy entry the services cannot read stops them at start, naming the setting", async () => {
    for (const service of ["thread", "config"] as const) {
      const exited = await runServiceExpectingExit(serviceEntry(service), {
        ...stack.infra.env,
        THREAD_HEALTH_PORT: "0",
        CONFIG_HEALTH_PORT: "0",
        SWITCHYARD_EGRESS_ALLOW: "10.0.0.0/33",
      });
      assert.notEqual(exited.code, 0, `${service} exits`);
      assert.match(exited.output, /SWITCHYARD_EGRESS_ALLOW: cannot read "10\.0\.0\.0\/33"/);
    }
  });
});
