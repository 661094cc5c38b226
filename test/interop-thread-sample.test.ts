// thread/sample and thread/sample/cancel beside the real `codex app-server` 0.171.0, both sides on
// one scripted Responses server: the same refusals in the same order, the same answers for what the
// model does (text, a tool call, nothing, a failure of each kind), the
// same model request (the thread's history, then the prompt, under the thread's prompt cache key),
// nothing recorded or announced, a sample of a running turn with a note after its history, and a
// cancelled sample answered `sample canceled`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type BesideCodex,
  besideCodexScripted,
  idNamer,
  inputLines,
  type Side,
  sideCall,
  sidesOf,
  threadWithTurns,
} from "./harness/beside-codex.js";
import type { ScriptedResponses, ScriptStep } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

/** The JSON-RPC id the side's next request goes with (both harness clients count from 1). */
function nextRequestId(beside: BesideCodex, side: Side): number {
  const holder = (side.name === "codex" ? beside.codex : beside.client) as unknown as { nextId: number };
  return holder.nextId;
}

async function play(beside: BesideCodex, side: Side, provider: ScriptedResponses) {
  const record: Record<string, unknown> = {};
  const name = idNamer();
  const outcome = (reply: { result?: any; error?: { code: number; message: string } }) =>
    JSON.parse(name(JSON.stringify(reply.error ? { code: reply.error.code, message: reply.error.message } : reply.result)));
  /** A sample's answer, and how many model requests it made. */
  const sample = async (label: string, params: Record<string, unknown>, steps: ScriptStep[] = []) => {
    provider.script(...steps);
    const before = provider.requests.length;
    const reply = await side.request("thread/sample", params);
    record[label] = { answer: outcome(reply), modelRequests: provider.requests.length - before };
    return { reply, request: provider.requests[before] as Record<string, unknown> | undefined };
  };
  const unknown = "00000000-0000-4000-8000-000000000000";
  await sample("no params", {});
  await sample("malformed id", { threadId: "nope", expectedTurnId: "x", prompt: "hi" });
  await sample("unknown thread, blank prompt", { threadId: unknown, expectedTurnId: "x", prompt: " " });
  await sample("empty effort", { threadId: unknown, expectedTurnId: "x", prompt: "p", effort: "" });
  const ephemeral = (await sideCall(side, "thread/start", { ephemeral: true })).thread.id;
  await sample("ephemeral, blank prompt", { threadId: ephemeral, expectedTurnId: "x", prompt: " " });
  await sample("ephemeral", { threadId: ephemeral, expectedTurnId: "x", prompt: "p" });
  const fresh = (await sideCall(side, "thread/start", {})).thread.id;
  await sample("nothing recorded", { threadId: fresh, expectedTurnId: "x", prompt: "p" });
  await sideCall(side, "thread/name/set", { threadId: fresh, name: "named" });
  await sample("named, no turns", { threadId: fresh, expectedTurnId: "x", prompt: "p" });

  const { threadId, turnIds } = await threadWithTurns(side, provider, beside.serverCwd, ["first", "second"]);
  const latest = turnIds[1] as string;
  const on = (prompt: string, extra: Record<string, unknown> = {}) => ({ threadId, expectedTurnId: latest, prompt, ...extra });
  await sample("an earlier turn", { ...on("hi"), expectedTurnId: turnIds[0] });
  await sample("4,001 bytes", on(`${"x".repeat(3_999)}é`));
  const readBefore = await sideCall(side, "thread/read", { threadId, includeTurns: true });
  const heard = side.heardFrom();
  const answered = await sample("text", on("what now?"), [{ text: "sampled answer" }]);
  record["text: what the model was sent"] = inputLines(answered.request);
  record["text: under the thread's prompt cache key"] = answered.request?.prompt_cache_key === threadId;
  await sample("4,000 bytes", on("x".repeat(4_000)), [{ text: "long" }]);
  await sample("a tool call", on("tool?"), [{ toolCall: { name: "exec_command", arguments: { cmd: "ls" } } }]);
  await sample("text and a tool call", on("both?"), [{ text: "before", toolCall: { name: "exec_command", arguments: {} } }]);
  await sample("no text", on("empty?"), [{ text: "" }]);
  await sample("response.failed", on("f1"), [{ responseFailed: { message: "boom" } }]);
  await sample("response.failed, overloaded", on("f2"), [{ responseFailed: { message: "boom", code: "server_is_overloaded" } }]);
  await sample("response.incomplete", on("f3"), [{ responseIncomplete: "max_output_tokens", text: "cut" }]);
  await sample("HTTP 400", on("f4"), [{ failStatus: 400 }]);
  // Both sides' provider has no retries: one request, and the step after the failure is left for the next sample.
  await sample("HTTP 500, then text", on("f5"), [{ failStatus: 500 }, { text: "after the failure" }]);
  await sample("the next sample", on("f6"));
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Besides the answers: nothing (a sample announces nothing).
  record["heard while sampling"] = heard()
    .map((message) => message.method)
    .filter((method) => method !== "answer");
  const readAfter = await sideCall(side, "thread/read", { threadId, includeTurns: true });
  record["the thread unchanged"] = JSON.stringify(readAfter) === JSON.stringify(readBefore);

  // A running turn.
  provider.script({ text: "slow", delayMs: 2_500 });
  const running = (
    await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "slow turn", text_elements: [] }] })
  ).turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 300));
  await sample("turn running", { ...on("p"), expectedTurnId: running });
  await sample("turn running, allowed, an earlier turn", on("p", { allowInProgressTurn: true }));
  const mid = await sample("turn running, allowed", { ...on("mid"), expectedTurnId: running, allowInProgressTurn: true }, [
    { text: "mid-turn" },
  ]);
  record["mid-turn: what the model was sent last"] = inputLines(mid.request)
    .slice(-3)
    .map((line) => line.replace(/<thread_snapshot>[\s\S]*<\/thread_snapshot>/, "<thread_snapshot>…</thread_snapshot>"));
  await side.turnCompleted(running);

  // Cancelled: the sample's model call hangs until the cancel names its request id.
  provider.script({ text: "never", stall: true });
  const requestId = nextRequestId(beside, side);
  const stalled = side.request("thread/sample", { ...on("stall"), expectedTurnId: running });
  await new Promise((resolve) => setTimeout(resolve, 500));
  record["cancel"] = outcome(await side.request("thread/sample/cancel", { requestId }));
  record["cancelled sample"] = outcome(await stalled);
  record["cancel again"] = outcome(await side.request("thread/sample/cancel", { requestId }));
  record["cancel, unknown field"] = outcome(await side.request("thread/sample/cancel", { requestId: 3, x: 1 }));
  record["cancel, null id"] = outcome(await side.request("thread/sample/cancel", { requestId: null }));
  record["cancel, no params"] = outcome(await side.request("thread/sample/cancel", undefined));
  return record;
}

describe("thread/sample, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("thread-sample"));
  });
  after(async () => beside?.stop());

  test("the same refusals, answers, model requests and cancel as the binary; nothing recorded", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const theirs = await play(beside, codex, provider);
    const ours = await play(beside, switchyard, provider);
    // Read off the binary, so the comparison below compares what matters.
    const {
      sourceTurnId: _turn,
      responseId: _response,
      ...sampled
    } = (theirs.text as { answer: Record<string, unknown> }).answer;
    assert.deepEqual(sampled, { text: "sampled answer", inputTokens: 12, cachedInputTokens: 0, outputTokens: 14 });
    assert.deepEqual((theirs["text: what the model was sent"] as string[]).slice(-5), [
      "message/user: first",
      "message/assistant: answer first",
      "message/user: second",
      "message/assistant: answer second",
      "message/user: what now?",
    ]);
    assert.deepEqual((theirs["HTTP 500, then text"] as { modelRequests: number }).modelRequests, 1);
    assert.deepEqual(theirs["cancelled sample"], { code: -32603, message: "sample canceled" });
    assert.deepEqual(theirs["heard while sampling"], []);
    assert.equal(theirs["the thread unchanged"], true);
    // Codex opens its requests with its own built-in texts, which Switchyard does not carry: compared
    // from the thread's first message on.
    const fromFirstMessage = (lines: string[]) => lines.slice(lines.indexOf("message/user: first"));
    ours["text: what the model was sent"] = fromFirstMessage(ours["text: what the model was sent"] as string[]);
    theirs["text: what the model was sent"] = fromFirstMessage(theirs["text: what the model was sent"] as string[]);
    // Response ids are the provider's, counted across both sides' requests.
    for (const record of [theirs, ours]) {
      for (const entry of Object.values(record)) {
        const answer = (entry as { answer?: { responseId?: string } })?.answer;
        if (answer?.responseId) answer.responseId = "<response>";
      }
    }
    assert.deepEqual(ours, theirs);
    assertConformant();
  });
});
