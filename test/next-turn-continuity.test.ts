// A thread's next turn outlives the instance that owes it: its goal's continuations and its queued
// submissions. A next turn that is owed (a turn of an active goal completed, a goal/set made it
// active, a turn ended with submissions queued, a submission was queued on an idle thread) is marked
// on the thread in the same transaction, so when that instance stops between two turns, or dies
// before it starts the next, another instance's sweeper starts it: every turn runs exactly once, one
// at a time, in order. An interrupt still stops a goal (no mark is left for a sweeper to find).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";

const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How old an owed continuation must be before a sweeper takes it (short, so the suite is quick). */
const GRACE_MS = 300;

describe("next turns across instances", () => {
  let stack: Stack;
  let provider: ScriptedResponses;

  before(async () => {
    // Every answer takes a while, so an instance can be stopped while the goal is mid-way.
    provider = await startScriptedResponses({ defaultReply: "working on it", stepFor: () => ({ delayMs: 400 }) });
    const env = scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl), {
      THREAD_NEXT_TURN_GRACE_MS: String(GRACE_MS),
    });
    stack = await startStack("next-turn-continuity", { ...env, threads: 2 });
  });
  after(async () => {
    await stack?.stop();
    await provider?.close();
  });

  const ofThread = (client: CodexTestClient, method: string, threadId: string) =>
    client.notifications.filter((n) => n.method === method && n.params.threadId === threadId);
  const waitFor = async (what: string, isDone: () => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!isDone()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await quiet(50);
    }
  };
  /** The thread-service instance that logged starting `turnId`. */
  const runnerOf = (turnId: string) => stack.threads.find((service) => service.output().includes(turnId));
  /** `runnerOf`, once its log line has arrived: a service's logs are written asynchronously, so the
   * turn's notification can reach the client before the line that names its instance reaches us. */
  const runnerOnceLogged = async (turnId: string) => {
    await waitFor(`the log line of turn ${turnId}`, () => runnerOf(turnId) !== undefined, 5_000).catch(() => undefined);
    return runnerOf(turnId);
  };
  const owed = async (threadId: string) =>
    (await stack.infra.pool.query("SELECT next_turn_due_at IS NOT NULL AS owed FROM thread.threads WHERE id = $1", [threadId]))
      .rows[0]?.owed as boolean;

  test("an instance stopped mid-goal: another carries the goal on to its budget, each turn once", async () => {
    const client = await CodexTestClient.open(stack.url, { experimentalApi: true });
    const threadId = (await client.call("thread/start", {})).thread.id;
    // 25 tokens a scripted turn: six turns spend it.
    await client.call("thread/goal/set", { threadId, objective: "refactor the parser", tokenBudget: 150 });
    await waitFor("two turns", () => ofThread(client, "turn/completed", threadId).length >= 2);
    await waitFor("the third turn", () => ofThread(client, "turn/started", threadId).length >= 3);
    const third = ofThread(client, "turn/started", threadId)[2];
    const first = await runnerOnceLogged(third?.params.turn.id);
    assert.ok(first, "some instance runs the goal's turns");
    const other = stack.threads.find((service) => service !== first);
    assert.equal(await first.stop(), 0, "the instance stops cleanly, its running turn finished");

    await waitFor("the goal to spend its budget", () =>
      ofThread(client, "thread/goal/updated", threadId).some((n) => n.params.goal.status === "budgetLimited"),
    );
    await quiet(GRACE_MS * 3); // a seventh turn would have started by now
    const started = ofThread(client, "turn/started", threadId);
    const completed = ofThread(client, "turn/completed", threadId);
    assert.equal(started.length, 6, "every turn of the budget, and no more");
    assert.deepEqual(
      completed.map((n) => n.params.turn.status),
      ["completed", "completed", "completed", "completed", "completed", "completed"],
      "the turn the stop caught finished within the shutdown grace",
    );
    // One at a time: each turn started after the one before it completed.
    for (let index = 1; index < started.length; index++) {
      assert.ok(
        client.notifications.indexOf(completed[index - 1] as (typeof completed)[number]) <
          client.notifications.indexOf(started[index] as (typeof started)[number]),
        `turn ${index + 1} started after turn ${index} ended`,
      );
    }
    const afterStop = started.slice(3).map((n) => n.params.turn.id as string);
    assert.ok(afterStop.length > 0 && afterStop.every((turnId) => runnerOf(turnId) === other), "the other instance took over");
    assert.match(other?.output() ?? "", /started a thread's next turn that its instance did not start/);
    // Every turn was accounted once, wherever it ran.
    const goal = (await client.call("thread/goal/get", { threadId })).goal;
    assert.equal(goal.tokensUsed, 150);
    assert.equal(goal.status, "budgetLimited");
    assert.equal(await owed(threadId), false, "nothing is owed once the budget is spent");
    await client.close();
  });

  test("a continuation owed when its instance died is started by a sweeper; an interrupt leaves none owed", async () => {
    const client = await CodexTestClient.open(stack.url, { experimentalApi: true });
    const threadId = (await client.call("thread/start", {})).thread.id;
    await client.call("thread/goal/set", { threadId, objective: "index the archive", status: "paused" });
    // What a crash right after goal/set commits leaves behind: an active goal, owed a turn nobody started.
    await stack.infra.pool.query(
      `UPDATE thread.threads SET goal = jsonb_set(goal, '{status}', '"active"'),
              next_turn_due_at = now(), next_turn_subject = 'someone' WHERE id = $1`,
      [threadId],
    );
    const continuation = await client.waitForNotification(
      (n) => n.method === "turn/started" && n.params.threadId === threadId,
      10_000,
    );
    await client.call("turn/interrupt", { threadId, turnId: continuation.params.turn.id });
    await waitFor("the interrupt", () => ofThread(client, "turn/completed", threadId).length === 1);
    assert.equal(ofThread(client, "turn/completed", threadId)[0]?.params.turn.status, "interrupted");
    await quiet(GRACE_MS * 4);
    assert.equal(ofThread(client, "turn/started", threadId).length, 1, "an interrupted goal is not carried on");
    assert.equal(await owed(threadId), false);
    assert.equal((await client.call("thread/goal/get", { threadId })).goal.status, "active");
    await client.close();
  });

  test("an instance stopped while a thread works through its queue: another starts the rest, each once, in order", async () => {
    await stack.addThreadService(); // two live instances again (the first test stopped one)
    const client = await CodexTestClient.open(stack.url, { experimentalApi: true });
    const threadId = (await client.call("thread/start", {})).thread.id;
    const text = (value: string) => [{ type: "text", text: value, text_elements: [] }];
    await client.call("turn/start", { threadId, input: text("first") });
    for (const id of ["q1", "q2", "q3", "q4"]) {
      await client.call("thread/queue/add", { threadId, clientUserMessageId: id, input: text(`queued ${id}`) });
    }
    await waitFor("the first queued turn", () => ofThread(client, "turn/started", threadId).length >= 2);
    const second = ofThread(client, "turn/started", threadId)[1];
    const first = await runnerOnceLogged(second?.params.turn.id);
    assert.ok(first, "some instance runs the thread's turns");
    const other = stack.threads.find((service) => service !== first && service.child.exitCode === null);
    assert.equal(await first.stop(), 0);

    await waitFor("every queued submission", () => ofThread(client, "turn/completed", threadId).length >= 5);
    await quiet(GRACE_MS * 3);
    const prompts = client.notifications
      .filter((n) => n.method === "item/started" && n.params.threadId === threadId && n.params.item.type === "userMessage")
      .map((n) => n.params.item.clientId);
    assert.deepEqual(prompts, [null, "q1", "q2", "q3", "q4"], "each submission once, in the queue's order");
    assert.deepEqual(
      ofThread(client, "turn/completed", threadId).map((n) => n.params.turn.status),
      ["completed", "completed", "completed", "completed", "completed"],
    );
    const started = ofThread(client, "turn/started", threadId).map((n) => n.params.turn.id as string);
    assert.ok(
      started.slice(3).every((turnId) => runnerOf(turnId) === other),
      "the other instance took the rest",
    );
    assert.deepEqual((await client.call("thread/queue/list", { threadId })).data, []);
    assert.equal(await owed(threadId), false, "nothing is owed once the queue is empty");
    await client.close();
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
