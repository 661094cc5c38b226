// A thread's goal at work, beside the real `codex app-server` 0.171.0 (its websocket listener, one
// scripted Responses server): the model's goal tools (get_goal, create_goal, update_goal) and what
// each answers it, refusals included; when the tokens a turn spends are accounted to the goal (after
// each tool that ran, before update_goal changes the status, at the turn's end; nothing after the
// model completes, pauses or blocks it); a budget spent in the middle of a turn (the goal becomes
// budgetLimited, the turn goes on, the model is told to wrap up); a failed continuation (the goal
// becomes blocked); a client's goal change in the middle of a turn (the turn's usage so far accounted
// first; a new objective told to the model before it is asked again); a resume taking up a goal an interrupt had stopped; every notification and answer compared value by value (ids named, times and each
// side's own environment left out).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { recordingCall, transcriptView } from "./harness/beside-codex.js";
import type { CodexTestClient } from "./harness/client.js";
import { listenerBesideStackForSuite, playOnBothSides } from "./harness/codex-listener.js";
import type { ScriptedResponses, ScriptStep } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const TIMES = /^(startedAt|completedAt|durationMs|startedAtMs|completedAtMs|createdAt|updatedAt|recencyAt|timeUsedSeconds)$/;
/** What each side has of its own: its model and provider, version, paths and cwd, its cursors' encoding. */
const OWN =
  /^(model|modelProvider|cliVersion|environments|originator|path|runtimeWorkspaceRoots|modelContextWindow|cwd|instructionSources|turnsBackwardsCursor|itemsBackwardsCursor)$/;
/** Not about the goal, or streamed in pieces (a message's text is compared when it completes). */
const NOT_COMPARED = new Set([
  "thread/readState/changed",
  "thread/started",
  "configWarning",
  "remoteControl/status/changed",
  "item/agentMessage/delta",
  "account/rateLimits/updated",
]);
/** The goal's fields a tool answer carries as JSON text: its times blanked there too. */
const TIMES_IN_TEXT = /"(createdAt|updatedAt|timeUsedSeconds)":\d+/g;
/** What a completed goal's answer asks the model to report: in Switchyard's own words (Codex's prompt texts are not carried). */
const REPORT_IN_TEXT = /"completionBudgetReport":"[^"]+"/g;

const TOOL = {
  name: "lookup_weather",
  description: "Weather in a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } } },
};
const text = (words: string) => [{ type: "text", text: words, text_elements: [] }];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * The model calling a goal tool. Codex 0.171.0 runs a tool call as soon as its item is done, so
 * whether that call's own usage has been read when the tool accounts the goal's progress is a race
 * in the binary (seen both ways); a call that spends nothing reads the same either way.
 */
const goalCall = (name: string, args: unknown, callId: string): ScriptStep => ({
  toolCall: { name, arguments: args, callId },
  usage: { inputTokens: 0, outputTokens: 0 },
});

async function play(client: CodexTestClient, provider: ScriptedResponses) {
  const transcript: Record<string, unknown> = {};
  const shown = transcriptView({
    times: TIMES,
    own: OWN,
    text: (value) =>
      value.replace(TIMES_IN_TEXT, '"$1":"<time>"').replace(REPORT_IN_TEXT, '"completionBudgetReport":"<a report>"'),
  });
  // Dynamic tool calls are answered at once, whichever scenario asks.
  const answered = new Set<number | string>();
  const answering = setInterval(() => {
    for (const request of client.serverRequests) {
      if (request.method !== "item/tool/call" || answered.has(request.id)) continue;
      if (String(request.params.callId).startsWith("held")) continue; // the scenario answers it
      answered.add(request.id);
      client.respond(request.id, { contentItems: [{ type: "inputText", text: "sunny" }], success: true });
    }
  }, 20);

  /**
   * A thread with one turn behind it; then `steps` scripted and `act` run; what was heard until the
   * thread is idle with the script used up (or `until` holds), what the model's goal tools answered,
   * and the goal as goal/get reads it after.
   */
  const scenario = async (
    label: string,
    steps: ScriptStep[],
    act: (threadId: string, call: (method: string, params: unknown) => Promise<any>) => Promise<void>,
    until?: (heard: { method: string; params: any }[]) => boolean,
  ) => {
    const step: unknown[] = [];
    transcript[label] = step;
    const call = recordingCall(client, shown, () => step);
    const threadId = (await client.call("thread/start", { dynamicTools: [TOOL] })).thread.id as string;
    provider.clearScript();
    provider.script({ text: "hi there" });
    const first = (await client.call("turn/start", { threadId, input: text("hello") })).turn.id;
    await client.waitForNotification((n) => n.method === "turn/completed" && n.params.turn.id === first, 20_000);
    await sleep(300);
    const heardFrom = client.notifications.length;
    const askedFrom = provider.requests.length;
    provider.script(...steps);
    await act(threadId, call);
    const isDone = () => {
      const fresh = client.notifications.slice(heardFrom).filter((n) => n.params?.threadId === threadId);
      if (until) return until(fresh);
      const status = fresh.filter((n) => n.method === "thread/status/changed").at(-1)?.params.status.type;
      return provider.pendingSteps() === 0 && (status === "idle" || status === "systemError");
    };
    for (const deadline = Date.now() + 20_000; !isDone() && Date.now() < deadline; ) await sleep(100);
    await sleep(1_200); // anything that would follow (a continuation) has begun by now
    step.push(
      ...client.notifications
        .slice(heardFrom)
        .filter((n) => n.params?.threadId === threadId || n.method === "error")
        .filter((n) => !NOT_COMPARED.has(n.method))
        .map((n) => shown({ [n.method]: n.params })),
    );
    const asked = provider.requests.slice(askedFrom) as { input?: Record<string, any>[] }[];
    transcript[`${label}: the goal tools' answers`] = [
      ...new Set(
        asked.flatMap((body) =>
          (body.input ?? [])
            .filter((item) => item.type === "function_call_output" && item.call_id && item.call_id !== "weather")
            .map((item) => JSON.stringify(shown(`${item.call_id}: ${item.output}`))),
        ),
      ),
    ];
    transcript[`${label}: model calls`] = asked.length;
    // A model-only goal message in the middle of the turn: a spent budget's, a new objective's.
    transcript[`${label}: told of the goal mid-turn`] = asked.some((body) =>
      (body.input ?? []).some(
        (item, index, input) =>
          item.role === "user" &&
          // Right after a tool's output (a continuation's reminder follows no tool call).
          input[index - 1]?.type === "function_call_output" &&
          input[index - 1]?.call_id &&
          JSON.stringify(item.content).includes('<codex_internal_context source=\\"goal\\">'),
      ),
    );
    await call("thread/goal/get", { threadId });
    provider.clearScript();
  };

  await scenario(
    "no budget: the model completes the goal",
    [
      { toolCall: { name: TOOL.name, arguments: { city: "Oslo" }, callId: "weather" } },
      goalCall("update_goal", { status: "complete" }, "c1"),
      { text: "done" },
    ],
    (threadId, call) => call("thread/goal/set", { threadId, objective: "a goal without a budget" }),
  );
  await scenario(
    "the model pauses the goal",
    [goalCall("update_goal", { status: "paused" }, "c2"), { text: "paused" }],
    (threadId, call) => call("thread/goal/set", { threadId, objective: "a goal to pause", tokenBudget: 5000 }),
  );
  await scenario(
    "update_goal refused, then the goal completed",
    [
      goalCall("update_goal", { status: "active" }, "c3"),
      goalCall("update_goal", { status: "done" }, "c4"),
      goalCall("update_goal", { nonsense: 1 }, "c5"),
      goalCall("update_goal", { status: "complete" }, "c6"),
      { text: "finished" },
    ],
    (threadId, call) => call("thread/goal/set", { threadId, objective: "a goal with refusals", tokenBudget: 5000 }),
  );
  await scenario(
    "the budget spent in the middle of a turn",
    [{ toolCall: { name: TOOL.name, arguments: { city: "Oslo" }, callId: "weather" } }, { text: "wrapping up" }],
    (threadId, call) => call("thread/goal/set", { threadId, objective: "a goal with a small budget", tokenBudget: 10 }),
  );
  await scenario(
    "a user turn: the goal tools without a goal, then one created",
    [
      goalCall("get_goal", {}, "g1"),
      goalCall("update_goal", { status: "complete" }, "g2"),
      goalCall("create_goal", {}, "g3"),
      goalCall("create_goal", { objective: "made by the model", token_budget: 60 }, "g4"),
      goalCall("create_goal", { objective: "another one" }, "g5"),
      goalCall("get_goal", {}, "g6"),
      { text: "made" },
      { text: "a continuation" },
      { text: "another continuation" },
      { text: "and another" },
    ],
    async (threadId, call) => {
      await call("turn/start", { threadId, input: text("make a goal") });
    },
    (heard) => heard.some((n) => n.method === "thread/goal/updated" && n.params.goal.status === "budgetLimited"),
  );
  await scenario("a failed continuation blocks the goal", [{ failStatus: 400, failBody: "bad request here" }], (threadId, call) =>
    call("thread/goal/set", { threadId, objective: "a goal whose turn fails", tokenBudget: 5000 }),
  );
  await scenario(
    "a resume takes up a goal an interrupt had stopped",
    [
      { generatedDeltas: { count: 40, gapMs: 100, makeDelta: (index) => `part${index} ` } },
      { text: "resumed work" },
      { text: "more work" },
      { text: "still more" },
      { text: "and more" },
      { text: "the last of it" },
    ],
    async (threadId, call) => {
      const from = client.notifications.length;
      await call("thread/goal/set", { threadId, objective: "a goal to resume", tokenBudget: 60 });
      const startedSince = () =>
        client.notifications.slice(from).find((n) => n.method === "turn/started" && n.params.threadId === threadId);
      for (const deadline = Date.now() + 10_000; !startedSince() && Date.now() < deadline; ) await sleep(20);
      const continuation = startedSince() as { params: { turn: { id: string } } };
      await sleep(500);
      await call("turn/interrupt", { threadId, turnId: continuation.params.turn.id });
      await client.waitForNotification((n) => n.method === "turn/completed" && n.params.turn.id === continuation.params.turn.id);
      await sleep(1_000); // no continuation follows an interrupt
      await call("thread/resume", { threadId, excludeTurns: true });
    },
    (heard) => heard.some((n) => n.method === "thread/goal/updated" && n.params.goal.status === "budgetLimited"),
  );
  /** A client changes the goal while the continuation's tool call waits for its answer. */
  const changedMidTurn =
    (change: (threadId: string, call: (method: string, params: unknown) => Promise<any>) => Promise<void>, tokenBudget = 5000) =>
    async (threadId: string, call: (method: string, params: unknown) => Promise<any>) => {
      await call("thread/goal/set", { threadId, objective: "a goal changed mid-turn", tokenBudget });
      const held = await client.waitForServerRequest(
        (request) => request.method === "item/tool/call" && request.params.threadId === threadId,
        10_000,
      );
      await sleep(300);
      await change(threadId, call);
      await sleep(300);
      client.respond(held.id, { contentItems: [{ type: "inputText", text: "sunny" }], success: true });
    };
  const heldCall = { toolCall: { name: TOOL.name, arguments: { city: "Bergen" }, callId: "held-1" } };
  await scenario(
    "a client pauses the goal mid-turn: what the turn spent so far is accounted first",
    [heldCall, { text: "after the pause" }],
    changedMidTurn((threadId, call) => call("thread/goal/set", { threadId, status: "paused" })),
  );
  await scenario(
    "a client edits the objective mid-turn",
    [heldCall, { text: "after the edit" }],
    // A budget the turn spends by its end, so no continuation follows.
    changedMidTurn((threadId, call) => call("thread/goal/set", { threadId, objective: "an edited objective" }), 40),
  );
  await scenario(
    "a client clears the goal mid-turn: what the turn spent so far is accounted first",
    [heldCall, { text: "after the clear" }],
    changedMidTurn((threadId, call) => call("thread/goal/clear", { threadId })),
  );
  await scenario("a pause does not outrank a spent budget", [{ text: "spent it" }], async (threadId, call) => {
    const from = client.notifications.length;
    await call("thread/goal/set", { threadId, objective: "a goal spent at once", tokenBudget: 5 });
    const isSpent = () =>
      client.notifications
        .slice(from)
        .some((n) => n.method === "thread/goal/updated" && n.params.goal.status === "budgetLimited");
    for (const deadline = Date.now() + 10_000; !isSpent() && Date.now() < deadline; ) await sleep(20);
    await sleep(300);
    await call("thread/goal/set", { threadId, status: "paused" });
  });
  clearInterval(answering);
  return transcript;
}

describe("goals at work, beside the 0.171.0 binary", () => {
  const besideListener = listenerBesideStackForSuite("goal-flows");

  test("the same goal tools' answers, accounting, notifications and answers, value by value", async () => {
    const { theirs, ours } = await playOnBothSides(besideListener(), { tenant: "t-goals", subject: "goal-user" }, play);
    // Read off the binary, so the comparison below compares what matters.
    const completed = (theirs["no budget: the model completes the goal"] as Record<string, any>[])
      .filter((entry) => entry["thread/goal/updated"])
      .map((entry) => entry["thread/goal/updated"].goal);
    assert.deepEqual(
      completed.map((goal) => goal.status),
      ["active", "active", "complete"],
      "set, accounted after the tool call, completed; nothing after",
    );
    assert.ok(completed[1].tokensUsed > 0);
    assert.equal(completed[2].tokensUsed, completed[1].tokensUsed, "the answer after completing is not the goal's");
    assert.equal(theirs["the budget spent in the middle of a turn: told of the goal mid-turn"], true);
    assert.equal(theirs["a client edits the objective mid-turn: told of the goal mid-turn"], true);
    assert.deepEqual(theirs["a user turn: the goal tools without a goal, then one created: the goal tools' answers"], [
      '"g1: {\\"goal\\":null,\\"remainingTokens\\":null,\\"completionBudgetReport\\":null}"',
      '"g2: cannot update goal because this thread has no goal"',
      '"g3: missing field `objective` at line 1 column 2"',
      expectAnswer(theirs, "g4"),
      '"g5: cannot create a new goal because this thread has an unfinished goal; complete the existing goal first"',
      expectAnswer(theirs, "g6"),
    ]);
    for (const label of Object.keys(theirs)) assert.deepEqual(ours[label], theirs[label], label);
    // A goal's fields come in Codex's order, as the binary sends them (a stored goal is read back in jsonb's).
    const goalRead = (transcript: Record<string, unknown>) =>
      (transcript["the model pauses the goal"] as Record<string, any>[]).at(-1)?.["answer to thread/goal/get"].goal;
    assert.deepEqual(Object.keys(goalRead(ours)), Object.keys(goalRead(theirs)));
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
  });

  test("every result and notification matched the official schema", () => assertConformant());
});

/** The binary's answer to call `callId` in the create scenario (a goal, checked by the comparison). */
function expectAnswer(transcript: Record<string, unknown>, callId: string): string {
  const answers = transcript["a user turn: the goal tools without a goal, then one created: the goal tools' answers"] as string[];
  const answer = answers.find((entry) => entry.startsWith(`"${callId}: {`));
  assert.ok(answer, `${callId} answered with a goal`);
  return answer;
}
