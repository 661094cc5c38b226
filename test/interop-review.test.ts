// review/start beside the real `codex app-server` 0.171.0, both sides on one scripted Responses
// server: the same refusals in the same order, the same answer (the review's turn with its label),
// the same items for each kind of reviewer answer (findings, none, prose, nothing, a failure), the
// review's prompt as the model gets it, a running turn interrupted by a review, and what the next
// turn's model sees of the review.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type BesideCodex,
  besideCodexScripted,
  type Heard,
  idNamer,
  inputLines,
  type Side,
  sideCall,
  sidesOf,
  threadWithTurns,
} from "./harness/beside-codex.js";
import type { ScriptedResponses, ScriptStep } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

/** What a side said of a review, item by item: the items' kinds and texts, the turn's ending. */
function transcript(heard: Heard[]): string[] {
  return heard.flatMap((message) => {
    const item = message.params?.item;
    if (item) {
      const text = item.review ?? item.text ?? item.content?.map((part: { text?: string }) => part.text).join("") ?? "";
      return [`${message.method} ${item.type}: ${text}`];
    }
    if (message.method === "turn/completed") {
      const turn = message.params.turn;
      return [`turn/completed ${turn.status} ${turn.itemsView} ${turn.items.map((item: { text?: string }) => item.text)}`];
    }
    // Which notifications come, in order, is compared apart from their fields; a turn's
    // `turn/started` names the review's own turn here and the reviewer's sub-turn in Codex.
    if (["answer", "thread/status/changed", "error", "turn/started"].includes(message.method)) return [message.method];
    return [];
  });
}

const finding = (title: string, start: number, end: number) => ({
  title,
  body: `why ${title}\nsecond line`,
  confidence_score: 0.6,
  priority: 1,
  code_location: { absolute_file_path: "/src/app.ts", line_range: { start, end } },
});
const verdict = (findings: unknown[], explanation: string) =>
  JSON.stringify({
    findings,
    overall_correctness: "patch is incorrect",
    overall_explanation: explanation,
    overall_confidence_score: 0.7,
  });

async function play(side: Side, provider: ScriptedResponses, cwd: string) {
  const record: Record<string, unknown> = {};
  const name = idNamer();
  const outcome = (reply: { result?: any; error?: { code: number; message: string } }) =>
    JSON.parse(name(JSON.stringify(reply.error ? { code: reply.error.code, message: reply.error.message } : reply.result)));
  const unknown = "00000000-0000-4000-8000-000000000000";
  const refused = async (label: string, params: unknown) => {
    record[label] = outcome(await side.request("review/start", params));
  };
  await refused("no params", {});
  await refused("no target", { threadId: unknown });
  await refused("malformed id", { threadId: "nope", target: { type: "custom", instructions: "x" } });
  await refused("unknown target type", { threadId: unknown, target: { type: "nope" } });
  await refused("custom without instructions", { threadId: unknown, target: { type: "custom" } });
  await refused("detached", { threadId: unknown, target: { type: "custom", instructions: "x" }, delivery: "detached" });
  await refused("unknown thread, blank", { threadId: unknown, target: { type: "custom", instructions: " " } });
  // The config's `review_model` is the model reviews run.
  const { threadId } = await threadWithTurns(side, provider, cwd, ["first"], { config: { review_model: "gpt-review-test" } });
  await refused("blank instructions", { threadId, target: { type: "custom", instructions: "  \n" } });
  await refused("blank sha", { threadId, target: { type: "commit", sha: " " } });
  await refused("blank branch", { threadId, target: { type: "baseBranch", branch: "" } });

  const review = async (label: string, target: unknown, steps: ScriptStep[]) => {
    provider.script(...steps);
    const heard = side.heardFrom();
    const before = provider.requests.length;
    const reply = await side.request("review/start", { threadId, target, delivery: "inline" });
    record[`${label}: answer`] = outcome(reply);
    await side.turnCompleted(reply.result.turn.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    record[`${label}: heard`] = transcript(heard());
    const request = provider.requests[before] as Record<string, unknown> | undefined;
    // Codex opens with its own built-in texts, which Switchyard does not carry: the prompt is compared.
    record[`${label}: the model's prompt`] = inputLines(request).slice(-1);
    record[`${label}: model requests`] = provider.requests.length - before;
    return request;
  };
  const first = await review("two findings", { type: "uncommittedChanges" }, [
    { text: verdict([finding("[P1] Token not checked", 4, 4), finding("Leak", 10, 12)], "Two problems.") },
  ]);
  // Codex gives its reviewer its own tools (a shell in its working tree); Switchyard's gets none.
  if (side.name === "switchyard") assert.equal((first?.tools as unknown[] | undefined)?.length ?? 0, 0);
  record["the review's request"] = {
    cacheKeyIsThread: first?.prompt_cache_key === threadId,
    // Effort and the default model are each side's catalog's (Switchyard ships none): not compared.
    model: first?.model,
    history: inputLines(first).some((line) => line.includes("answer first")),
  };
  await review("one finding", { type: "commit", sha: " 0123456789abcdef ", title: " Fix login " }, [
    { text: verdict([finding("Off by one", 7, 9)], "") },
  ]);
  await review("no findings", { type: "commit", sha: "abc" }, [{ text: verdict([], "Looks right.") }]);
  await review("nothing to say", { type: "custom", instructions: "  padded  " }, [{ text: verdict([], " ") }]);
  await review("prose", { type: "custom", instructions: "Check\nthe auth code" }, [{ text: "plain words" }]);
  await review("a verdict without its scores", { type: "custom", instructions: "x" }, [
    { text: JSON.stringify({ findings: [], overall_explanation: "partial" }) },
  ]);
  await review("no text", { type: "custom", instructions: "y" }, [{ text: "" }]);
  await review("failed", { type: "custom", instructions: "z" }, [{ failStatus: 400 }]);

  // What the next turn's model sees of the reviews.
  provider.script({ text: "after" });
  const before = provider.requests.length;
  const next = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "next", text_elements: [] }] })).turn
    .id as string;
  await side.turnCompleted(next);
  const lines = inputLines(provider.requests[before] as Record<string, unknown>);
  record["the next turn's model input"] = lines.slice(lines.indexOf("message/user: first"));

  // A review replaces a running turn: the turn ends interrupted, then the review runs.
  provider.script({ text: "never", stall: true }, { text: verdict([], "Replaced.") });
  const running = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "long", text_elements: [] }] }))
    .turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const heard = side.heardFrom();
  const replacing = await side.request("review/start", { threadId, target: { type: "custom", instructions: "now" } });
  await side.turnCompleted(replacing.result.turn.id);
  await new Promise((resolve) => setTimeout(resolve, 200));
  record["replacing a running turn"] = heard()
    .filter((message) => message.method === "turn/completed")
    .map((message) => `${message.params.turn.id === running ? "the running turn" : "the review"} ${message.params.turn.status}`);

  // Interrupted, by the turn id its turn/started names; a steer or a prompt meanwhile is refused.
  provider.script({ text: "never", stall: true });
  const interrupted = side.heardFrom();
  const stalled = await side.request("review/start", { threadId, target: { type: "custom", instructions: "stall" } });
  const stalledId = stalled.result.turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const steer = await side.request("turn/steer", {
    threadId,
    expectedTurnId: stalledId,
    input: [{ type: "text", text: "more", text_elements: [] }],
  });
  record["steering a review"] = JSON.parse(name(JSON.stringify(steer.error)));
  record["a prompt during a review"] = outcome(
    await side.request("turn/start", { threadId, input: [{ type: "text", text: "more", text_elements: [] }] }),
  );
  const announced = interrupted().find((message) => message.method === "turn/started")?.params.turn.id;
  record["interrupting a review"] = outcome(await side.request("turn/interrupt", { threadId, turnId: announced }));
  await side.turnCompleted(stalledId);
  await new Promise((resolve) => setTimeout(resolve, 200));
  record["an interrupted review: heard"] = transcript(interrupted()).filter((line) => line !== "answer");

  // A compaction replaces a running turn too, and takes no input either.
  provider.script({ text: "never", stall: true }, { text: "summary", delayMs: 1_500 });
  const compacting = side.heardFrom();
  const replaced = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "long", text_elements: [] }] }))
    .turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 300));
  record["compacting during a turn"] = outcome(await side.request("thread/compact/start", { threadId }));
  await side.turnCompleted(replaced);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const compaction = compacting().find((message) => message.method === "turn/started" && message.params.turn.id !== replaced)
    ?.params.turn.id as string;
  const steerCompaction = await side.request("turn/steer", {
    threadId,
    expectedTurnId: compaction,
    input: [{ type: "text", text: "more", text_elements: [] }],
  });
  record["steering a compaction"] = JSON.parse(name(JSON.stringify(steerCompaction.error)));
  record["a prompt during a compaction"] = outcome(
    await side.request("turn/start", { threadId, input: [{ type: "text", text: "more", text_elements: [] }] }),
  );
  await side.turnCompleted(compaction);
  record["compacting during a turn: endings"] = compacting()
    .filter((message) => message.method === "turn/completed")
    .map((message) => `${message.params.turn.id === replaced ? "the turn" : "the compaction"} ${message.params.turn.status}`);

  // What the next turn's model sees of the interrupted review and the interrupted turn.
  provider.script({ text: "after" });
  const afterInterrupts = provider.requests.length;
  const last = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "last", text_elements: [] }] })).turn
    .id as string;
  await side.turnCompleted(last);
  const lastLines = inputLines(provider.requests[afterInterrupts] as Record<string, unknown>);
  // Past Codex's own texts (its developer messages and environment context, which Switchyard does
  // not carry): what the compaction kept of the thread, the summary and the prompt.
  record["after the interrupts, the model's input"] = lastLines.filter(
    (line) => /^message\/(user|assistant): /.test(line) && !line.includes("<environment_context>"),
  );

  const read = await sideCall(side, "thread/read", { threadId, includeTurns: true });
  const reviewTurn = read.thread.turns.find((turn: { id: string }) => turn.id === replacing.result.turn.id);
  record["the review turn, read"] = reviewTurn.items.map((item: { type: string; review?: string; text?: string }) => [
    item.type,
    item.review ?? item.text,
  ]);
  await sideCall(side, "thread/archive", { threadId });
  await refused("archived", { threadId, target: { type: "custom", instructions: "u" } });
  return record;
}

describe("review/start, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("review"));
  });
  after(async () => beside?.stop());

  test("the same refusals, answers, review items, prompts and history as the binary", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const theirs = await play(codex, provider, beside.serverCwd);
    const ours = await play(switchyard, provider, beside.serverCwd);
    // Read off the binary, so the comparison below compares what matters.
    assert.deepEqual(theirs["two findings: heard"], [
      "answer",
      "item/started enteredReviewMode: current changes",
      "item/completed enteredReviewMode: current changes",
      "thread/status/changed",
      "turn/started",
      "item/started userMessage: Review the current code changes (staged, unstaged, and untracked files) and provide prioritized findings.",
      "item/completed userMessage: Review the current code changes (staged, unstaged, and untracked files) and provide prioritized findings.",
      "item/started agentMessage: ",
      "item/started exitedReviewMode: Two problems.\n\nFull review comments:\n\n- [P1] Token not checked — /src/app.ts:4-4\n  why [P1] Token not checked\n  second line\n\n- Leak — /src/app.ts:10-12\n  why Leak\n  second line",
      "item/completed exitedReviewMode: Two problems.\n\nFull review comments:\n\n- [P1] Token not checked — /src/app.ts:4-4\n  why [P1] Token not checked\n  second line\n\n- Leak — /src/app.ts:10-12\n  why Leak\n  second line",
      "item/started agentMessage: Two problems.\n\nFull review comments:\n\n- [P1] Token not checked — /src/app.ts:4-4\n  why [P1] Token not checked\n  second line\n\n- Leak — /src/app.ts:10-12\n  why Leak\n  second line",
      "item/completed agentMessage: Two problems.\n\nFull review comments:\n\n- [P1] Token not checked — /src/app.ts:4-4\n  why [P1] Token not checked\n  second line\n\n- Leak — /src/app.ts:10-12\n  why Leak\n  second line",
      "thread/status/changed",
      "turn/completed completed summary Two problems.\n\nFull review comments:\n\n- [P1] Token not checked — /src/app.ts:4-4\n  why [P1] Token not checked\n  second line\n\n- Leak — /src/app.ts:10-12\n  why Leak\n  second line",
    ]);
    assert.deepEqual(theirs["replacing a running turn"], ["the running turn interrupted", "the review completed"]);
    assert.deepEqual(ours, theirs);
    assertConformant();
  });
});
