// What the model sees after a compaction, beside the real `codex app-server` 0.171.0 on one scripted
// Responses server: the user's earlier messages kept ahead of the summary (not an earlier summary,
// not an interrupted turn's note), the developer instructions moved before the last kept message, a
// second compaction keeping the first one's kept messages too, an interrupted turn's note, and the
// model's reasoning sent back to it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexScripted, type Side, sideCall, sidesOf } from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const DEVELOPER = "Answer in haiku (the developer's note).";

/**
 * A model request's input as lines, past Codex's own texts (its built-in developer messages and
 * environment context, which Switchyard does not carry): the user's and assistant's messages, the
 * developer message that holds the thread's developer instructions, and the interrupted turn's note.
 */
function modelLines(request: Record<string, unknown> | undefined): string[] {
  const input = (request?.input ?? []) as {
    type?: string;
    role?: string;
    content?: { text?: string }[];
    summary?: { text?: string }[];
    encrypted_content?: unknown;
  }[];
  return input.flatMap((item) => {
    // The model's own reasoning goes back to it, as Codex sends it (no encrypted content here).
    if (item.type === "reasoning") {
      return [`reasoning: ${item.summary?.map((part) => part.text).join("")} (encrypted: ${item.encrypted_content})`];
    }
    if (item.type !== "message") return [];
    const text = item.content?.map((part) => part.text ?? "").join("") ?? "";
    if (item.role === "developer") {
      if (text.includes(DEVELOPER)) return ["developer: the developer instructions"];
      return text.startsWith("<turn_aborted>") ? [`developer: ${text}`] : [];
    }
    return text.includes("<environment_context>") ? [] : [`${item.role}: ${text}`];
  });
}

async function play(side: Side, provider: ScriptedResponses, cwd: string) {
  const record: Record<string, unknown> = {};
  const threadId = (await sideCall(side, "thread/start", { cwd, developerInstructions: DEVELOPER })).thread.id as string;
  const turn = async (text: string) => {
    const before = provider.requests.length;
    const id = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text, text_elements: [] }] })).turn
      .id as string;
    await side.turnCompleted(id);
    return provider.requests[before] as Record<string, unknown>;
  };
  const compact = async (summary: string) => {
    provider.script({ text: summary });
    const heard = side.heardFrom();
    await sideCall(side, "thread/compact/start", { threadId });
    for (let waited = 0; waited < 10_000; waited += 50) {
      if (heard().some((message) => message.method === "turn/completed")) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${side.name}: the compaction did not complete`);
  };
  provider.script({ text: "answer first", reasoningSummary: "thinking it over" }, { text: "answer second" });
  await turn("first");
  await turn("second");
  await sideCall(side, "thread/inject_items", {
    threadId,
    items: [{ type: "message", role: "user", content: [{ type: "input_text", text: "injected by the client" }] }],
  });
  provider.script({ text: "never", stall: true });
  const stalled = (
    await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "cut short", text_elements: [] }] })
  ).turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 300));
  await sideCall(side, "turn/interrupt", { threadId, turnId: stalled });
  await side.turnCompleted(stalled);
  provider.script({ text: "answer before" });
  record["before any compaction"] = modelLines(await turn("before"));
  await compact("first summary");
  provider.script({ text: "answer next" });
  record["after a compaction"] = modelLines(await turn("next"));
  await compact("second summary");
  provider.script({ text: "answer last" });
  record["after a second compaction"] = modelLines(await turn("last"));
  return record;
}

describe("the history after a compaction, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("compaction-history"));
  });
  after(async () => beside?.stop());

  test("the same kept messages, summary and placement of the instructions as the binary", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const theirs = await play(codex, provider, beside.serverCwd);
    const ours = await play(switchyard, provider, beside.serverCwd);
    // Read off the binary, so the comparison below compares what matters.
    const after = theirs["after a compaction"] as string[];
    assert.deepEqual(after.slice(0, 3), ["user: first", "user: second", "user: injected by the client"]);
    assert.ok(after.at(-2)?.endsWith("first summary"));
    assert.deepEqual(ours, theirs);
    assertConformant();
  });
});
