// Server→client requests across the bus: a server request published once on a thread's event subject
// reaches every subscribed connection on every gateway under that connection's own JSON-RPC id; a
// client's answer goes back to the token's reply subject (an invalid one as an error answer); the
// resolution tells the connections still holding it `serverRequest/resolved` with their own ids. The
// thread service's side (the turn that asks) is played here by the test's NATS connection.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { headers as natsHeaders, type Subscription } from "@nats-io/transport-node";
import { BusHeader, busSubjects, type ServerRequestAnswer } from "@switchyard/protocol";
import { CodexTestClient, recordSomething } from "./harness/client.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const quiet = () => new Promise((resolve) => setTimeout(resolve, 400));
const toolResult = { contentItems: [{ type: "inputText", text: "42 degrees" }], success: true };

/** The answers arriving on one server request's reply subject, in order. */
class AnswerInbox {
  readonly answers: ServerRequestAnswer[] = [];

  constructor(readonly subscription: Subscription) {
    void (async () => {
      for await (const msg of subscription) this.answers.push(msg.json<ServerRequestAnswer>());
    })();
  }

  async next(index: number, timeoutMs = 5_000): Promise<ServerRequestAnswer> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers.length <= index) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for answer #${index}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.answers[index] as ServerRequestAnswer;
  }
}

describe("server requests across the bus", () => {
  let stack: Stack;
  const tenant = "t-srq";
  const open = async (gateway: number, name: string, experimentalApi = true) =>
    CodexTestClient.open(`${stack.gateways[gateway]?.url}/`, {
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
      experimentalApi,
      name,
    });
  /** The gateway's connection id of the client that initialized as `name` (from its `initialized` log line). */
  const connectionIdOf = (gateway: number, name: string): string => {
    for (const line of stack.gateways[gateway]?.output().split("\n") ?? []) {
      if (!line.includes(`"client":"${name}"`)) continue;
      const parsed = JSON.parse(line) as { connection?: string; msg?: string };
      if (parsed.msg === "initialized" && parsed.connection) return parsed.connection;
    }
    throw new Error(`no initialized line for ${name}`);
  };

  const publishServerRequest = (token: string, threadId: string, params: unknown) => {
    const headers = natsHeaders();
    headers.set(BusHeader.serverRequest, token);
    headers.set(BusHeader.method, "item/tool/call");
    const subjects = busSubjects(stack.infra.busPrefix);
    stack.infra.nc.publish(
      subjects.threadEvents(tenant, threadId),
      JSON.stringify({ method: "item/tool/call", params, threadId }),
      { headers },
    );
  };
  const publishResolved = (token: string, threadId: string) => {
    const headers = natsHeaders();
    headers.set(BusHeader.serverRequestResolved, token);
    headers.set(BusHeader.method, "serverRequest/resolved");
    const subjects = busSubjects(stack.infra.busPrefix);
    stack.infra.nc.publish(subjects.threadEvents(tenant, threadId), JSON.stringify({ threadId }), { headers });
  };
  const inboxFor = async (token: string) => {
    const inbox = new AnswerInbox(stack.infra.nc.subscribe(busSubjects(stack.infra.busPrefix).serverRequestReply(token)));
    await stack.infra.nc.flush(); // subscribed at the server before anything can answer
    return inbox;
  };
  const toolCallParams = (threadId: string, callId: string) => ({
    threadId,
    turnId: "turn-1",
    callId,
    namespace: null,
    tool: "weather",
    arguments: { city: "Oslo" },
  });

  before(async () => {
    stack = await startStack("server-requests", {
      gateways: 2,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
  });
  after(async () => stack?.stop());

  test("every subscriber is asked under its own id; answers, resolution, bad answers and bystanders", async () => {
    const [owner, resumer, bystanderA, bystanderB, stable] = await Promise.all([
      open(0, "srq-owner"),
      open(1, "srq-resumer"),
      open(0, "srq-bystander-a"),
      open(1, "srq-bystander-b"),
      open(1, "srq-stable", false),
    ]);
    const { thread } = await owner.call("thread/start", {});
    await recordSomething(owner, thread.id);
    await resumer.call("thread/resume", { threadId: thread.id });
    // Subscribed, without the experimental API: Codex 0.171.0 asks it all the same.
    await stable.call("thread/resume", { threadId: thread.id });
    // A round trip through the thread subject: both gateways' subscriptions are in place at the server.
    // (thread/settings/updated goes to the thread's subscribers; a goal change would go to the tenant.)
    await owner.call("thread/settings/update", { threadId: thread.id, effort: "high" });
    await Promise.all(
      [owner, resumer].map((client) =>
        client.waitForNotification((n) => n.method === "thread/settings/updated" && n.params.threadId === thread.id),
      ),
    );

    // Asked on both gateways, each connection under its own integer id, with the same params.
    const first = randomUUID();
    const firstInbox = await inboxFor(first);
    const firstParams = toolCallParams(thread.id, "call-1");
    publishServerRequest(first, thread.id, firstParams);
    const [ownerAsked, resumerAsked] = await Promise.all(
      [owner, resumer].map((client) => client.waitForServerRequest((r) => r.params.callId === "call-1")),
    );
    for (const asked of [ownerAsked, resumerAsked]) {
      assert.equal(asked?.method, "item/tool/call");
      assert.ok(Number.isInteger(asked?.id), "a server request id is an integer");
      assert.deepEqual(asked?.params, firstParams);
    }
    assert.equal(ownerAsked?.id, 0, "each connection counts from 0");
    assert.equal(resumerAsked?.id, 0);

    // The owner answers first: its answer reaches the turn with its connection.
    owner.respond(ownerAsked?.id as number, toolResult);
    assert.deepEqual(await firstInbox.next(0), { connection: connectionIdOf(0, "srq-owner"), result: toolResult });

    // The turn announces the request resolved: the resumer is told under its own id; the owner, who
    // answered, is not.
    publishResolved(first, thread.id);
    const resolved = await resumer.waitForNotification((n) => n.method === "serverRequest/resolved");
    assert.deepEqual(resolved.params, { threadId: thread.id, requestId: resumerAsked?.id });
    assert.equal(typeof resolved.emittedAtMs, "number");

    // Late and unknown answers are ignored, and the connection goes on working.
    resumer.respond(resumerAsked?.id as number, toolResult);
    resumer.respond(9_999, toolResult);
    resumer.respondError("not-an-issued-id", { code: -1, message: "no" });
    const read = await resumer.call("thread/read", { threadId: thread.id });
    assert.equal(read.thread.id, thread.id);

    // A second request: a result of the wrong shape reaches the turn as an error answer; a
    // well-formed error as the client sent it. Ids are not reused.
    const second = randomUUID();
    const secondInbox = await inboxFor(second);
    publishServerRequest(second, thread.id, toolCallParams(thread.id, "call-2"));
    const [ownerSecond, resumerSecond] = await Promise.all(
      [owner, resumer].map((client) => client.waitForServerRequest((r) => r.params.callId === "call-2")),
    );
    assert.equal(ownerSecond?.id, 1);
    assert.equal(resumerSecond?.id, 1);
    resumer.respond(resumerSecond?.id as number, { contentItems: "not a list", success: true });
    const invalid = await secondInbox.next(0);
    assert.equal(invalid.connection, connectionIdOf(1, "srq-resumer"));
    assert.ok("error" in invalid);
    assert.equal(invalid.error.code, -32600);
    assert.match(invalid.error.message, /^Invalid response: /);
    // Marked, so the turn words it as Codex does ("dynamic tool response was invalid").
    assert.deepEqual(invalid.error.data, { reason: "invalidResponse" });
    owner.respondError(ownerSecond?.id as number, { code: -32000, message: "tool declined" });
    assert.deepEqual(await secondInbox.next(1), {
      connection: connectionIdOf(0, "srq-owner"),
      error: { code: -32000, message: "tool declined" },
    });
    publishResolved(second, thread.id);

    await quiet();
    assert.equal(firstInbox.answers.length, 1, "late and unknown answers never reach the turn");
    assert.equal(secondInbox.answers.length, 2);
    assert.equal(
      owner.notifications.filter((n) => n.method === "serverRequest/resolved").length,
      0,
      "a connection that answered is not told its request resolved",
    );
    assert.equal(resumer.notifications.filter((n) => n.method === "serverRequest/resolved").length, 1);
    assert.deepEqual(
      stable.serverRequests.map((asked) => asked.params.callId),
      ["call-1", "call-2"],
      "a subscriber without the experimental API is asked too",
    );
    for (const bystander of [bystanderA, bystanderB]) {
      assert.deepEqual(bystander.serverRequests, [], "a connection not subscribed to the thread is asked nothing");
      assert.equal(bystander.notifications.filter((n) => n.method === "serverRequest/resolved").length, 0);
    }
    for (const inbox of [firstInbox, secondInbox]) inbox.subscription.unsubscribe();
    await Promise.all([owner, resumer, bystanderA, bystanderB].map((client) => client.close()));
  });

  test("every frame matched the official schema", () => {
    assertConformant();
  });
});
