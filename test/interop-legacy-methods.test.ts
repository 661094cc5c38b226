// The v1 methods the real `codex app-server` 0.171.0 still accepts though its JSON Schema no longer
// lists them (getConversationSummary, gitDiffToRemote, getAuthStatus), against the binary: the same
// unknown-method text (which lists them), the same getAuthStatus answer; the two that need a rollout
// file or a git checkout on the server's machine are refused with a reason rather than called unknown.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodex } from "./harness/beside-codex.js";
import { assertConformant } from "./harness/stack.js";

describe("Codex's v1 methods, against codex app-server 0.171.0", () => {
  let sides: BesideCodex;

  before(async () => {
    sides = await besideCodex("legacy-methods");
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

  test("the two that need the server's machine are refused with why, not called unknown", async () => {
    const diff = await sides.client.request("gitDiffToRemote", { cwd: "/workspace" });
    assert.equal(diff.error?.code, -32600);
    assert.match(diff.error?.message ?? "", /^`gitDiffToRemote` needs a machine/);
    const summary = await sides.client.request("getConversationSummary", {
      conversationId: "019a0000-0000-7000-8000-000000000000",
    });
    assert.equal(summary.error?.code, -32600);
    assert.match(summary.error?.message ?? "", /^`getConversationSummary` is not supported/);
  });
});
