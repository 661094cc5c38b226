// thread/sample across a Switchyard with two thread instances (what the binary comparison in
// interop-thread-sample.test.ts cannot show): a cancel reaches the sample whichever instance runs it
// and only its own connection's; another tenant's thread is not there to sample; a sample does not
// hold the thread's lane (a rename goes through while it waits for the model); and an instance that
// shuts down answers its running samples at once, after its grace, rather than leaving them to the
// gateway's deadline.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const SHUTDOWN_GRACE_MS = 800;

describe("thread/sample on a Switchyard of two thread instances", () => {
  let stack: Stack;
  let provider: ScriptedResponses;
  const clients: CodexTestClient[] = [];

  before(async () => {
    provider = await startScriptedResponses({ defaultReply: "default reply" });
    const settings = scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl), {
      THREAD_TURN_SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
    });
    stack = await startStack("thread-sample", {
      ...settings,
      threads: 2,
      // A sample nobody answers fails at this deadline rather than the default ten minutes.
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET, GATEWAY_MODEL_REQUEST_TIMEOUT_MS: "20000" },
    });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await stack?.stop();
    await provider?.close();
  });
  afterEach(() => provider.clearScript());

  const open = async (tenant: string) => {
    const client = await CodexTestClient.open(stack.url, {
      experimentalApi: true,
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
    });
    clients.push(client);
    return client;
  };
  /** A thread with one completed turn; its id and the turn's. */
  const threadWithTurn = async (client: CodexTestClient) => {
    const threadId = (await client.call("thread/start", {})).thread.id as string;
    provider.script({ text: "first answer" });
    const turnId = (await client.call("turn/start", { threadId, input: [{ type: "text", text: "hi", text_elements: [] }] })).turn
      .id as string;
    await client.waitForNotification((n) => n.method === "turn/completed" && n.params.turn.id === turnId, 20_000);
    return { threadId, turnId };
  };
  const nextId = (client: CodexTestClient) => (client as unknown as { nextId: number }).nextId;

  test("a cancel reaches the sample on either instance; another connection's cancel does not", async () => {
    const [client, sameTenant] = [await open("t-sample"), await open("t-sample")];
    const { threadId, turnId } = await threadWithTurn(client);
    // Each sample lands on either instance, and each cancel on either: over several, both ways.
    for (let round = 0; round < 6; round++) {
      provider.script({ text: "never", stall: true });
      const requestId = nextId(client);
      const sample = client.request("thread/sample", { threadId, expectedTurnId: turnId, prompt: `stall ${round}` });
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.deepEqual(await client.call("thread/sample/cancel", { requestId }), {});
      const answer = await sample;
      assert.deepEqual(answer.error && { code: answer.error.code, message: answer.error.message }, {
        code: -32603,
        message: "sample canceled",
      });
    }
    // The same request id, cancelled from another connection of the tenant: the sample goes on.
    provider.script({ text: "late answer", delayMs: 800 });
    const requestId = nextId(client);
    const sample = client.request("thread/sample", { threadId, expectedTurnId: turnId, prompt: "slow" });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(await sameTenant.call("thread/sample/cancel", { requestId }), {});
    assert.equal(((await sample).result as { text: string }).text, "late answer");
  });

  test("a sample waits for the model without holding the thread: a rename goes through meanwhile", async () => {
    const client = await open("t-sample-lane");
    const { threadId, turnId } = await threadWithTurn(client);
    provider.script({ text: "never", stall: true });
    const requestId = nextId(client);
    let isSettled = false;
    const sample = client.request("thread/sample", { threadId, expectedTurnId: turnId, prompt: "stall" }).finally(() => {
      isSettled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.call("thread/name/set", { threadId, name: "renamed while sampling" });
    assert.equal(isSettled, false, "the rename was answered while the sample still waited for the model");
    await client.call("thread/sample/cancel", { requestId });
    assert.equal((await sample).error?.message, "sample canceled");
  });

  test("another tenant's thread is not there to sample", async () => {
    const [owner, stranger] = [await open("t-sample-owner"), await open("t-sample-stranger")];
    const { threadId, turnId } = await threadWithTurn(owner);
    const answer = await stranger.request("thread/sample", { threadId, expectedTurnId: turnId, prompt: "mine?" });
    assert.deepEqual(answer.error && { code: answer.error.code, message: answer.error.message }, {
      code: -32600,
      message: "thread/sample requires a loaded source",
    });
  });

  test("an instance that shuts down answers its running samples once its grace is over", async () => {
    const client = await open("t-sample-stop");
    const { threadId, turnId } = await threadWithTurn(client);
    provider.script({ text: "never", stall: true });
    const sample = client.request("thread/sample", { threadId, expectedTurnId: turnId, prompt: "stall" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stoppedAt = Date.now();
    await Promise.all(stack.threads.map((instance) => instance.stop()));
    const answer = await sample;
    const answeredIn = Date.now() - stoppedAt;
    assert.deepEqual(answer.error && { code: answer.error.code, message: answer.error.message }, {
      code: -32603,
      message: "sample failed: the Switchyard instance running it shut down before it finished; ask again",
    });
    assert.ok(answeredIn >= SHUTDOWN_GRACE_MS - 100, `cut short after its grace, not before (${answeredIn} ms)`);
    assertConformant();
  });
});
