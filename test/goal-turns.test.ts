// A thread's goal drives turns, as in Codex 0.171.0 (checked against the binary with the same
// scripted provider; value by value in interop-goal-flows.test.ts): an active goal on an idle thread
// starts a continuation turn, each turn's usage is accounted to the goal (thread/goal/updated with its
// turnId, before the thread goes idle), and the thread keeps taking continuations until the budget is
// spent (budgetLimited), the model ends the goal with update_goal (the usage up to the call
// accounted first, nothing after), or a client pauses it; an interrupted turn leaves the goal active
// without continuing it.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { CodexTestClient, type Notification } from "./harness/client.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";

const text = (value: string) => ({ type: "text", text: value, text_elements: [] });
const quiet = (ms = 600) => new Promise((resolve) => setTimeout(resolve, ms));

describe("goal turns", () => {
  let stack: Stack;
  let provider: ScriptedResponses;

  before(async () => {
    provider = await startScriptedResponses({ defaultReply: "working on it" });
    stack = await startStack("goal-turns", scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl)));
  });
  after(async () => {
    await stack?.stop();
    await provider?.close();
  });
  afterEach(() => provider.clearScript());

  const started = (client: CodexTestClient, threadId: string) =>
    client.notifications.filter((n) => n.method === "turn/started" && n.params.threadId === threadId);
  const goalUpdates = (client: CodexTestClient, threadId: string) =>
    client.notifications.filter((n) => n.method === "thread/goal/updated" && n.params.threadId === threadId);
  /** Waits until `count` turns of the thread have completed. */
  const completedTurns = async (client: CodexTestClient, threadId: string, count: number) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const done = client.notifications.filter((n) => n.method === "turn/completed" && n.params.threadId === threadId);
      if (done.length >= count) return done;
      if (Date.now() > deadline) throw new Error(`only ${done.length} of ${count} turns completed`);
      await quiet(50);
    }
  };

  test("an active goal on an idle thread works on its own, turn after turn, until its budget is spent", async () => {
    const client = await CodexTestClient.open(stack.url, { experimentalApi: true });
    const threadId = (await client.call("thread/start", {})).thread.id;
    const requestsBefore = provider.requests.length;
    const set = await client.call("thread/goal/set", { threadId, objective: "write a haiku about queues", tokenBudget: 60 });
    assert.equal(set.goal.status, "active", "a new goal is active unless it says otherwise");
    const turns = await completedTurns(client, threadId, 3);
    await quiet(); // a fourth would have started by now
    assert.equal(started(client, threadId).length, 3, "the spent budget stops the continuations");

    // Each turn's usage is the goal's, announced with the turn's id before the thread goes idle.
    const usage = client.notifications.filter((n) => n.method === "thread/tokenUsage/updated" && n.params.threadId === threadId);
    const perTurn = turns.map((turn) =>
      usage
        .filter((n) => n.params.turnId === turn.params.turn.id)
        .reduce((sum, n) => sum + n.params.tokenUsage.last.totalTokens, 0),
    );
    const accounted = goalUpdates(client, threadId).filter((n) => n.params.turnId);
    assert.deepEqual(
      accounted.map((n) => n.params.turnId),
      turns.map((turn) => turn.params.turn.id),
    );
    let sum = 0;
    assert.deepEqual(
      accounted.map((n) => n.params.goal.tokensUsed),
      perTurn.map((tokens) => {
        sum += tokens;
        return sum;
      }),
    );
    assert.deepEqual(
      accounted.map((n) => n.params.goal.status),
      ["active", "active", "budgetLimited"],
    );
    for (const turn of turns) {
      const ofTurn = client.notifications.filter((n: Notification) => n.params?.turnId === turn.params.turn.id);
      const goalAt = ofTurn.findIndex((n) => n.method === "thread/goal/updated");
      const idleAt = client.notifications.findIndex(
        (n) => n.method === "turn/completed" && n.params.turn.id === turn.params.turn.id,
      );
      assert.ok(
        goalAt >= 0 && client.notifications.indexOf(ofTurn[goalAt] as Notification) < idleAt,
        "goal usage before the end",
      );
      // A continuation shows the model's work, not a user message.
      assert.ok(!ofTurn.some((n) => n.method === "item/started" && n.params.item.type === "userMessage"));
    }
    assert.equal((await client.call("thread/goal/get", { threadId })).goal.status, "budgetLimited");

    // The model was told to go on, with the objective and the budget; the reminders stay in its history.
    const requests = provider.requests.slice(requestsBefore);
    assert.equal(requests.length, 3);
    const lastInput = JSON.stringify(requests.at(-1)?.input);
    assert.equal(lastInput.split('source=\\"goal\\"').length - 1, 3);
    assert.match(lastInput, /write a haiku about queues/);
    assert.match(lastInput, /of a budget of 60/);
    // The goal tools, as Codex 0.171.0 offers them in every turn.
    assert.deepEqual(
      ((requests[0]?.tools ?? []) as { name: string }[]).map((tool) => tool.name),
      ["get_goal", "create_goal", "update_goal"],
    );
    // The thread's history shows only the model's answers.
    const read = await client.call("thread/read", { threadId, includeTurns: true });
    assert.deepEqual(
      read.thread.turns.map((turn: { items: { type: string }[] }) => turn.items.map((item) => item.type)),
      [["agentMessage"], ["agentMessage"], ["agentMessage"]],
    );
    await client.close();
  });

  test("the model ends its goal with update_goal: the turn's usage so far accounted first, nothing after, no continuation", async () => {
    const client = await CodexTestClient.open(stack.url, { experimentalApi: true });
    const threadId = (await client.call("thread/start", {})).thread.id;
    provider.script({ toolCall: { name: "update_goal", arguments: { status: "complete" }, callId: "call-goal" } });
    provider.script({ text: "The haiku is written." });
    const requestsBefore = provider.requests.length;
    await client.call("thread/goal/set", { threadId, objective: "write one haiku" });
    const [turn] = await completedTurns(client, threadId, 1);
    await quiet();
    assert.equal(started(client, threadId).length, 1, "a complete goal takes no more turns");
    const updates = goalUpdates(client, threadId).filter((n) => n.params.turnId === turn?.params.turn.id);
    // As Codex 0.171.0 (interop-goal-flows.test.ts): the usage up to the call, then the new status;
    // the answer after it is not the goal's (it is complete).
    assert.deepEqual(
      updates.map((n) => n.params.goal.status),
      ["active", "complete"],
    );
    const accounted = updates[0]?.params.goal.tokensUsed ?? 0;
    assert.ok(accounted > 0, "the call that completed the goal counts toward it");
    assert.equal(updates[1]?.params.goal.tokensUsed, accounted);
    // The model got the stored goal as the tool's answer.
    const second = JSON.stringify(provider.requests[requestsBefore + 1]?.input);
    assert.match(second, /function_call_output/);
    assert.match(second, /\\"status\\":\\"complete\\"/);
    assert.equal((await client.call("thread/goal/get", { threadId })).goal.status, "complete");
    await client.close();
  });

  test("a paused goal takes no turns and is not accounted; resumed it continues; an interrupt stops it, leaving it active", async () => {
    const client = await CodexTestClient.open(stack.url, { experimentalApi: true });
    const threadId = (await client.call("thread/start", {})).thread.id;
    await client.call("thread/goal/set", { threadId, objective: "tidy the docs", status: "paused" });
    await quiet();
    assert.equal(started(client, threadId).length, 0, "a paused goal starts nothing");
    // As in Codex, a goal is something recorded: the thread is listed from then on.
    const listed = (await client.call("thread/list", {})).data.map((entry: { id: string }) => entry.id);
    assert.ok(listed.includes(threadId), "a thread with a goal is listed");
    // A user's turn while the goal is paused is the user's, not the goal's.
    const user = await client.call("turn/start", { threadId, input: [text("hello")] });
    await completedTurns(client, threadId, 1);
    assert.ok(!goalUpdates(client, threadId).some((n) => n.params.turnId === user.turn.id));

    // Resumed: the goal continues on its own; interrupted, the thread stops and the goal stays active.
    provider.script({ text: "slowly", chunks: 4, delayMs: 4_000 });
    await client.call("thread/goal/set", { threadId, status: "active" });
    const continuation = await client.waitForNotification(
      (n) => n.method === "turn/started" && n.params.threadId === threadId && n.params.turn.id !== user.turn.id,
    );
    await client.call("turn/interrupt", { threadId, turnId: continuation.params.turn.id });
    const [, interrupted] = await completedTurns(client, threadId, 2);
    assert.equal(interrupted?.params.turn.status, "interrupted");
    await quiet();
    assert.equal(started(client, threadId).length, 2, "an interrupt does not continue the goal");
    assert.ok(!goalUpdates(client, threadId).some((n) => n.params.turnId === continuation.params.turn.id));
    assert.equal((await client.call("thread/goal/get", { threadId })).goal.status, "active");
    await client.close();
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
