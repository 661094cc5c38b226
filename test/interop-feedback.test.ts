// feedback/upload beside the real `codex app-server` 0.171.0. Offline, the binary's upload (to OpenAI)
// fails after its checks, and its feedback/save runs the same steps but writes the report to a file
// instead: so the refusals are compared upload against upload, and the answers (the thread as named,
// the prompt hash) Switchyard's upload against the binary's save. Switchyard keeps each upload for
// the deployment's operators (`thread.feedback`), which the binary's save does not show.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexScripted, idNamer, type Side, sideCall, sidesOf } from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

async function play(beside: BesideCodex, side: Side, provider: ScriptedResponses) {
  const record: Record<string, unknown> = {};
  const name = idNamer();
  const outcome = (reply: { result?: any; error?: { code: number; message: string } }) =>
    JSON.parse(
      name(JSON.stringify(reply.error ? { code: reply.error.code, message: reply.error.message } : reply.result)).replace(
        /no-active-thread-<\d+>/,
        "no-active-thread-<new id>",
      ),
    );
  let saved = 0;
  /** The binary's save (its upload cannot reach OpenAI from here), Switchyard's upload. */
  const send = (params: Record<string, unknown>) =>
    side.name === "codex"
      ? side.request("feedback/save", { ...params, savePath: join(beside.workspace, `feedback-${saved++}.zip`) })
      : side.request("feedback/upload", params);
  record["no params"] = outcome(await side.request("feedback/upload", {}));
  record["malformed thread id"] = outcome(await side.request("feedback/upload", { classification: "bug", threadId: "nope" }));
  record["classification a number"] = outcome(await side.request("feedback/upload", { classification: 5 }));
  record["tags not strings"] = outcome(await side.request("feedback/upload", { classification: "bug", tags: { a: 1 } }));

  const answer = (reply: { result?: any; error?: { code: number; message: string } }) => {
    const shown = outcome(reply);
    if (shown && typeof shown === "object" && "savedPath" in shown) delete shown.savedPath;
    return shown;
  };
  record["no thread"] = answer(await send({ classification: "bug", includeLogs: false }));
  record["an unknown thread"] = answer(await send({ classification: "bug", threadId: "00000000-0000-4000-8000-000000000000" }));
  const fresh = (await sideCall(side, "thread/start", {})).thread.id as string;
  record["a fresh thread"] = answer(await send({ classification: "good_result", threadId: fresh }));
  const based = (await sideCall(side, "thread/start", { baseInstructions: "  Be   brief.\n" })).thread.id as string;
  record["base instructions, nothing recorded"] = answer(await send({ classification: "bug", threadId: based }));
  provider.script({ text: "ok" });
  const turnId = (
    await sideCall(side, "turn/start", { threadId: based, input: [{ type: "text", text: "hi", text_elements: [] }] })
  ).turn.id as string;
  await side.turnCompleted(turnId);
  record["base instructions and a turn"] = answer(
    await send({ classification: "bad_result", reason: "too terse", threadId: based, tags: { turn: "1" }, includeLogs: true }),
  );
  const ephemeral = (await sideCall(side, "thread/start", { ephemeral: true, baseInstructions: "Be brief." })).thread
    .id as string;
  provider.script({ text: "ok" });
  const ephemeralTurn = (
    await sideCall(side, "turn/start", { threadId: ephemeral, input: [{ type: "text", text: "hi", text_elements: [] }] })
  ).turn.id as string;
  await side.turnCompleted(ephemeralTurn);
  record["an ephemeral thread"] = answer(await send({ classification: "bug", threadId: ephemeral }));
  return { record, based };
}

describe("feedback/upload, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("feedback"));
  });
  after(async () => beside?.stop());

  test("the same refusals and answers as the binary; each upload kept for the operators", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const theirs = await play(beside, codex, provider);
    const before = await beside.stack.infra.pool.query("SELECT count(*)::int AS n FROM thread.feedback");
    const ours = await play(beside, switchyard, provider);
    // Read off the binary, so the comparison below compares what matters.
    // SHA-256 of "Be brief.": the base instructions' words joined by single spaces.
    assert.equal(
      (theirs.record["base instructions and a turn"] as { promptHash: string }).promptHash,
      "213c22ed7234eb11116e1e88f314c73cb3a019b5c87fe224b6ce5665bd9ec50e",
    );
    assert.deepEqual(theirs.record["no thread"], { threadId: "no-active-thread-<new id>", promptHash: null });
    assert.deepEqual(ours.record, theirs.record);

    // Kept: one row per upload, with what the user said and who said it.
    const rows = await beside.stack.infra.pool.query(
      "SELECT thread_id, classification, reason, tags, include_logs, prompt_hash, submitted_by FROM thread.feedback ORDER BY created_at",
    );
    assert.equal(rows.rows.length - before.rows[0].n, 6);
    const kept = rows.rows.find((row) => row.thread_id === ours.based);
    assert.ok(kept, "the thread's feedback is kept");
    const withTurn = rows.rows.filter((row) => row.thread_id === ours.based).at(-1);
    assert.deepEqual(
      { ...withTurn, submitted_by: typeof withTurn.submitted_by },
      {
        thread_id: ours.based,
        classification: "bad_result",
        reason: "too terse",
        tags: { turn: "1" },
        include_logs: true,
        prompt_hash: "213c22ed7234eb11116e1e88f314c73cb3a019b5c87fe224b6ce5665bd9ec50e",
        submitted_by: "string",
      },
    );
    // What Switchyard cannot do: files on its own machine.
    const files = await switchyard.request("feedback/upload", { classification: "bug", extraLogFiles: ["/var/log/x"] });
    assert.match(files.error?.message ?? "", /`extraLogFiles` name files on the app-server's machine/);
    const save = await switchyard.request("feedback/save", { classification: "bug", savePath: "/tmp/x.zip" });
    assert.match(save.error?.message ?? "", /`feedback\/save` needs a machine/);
    assertConformant();
  });
});
