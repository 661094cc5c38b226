// What a client adds to a thread's model history without a turn (thread/inject_items, thread/resume
// with `history`), beside the real `codex app-server` 0.171.0 on one scripted Responses server: the
// model sees it, in order, on the next turn, but no thread item shows it, thread/list does not list
// the thread for it, and thread/search does not find it; resume's history gives the thread its preview,
// an injection does not. A goal lists a thread with its objective as the preview, which a later
// turn keeps.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexScripted, type Side, sideCall, sidesOf } from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const user = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const assistant = (text: string) => ({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });

async function play(side: Side, provider: ScriptedResponses, word: string): Promise<Record<string, unknown>> {
  const record: Record<string, unknown> = {};
  const labels = new Map<string, string>();
  const start = async (label: string) => {
    const id = (await sideCall(side, "thread/start", {})).thread.id as string;
    labels.set(id, label);
    return id;
  };
  const shown = async (threadId: string) => {
    const read = (await sideCall(side, "thread/read", { threadId, includeTurns: true })).thread;
    return {
      preview: read.preview,
      items: read.turns.flatMap((turn: { items: { type: string }[] }) => turn.items.map((item) => item.type)),
    };
  };
  const turn = async (threadId: string, prompt: string) => {
    provider.script({ text: `re ${prompt}` });
    const before = provider.requests.length;
    const turnId = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: prompt, text_elements: [] }] }))
      .turn.id as string;
    await side.turnCompleted(turnId);
    const input = (provider.requests[before] as { input: { role?: string; content?: { text?: string }[] }[] }).input;
    // From the thread's own history on (Codex opens its requests with built-in texts Switchyard does not carry).
    // The conversation's messages and reasoning (an injected one without encrypted content goes on
    // as Codex sends it), past Codex's built-in texts (developer messages, the environment context),
    // which Switchyard does not carry.
    const lines = (input as { type?: string; role?: string; content?: { text?: string }[]; summary?: unknown }[])
      .filter((item) => item.role === "user" || item.role === "assistant" || item.type === "reasoning")
      .map((item) =>
        item.type === "reasoning"
          ? `reasoning: ${JSON.stringify({ summary: item.summary, content: item.content, encrypted: (item as { encrypted_content?: unknown }).encrypted_content })}`
          : `${item.role}: ${item.content?.map((part) => part.text).join("") ?? ""}`,
      )
      .filter((line) => !line.startsWith("user: <environment_context>"));
    return lines.slice(lines.findIndex((line) => line.includes(word)));
  };

  const injected = await start("injected");
  await sideCall(side, "thread/inject_items", {
    threadId: injected,
    items: [user(`${word} injected question`), { type: "reasoning", summary: [] }, assistant(`${word} injected answer`)],
  });
  record["injected: shown"] = await shown(injected);
  record["injected: turns/list"] = (await sideCall(side, "thread/turns/list", { threadId: injected })).data;

  const resumedId = randomUUID();
  const resumed = (
    await sideCall(side, "thread/resume", {
      threadId: resumedId,
      history: [user(`${word} history question`), assistant("history answer")],
    })
  ).thread;
  labels.set(resumed.id, "resumed with history");
  record["resumed: answer"] = { preview: resumed.preview, turns: resumed.turns };
  record["resumed: shown"] = await shown(resumed.id);

  const goal = await start("goal");
  await sideCall(side, "thread/goal/set", { threadId: goal, objective: `${word} objective`, status: "paused" });
  const goalThenTurn = await start("goal, then a turn");
  await sideCall(side, "thread/goal/set", { threadId: goalThenTurn, objective: `${word} first objective`, status: "paused" });

  await new Promise((resolve) => setTimeout(resolve, 300));
  const listed = (await sideCall(side, "thread/list", {})).data as { id: string; preview: string }[];
  record.listed = listed.filter((entry) => labels.has(entry.id)).map((entry) => [labels.get(entry.id), entry.preview]);
  const found = (await sideCall(side, "thread/search", { searchTerm: `${word} injected` })).data as { thread: { id: string } }[];
  record["search for the injected text"] = found.map((hit) => labels.get(hit.thread.id) ?? "other");

  record["injected: what the next turn's model sees"] = await turn(injected, `${word} next`);
  record["injected: shown after a turn"] = await shown(injected);
  record["resumed: what the next turn's model sees"] = await turn(resumed.id, `${word} after history`);
  await turn(goalThenTurn, `${word} the turn`);
  record["goal, then a turn: preview"] = (await shown(goalThenTurn)).preview;
  return record;
}

describe("history added without a turn, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("model-history"));
  });
  after(async () => beside?.stop());

  test("the model sees it; no item, list entry or search hit shows it; a goal's objective is a preview", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const theirs = await play(codex, provider, "zebra");
    const ours = await play(switchyard, provider, "zebra");
    // Read off the binary, so the comparison below compares what matters.
    assert.deepEqual(theirs["injected: shown"], { preview: "", items: [] });
    assert.deepEqual(theirs["search for the injected text"], []);
    assert.deepEqual((theirs["injected: what the next turn's model sees"] as string[]).slice(0, 4), [
      "user: zebra injected question",
      'reasoning: {"summary":[],"content":null,"encrypted":null}',
      "assistant: zebra injected answer",
      "user: zebra next",
    ]);
    assert.deepEqual(ours, theirs);
    assertConformant();
  });
});
