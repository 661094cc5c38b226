// The v1 methods the real `codex app-server` 0.171.0 still accepts though its JSON Schema no longer
// lists them (getConversationSummary, gitDiffToRemote, getAuthStatus), against the binary: the same
// unknown-method text (which lists them), the same getAuthStatus answer, the same summaries of the
// same threads (but for what a cloud thread has no counterpart of: its rollout file's path); the one
// that needs a git checkout on the server's machine is refused with a reason rather than called unknown.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexScripted, type Side, sideCall, sidesOf } from "./harness/beside-codex.js";
import { assertConformant } from "./harness/stack.js";

describe("Codex's v1 methods, against codex app-server 0.171.0", () => {
  let sides: BesideCodex;

  before(async () => {
    ({ sides } = await besideCodexScripted("legacy-methods"));
  });
  after(async () => sides?.stop());

  /** Both sides' answer to one call: the result, or the error's code and message. */
  const answers = async (method: string, params: unknown) => {
    const theirs = await sides.codex.request(method, params);
    const ours = await sides.client.request(method, params);
    const outcome = (reply: { result?: unknown; error?: { code: number; message: string } }) =>
      reply.error ? { code: reply.error.code, message: reply.error.message } : { result: reply.result };
    return { theirs: outcome(theirs), ours: outcome(ours) };
  };

  test("an unknown method gets the binary's text, which lists the v1 methods too", async () => {
    const { theirs, ours } = await answers("no/such/method", {});
    assert.match(
      (theirs as { message: string }).message,
      /`account\/read`, `getConversationSummary`, `gitDiffToRemote`, `getAuthStatus`/,
    );
    assert.deepEqual(ours, theirs);
  });

  test("getAuthStatus answers as the binary without a sign-in, whatever it is asked", async () => {
    for (const params of [{}, { includeToken: true, refreshToken: true }]) {
      const { theirs, ours } = await answers("getAuthStatus", params);
      assert.deepEqual(theirs, { result: { authMethod: null, authToken: null, requiresOpenaiAuth: false } });
      assert.deepEqual(ours, theirs, `getAuthStatus ${JSON.stringify(params)}`);
    }
    // Its params are required, and checked as serde checks them.
    for (const params of [undefined, { includeToken: "yes" }]) {
      const { theirs, ours } = await answers("getAuthStatus", params);
      assert.equal((theirs as { code?: number }).code, -32600);
      assert.deepEqual(ours, theirs, `getAuthStatus ${JSON.stringify(params)}`);
    }
    assertConformant();
  });

  test("gitDiffToRemote needs the server's machine: refused with why, not called unknown", async () => {
    const diff = await sides.client.request("gitDiffToRemote", { cwd: "/workspace" });
    assert.equal(diff.error?.code, -32600);
    assert.match(diff.error?.message ?? "", /^`gitDiffToRemote` needs a machine/);
  });

  test("getConversationSummary: a stored thread's summary, by any id form, and the binary's refusals", async () => {
    const UNKNOWN = "019a0000-0000-7000-8000-000000000000";
    /**
     * Each step's answer on one side; the summary's id as a placeholder, its times, path and provider
     * checked for their form only, and its `cliVersion` against the thread's own (thread/start's
     * answer: the binary's own version there, the creating client's here, as each side's threads show it).
     */
    const play = async (side: Side) => {
      const seen: Record<string, unknown> = {};
      const summary = async (label: string, params: unknown) => {
        const reply = await side.request("getConversationSummary", params);
        if (reply.error) {
          seen[label] = { code: reply.error.code, message: reply.error.message.replaceAll(/[0-9a-f-]{36}/g, "<id>") };
          return;
        }
        const { conversationId, path, timestamp, updatedAt, modelProvider, cliVersion, ...rest } = reply.result.summary;
        assert.equal(cliVersion, started.thread.cliVersion, `${side.name} ${label}: the thread's cliVersion`);
        const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
        assert.match(timestamp, iso, `${side.name} ${label}: timestamp`);
        assert.match(updatedAt, iso, `${side.name} ${label}: updatedAt`);
        assert.ok(Date.parse(updatedAt) >= Date.parse(timestamp), `${side.name} ${label}: updated after created`);
        assert.equal(typeof path, "string");
        assert.equal(typeof modelProvider, "string");
        seen[label] = { ...rest, conversationId: conversationId === threadId ? "<thread>" : conversationId };
      };
      const started = await sideCall(side, "thread/start", { cwd: sides.serverCwd });
      const threadId = started.thread.id as string;
      await summary("new", { conversationId: threadId });
      await sideCall(side, "thread/name/set", { threadId, name: "named" });
      await summary("named", { conversationId: threadId });
      const turn = await sideCall(side, "turn/start", {
        threadId,
        input: [{ type: "text", text: "summarize me", text_elements: [] }],
      });
      await side.turnCompleted(turn.turn.id);
      await summary("after a turn", { conversationId: threadId });
      for (const [label, form] of [
        ["upper case", threadId.toUpperCase()],
        ["braces", `{${threadId}}`],
        ["urn", `urn:uuid:${threadId}`],
      ]) {
        await summary(label as string, { conversationId: form });
      }
      await summary("a bad rollout path beside a good id", { conversationId: threadId, rolloutPath: 5 });
      const ephemeral = (await sideCall(side, "thread/start", { cwd: sides.serverCwd, ephemeral: true })).thread.id;
      await summary("ephemeral", { conversationId: ephemeral });
      await summary("unknown", { conversationId: UNKNOWN });
      await summary("no such rollout file", { rolloutPath: "/nowhere/rollout.jsonl" });
      await summary("not an id", { conversationId: "nope" });
      await summary("an id that is a number", { conversationId: 5 });
      await summary("neither", {});
      await summary("a sequence", [threadId]);
      await summary("no params", undefined);
      await sideCall(side, "thread/archive", { threadId });
      await summary("archived", { conversationId: threadId });
      return seen;
    };
    const { codex, switchyard } = sidesOf(sides);
    const theirs = await play(codex);
    const ours = await play(switchyard);
    assert.deepEqual(ours, theirs);
    // What the comparison rests on, read off the binary.
    assert.equal((theirs.new as { message: string }).message, "no rollout found for conversation id <id>");
    assert.deepEqual(
      [(theirs.named as { preview: string }).preview, (theirs["after a turn"] as { preview: string }).preview],
      ["", "summarize me"],
    );
    assert.equal(
      (theirs.neither as { message: string }).message,
      "Invalid request: data did not match any variant of untagged enum GetConversationSummaryParams",
    );
    assertConformant();
  });
});
