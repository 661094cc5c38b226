// thread/revert against the real `codex app-server` 0.171.0: the same conversation on both sides (the
// same scripted Responses server answers both), then the same reverts. Both must keep the same
// history, say the same things in the same order around the answer, give the next turn's model only
// what was kept, and refuse what the binary refuses in its words.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type BesideCodex,
  besideCodexScripted,
  sideCall as call,
  type Heard,
  type Side,
  sidesOf,
  threadWithTurns,
} from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const text = (value: string) => [{ type: "text", text: value, text_elements: [] }];

/** The user messages' texts of a Responses request's input, context blocks left out. */
function userTexts(body: Record<string, unknown>): string[] {
  const input = (body.input ?? []) as { type?: string; role?: string; content?: { text?: string }[] }[];
  return input
    .filter((entry) => entry.type === "message" && entry.role === "user")
    .flatMap((entry) => (entry.content ?? []).map((part) => part.text ?? ""))
    .filter((value) => !value.startsWith("<"));
}

describe("thread/revert beside codex app-server 0.171.0", () => {
  let sides: BesideCodex;
  let provider: ScriptedResponses;
  let codex: Side;
  let switchyard: Side;

  before(async () => {
    ({ sides, provider } = await besideCodexScripted("thread-revert"));
    ({ codex, switchyard } = sidesOf(sides));
  });
  after(async () => {
    await sides?.stop();
  });

  /** What a side said, by method, with the status a status change names (`thread/status/changed:idle`). */
  const said = (heard: Heard[]) =>
    heard.map((frame) => {
      const status = frame.params?.status?.type;
      return typeof status === "string" ? `${frame.method}:${status}` : frame.method;
    });

  /** A thread with one turn per prompt (each answered "answer <prompt>"); its id and its turns' ids. */
  const conversation = (side: Side, prompts: string[], start: Record<string, unknown> = {}) =>
    threadWithTurns(side, provider, sides.serverCwd, prompts, start);

  const promptsOf = (thread: { turns: { items: { type: string; content?: { text: string }[] }[] }[] }) =>
    thread.turns.flatMap((turn) =>
      turn.items.filter((item) => item.type === "userMessage").map((item) => item.content?.[0]?.text),
    );

  test("a revert keeps the turns before the one named, on both sides alike", async () => {
    for (const side of [codex, switchyard]) {
      const { threadId, turnIds } = await conversation(side, ["one", "two", "three"]);
      await call(side, "thread/name/set", { threadId, name: "kept" });
      const heard = side.heardFrom();
      const answer = await call(side, "thread/revert", { threadId, beforeTurnId: turnIds[1] });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        said(heard()).filter((method) => !method.startsWith("thread/name") && !method.startsWith("remoteControl/")),
        ["thread/status/changed:notLoaded", "thread/status/changed:idle", "answer", "thread/reverted"],
        `${side.name}: what is said around the answer`,
      );
      assert.deepEqual(answer.thread.turns, [], side.name);
      assert.equal(answer.thread.name, "kept", side.name);
      assert.equal(answer.thread.preview, "one", side.name);
      assert.deepEqual(answer.thread.status, { type: "idle" }, side.name);
      assert.ok(answer.turnsBackwardsCursor && answer.itemsBackwardsCursor, `${side.name}: cursors to what is kept`);
      const read = await call(side, "thread/read", { threadId, includeTurns: true });
      assert.deepEqual(promptsOf(read.thread), ["one"], side.name);
      assert.equal((await call(side, "thread/turns/list", { threadId })).data.length, 1, side.name);
      // The reverted turn is gone for good.
      const again = await side.request("thread/revert", { threadId, beforeTurnId: turnIds[2] });
      assert.equal(again.error?.message, `turn not found: ${turnIds[2]}`, side.name);

      // The next turn's model sees what was kept and the new prompt, nothing reverted.
      provider.script({ text: "answer four" });
      const next = (await call(side, "turn/start", { threadId, input: text("four") })).turn.id as string;
      await side.turnCompleted(next);
      assert.deepEqual(userTexts(provider.requests.at(-1) as Record<string, unknown>), ["one", "four"], side.name);

      // Reverting before the first turn empties the history; the preview stays, as Codex keeps it.
      const emptied = await call(side, "thread/revert", { threadId, beforeTurnId: turnIds[0] });
      assert.deepEqual([emptied.turnsBackwardsCursor, emptied.itemsBackwardsCursor], [null, null], side.name);
      const empty = await call(side, "thread/read", { threadId, includeTurns: true });
      assert.deepEqual([empty.thread.turns, empty.thread.preview, empty.readState.firstUnread], [[], "one", null], side.name);
    }
    assertConformant();
  });

  test("refusals in the binary's words", async () => {
    const refusals = async (side: Side) => {
      const { threadId, turnIds } = await conversation(side, ["kept"]);
      const legacy = await conversation(side, ["legacy"], { historyMode: "legacy" });
      const ephemeral = await conversation(side, [], { ephemeral: true });
      const archived = await conversation(side, ["archived"]);
      await call(side, "thread/archive", { threadId: archived.threadId });
      const cases: [string, unknown][] = [
        ["unknown turn", { threadId, beforeTurnId: "019a0000-0000-7000-8000-000000000000" }],
        ["not a turn id", { threadId, beforeTurnId: "nope" }],
        ["unknown thread", { threadId: "019a0000-0000-7000-8000-000000000000", beforeTurnId: turnIds[0] }],
        ["bad thread id", { threadId: "bad", beforeTurnId: turnIds[0] }],
        ["archived", { threadId: archived.threadId, beforeTurnId: archived.turnIds[0] }],
        ["legacy history", { threadId: legacy.threadId, beforeTurnId: legacy.turnIds[0] }],
        ["ephemeral", { threadId: ephemeral.threadId, beforeTurnId: turnIds[0] }],
        ["no beforeTurnId", { threadId }],
      ];
      const answers: string[] = [];
      for (const [what, params] of cases) {
        const reply = await side.request("thread/revert", params);
        const shown = JSON.stringify(params).replaceAll(/[0-9a-f]{8}-[0-9a-f-]{27}/g, (id) =>
          id === "019a0000-0000-7000-8000-000000000000" ? id : "<id>",
        );
        answers.push(
          `${what} ${shown}: ${reply.error?.code} ${reply.error?.message.replaceAll(/[0-9a-f]{8}-[0-9a-f-]{27}/g, (id) => (id.startsWith("019a0000") ? id : "<id>"))}`,
        );
      }
      return answers;
    };
    assert.deepEqual(await refusals(switchyard), await refusals(codex));
    assertConformant();
  });
});
