// Turns with tools and input, beside the real `codex app-server` 0.171.0 (its websocket listener, one
// scripted Responses server): every notification, server request and answer compared value by value
// (ids named, times and each side's own environment left out) for dynamic tool calls answered with a
// result, an error and a result of the wrong shape, a tool the thread does not have, input steered
// in before the model answered and while it streamed (Codex abandons the call in flight and asks
// again with the input), structured output, an interrupt while the model streamed (its rate limits
// and the usage as it stands announced first), and a fork of the thread (its turns with their times).
// The model's side too: what each tool call's output told it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { recordingCall, transcriptView } from "./harness/beside-codex.js";
import type { CodexTestClient } from "./harness/client.js";
import { listenerBesideStackForSuite, playOnBothSides } from "./harness/codex-listener.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const TIMES = /^(startedAt|completedAt|durationMs|startedAtMs|completedAtMs|createdAt|updatedAt|recencyAt)$/;
/** What each side has of its own: its model and provider, version, paths and cwd, cursors' encoding. */
const OWN =
  /^(model|modelProvider|cliVersion|environments|originator|path|runtimeWorkspaceRoots|modelContextWindow|cwd|instructionSources|nextCursor|backwardsCursor)$/;
/** Notifications about the connection or the machine, not the turns. */
const NOT_COMPARED = new Set(["thread/readState/changed", "thread/started", "configWarning", "remoteControl/status/changed"]);

const TOOL = {
  name: "lookup_weather",
  description: "Weather in a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } } },
};
const text = (words: string) => [{ type: "text", text: words, text_elements: [] }];

async function play(client: CodexTestClient, provider: ScriptedResponses) {
  const transcript: Record<string, unknown[]> = {};
  const shown = transcriptView({ times: TIMES, own: OWN });
  let step: unknown[] = [];
  let heard = client.notifications.length;
  /**
   * What was heard since the last step, then a new step. A message's deltas are one entry, their
   * text joined; a message cut short by a steer or an interrupt (never completed) streamed as much as
   * it streamed before that arrived, which timing decides, so its text is not compared.
   */
  const nextStep = (label: string) => {
    const fresh = client.notifications.slice(heard).filter((message) => !NOT_COMPARED.has(message.method));
    const completedIds = new Set(
      fresh.filter((message) => message.method === "item/completed").map((message) => message.params.item.id),
    );
    let deltas: { itemId: string; delta: string } | undefined;
    for (const message of fresh) {
      if (message.method === "item/agentMessage/delta") {
        const joining = deltas;
        if (joining && joining.itemId === message.params.itemId) {
          joining.delta += message.params.delta;
          continue;
        }
        deltas = { ...message.params };
        step.push({ [message.method]: deltas });
        continue;
      }
      deltas = undefined;
      step.push({ [message.method]: message.params });
    }
    for (const [index, entry] of step.entries()) {
      const merged = (entry as Record<string, { itemId?: string; delta?: string }>)["item/agentMessage/delta"];
      if (merged && !completedIds.has(merged.itemId)) merged.delta = "<what streamed before it was cut short>";
      step[index] = shown(entry);
    }
    heard = client.notifications.length;
    step = [];
    transcript[label] = step;
  };
  const call = recordingCall(client, shown, () => step);
  const completed = async (turnId: string) => {
    await client.waitForNotification((n) => n.method === "turn/completed" && n.params.turn.id === turnId, 20_000);
  };
  const asked = new Set<number | string>();
  const toolCall = async () => {
    const request = await client.waitForServerRequest((r) => r.method === "item/tool/call" && !asked.has(r.id), 20_000);
    asked.add(request.id);
    step.push({ "item/tool/call": shown(request.params) });
    return request.id;
  };

  nextStep("a thread with a dynamic tool");
  const threadId = (await call("thread/start", { dynamicTools: [TOOL] })).thread.id as string;

  const toolTurn = async (label: string, callId: string, answer: (id: number | string) => void) => {
    nextStep(label);
    provider.clearScript();
    provider.script({ toolCall: { name: TOOL.name, arguments: { city: label }, callId } }, { text: `after ${callId}` });
    const turnId = (await call("turn/start", { threadId, input: text(label) })).turn.id as string;
    answer(await toolCall());
    await completed(turnId);
  };
  await toolTurn("a tool call answered", "call_1", (id) =>
    client.respond(id, { contentItems: [{ type: "inputText", text: "sunny" }], success: true }),
  );
  await toolTurn("a tool call answered with an error", "call_2", (id) =>
    client.respondError(id, { code: -32000, message: "no weather service here" }),
  );
  await toolTurn("a tool call answered with a result of the wrong shape", "call_3", (id) =>
    client.respond(id, { nonsense: true }),
  );
  const outputs = ((provider.requests.at(-1)?.input ?? []) as { type: string; call_id?: string; output?: unknown }[]).filter(
    (item) => item.type === "function_call_output",
  );
  transcript["what the model was told of the tool calls"] = outputs.map(({ call_id, output }) => ({ call_id, output }));

  nextStep("a tool the thread does not have");
  provider.clearScript();
  provider.script({ toolCall: { name: "no_such_tool", arguments: {}, callId: "call_4" } }, { text: "without the tool" });
  let turnId = (await call("turn/start", { threadId, input: text("an unknown tool") })).turn.id as string;
  await completed(turnId);

  const steered = async (label: string, first: Parameters<ScriptedResponses["script"]>[0], afterMs: number) => {
    nextStep(label);
    provider.clearScript();
    provider.script(first, { text: "with the steer" });
    const id = (await call("turn/start", { threadId, input: text(label) })).turn.id as string;
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    await call("turn/steer", { threadId, input: text("and also this"), expectedTurnId: id });
    await completed(id);
    transcript[`${label}: the last request's messages`] = ((provider.requests.at(-1)?.input ?? []) as Record<string, any>[])
      .filter((item) => item.type === "message" && item.role !== "developer")
      .map((item) => `${item.role}: ${item.content.map((part: { text: string }) => part.text).join("")}`)
      .filter((said: string) => !said.includes("<environment_context>"));
  };
  await steered("input steered in before the model answered", { text: "never shown", delayMs: 800 }, 200);
  await steered(
    "input steered in while the model streamed",
    { generatedDeltas: { count: 8, gapMs: 150, makeDelta: (index) => `part${index} ` } },
    500,
  );

  nextStep("structured output");
  provider.clearScript();
  provider.script({ text: '{"answer":42}' });
  const schema = {
    type: "object",
    properties: { answer: { type: "number" } },
    required: ["answer"],
    additionalProperties: false,
  };
  turnId = (await call("turn/start", { threadId, input: text("the answer"), outputSchema: schema })).turn.id as string;
  await completed(turnId);

  nextStep("an interrupt while the model streamed");
  provider.clearScript();
  provider.script({ generatedDeltas: { count: 20, gapMs: 150, makeDelta: (index) => `word${index} ` } });
  turnId = (await call("turn/start", { threadId, input: text("interrupt me") })).turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 500));
  await call("turn/interrupt", { threadId, turnId });
  await completed(turnId);

  nextStep("a fork of the thread");
  await call("thread/fork", { threadId });
  await new Promise((resolve) => setTimeout(resolve, 300)); // its usage follows its answer
  nextStep("end");
  return transcript;
}

describe("turns with tools and input, beside the 0.171.0 binary", () => {
  const besideListener = listenerBesideStackForSuite("turn-flows");

  test("the same notifications, server requests and answers, value by value", async () => {
    const { theirs, ours } = await playOnBothSides(besideListener(), { tenant: "t-flows", subject: "flows-user" }, play);
    // Read off the binary, so the comparison below compares what matters.
    assert.deepEqual(theirs["what the model was told of the tool calls"], [
      { call_id: "call_1", output: "sunny" },
      { call_id: "call_2", output: "dynamic tool request failed" },
      { call_id: "call_3", output: "dynamic tool response was invalid" },
    ]);
    // Nothing of the abandoned call reaches the model: the steer follows the turn's own input.
    const asked = theirs["input steered in while the model streamed: the last request's messages"] as string[];
    assert.deepEqual(asked.slice(-2), ["user: input steered in while the model streamed", "user: and also this"]);
    for (const label of Object.keys(theirs)) assert.deepEqual(ours[label], theirs[label], label);
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
