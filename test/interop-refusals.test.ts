// Refusals of malformed params against the real `codex app-server` 0.171.0: the same code and the
// same text, for integer fields serde types as u32, u64 or i64 (negative, fractional, too large, a
// string), whatever method they belong to. Clients that match on Codex's texts keep working.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary, loopbackCodexHome } from "./harness/codex-binary.js";
import { type Stack, startStack } from "./harness/stack.js";
import { StdioAppServer } from "./harness/stdio-app-server.js";

const THREAD = "019a0000-0000-7000-8000-000000000000";

/** Methods with a `limit` serde types as u32, and the params each needs besides. */
const LIMITED: [string, Record<string, unknown>][] = [
  ["thread/list", {}],
  ["thread/loaded/list", {}],
  ["thread/turns/list", { threadId: THREAD }],
  ["thread/items/list", { threadId: THREAD }],
  ["thread/queue/list", { threadId: THREAD }],
  ["thread/backgroundTerminals/list", { threadId: THREAD }],
  ["thread/search", { searchTerm: "x" }],
  ["model/list", {}],
  ["experimentalFeature/list", {}],
  ["permissionProfile/list", {}],
];
const BAD_INTEGERS = [-1, 1.5, 4_294_967_296, "10"];

describe("refusals of malformed params, against codex app-server 0.171.0", () => {
  let codex: StdioAppServer;
  let stack: Stack;
  let client: CodexTestClient;

  before(async () => {
    const workspace = mkdtempSync(join(tmpdir(), "sy-refusals-"));
    const cwd = join(workspace, "work");
    mkdirSync(cwd);
    codex = await StdioAppServer.start(ensureCodexBinary("0.171.0"), {
      codexHome: loopbackCodexHome(join(workspace, "home")),
      cwd,
    });
    stack = await startStack("refusals");
    client = await CodexTestClient.open(stack.url, { experimentalApi: true });
  });
  after(async () => {
    await client?.close();
    await stack?.stop();
    await codex?.stop();
  });

  /** The binary's refusal and Switchyard's, as `{code, message}`. */
  const refusals = async (method: string, params: unknown) => {
    const theirs = await codex.request(method, params);
    const ours = await client.request(method, params);
    assert.ok(theirs.error, `codex refuses ${method} ${JSON.stringify(params)}`);
    return {
      theirs: { code: theirs.error.code, message: theirs.error.message },
      ours: ours.error ? { code: ours.error.code, message: ours.error.message } : { result: ours.result },
    };
  };

  test("a u32 limit: negative, fractional, past u32, a string", async () => {
    for (const [method, params] of LIMITED) {
      for (const limit of BAD_INTEGERS) {
        const { theirs, ours } = await refusals(method, { ...params, limit });
        assert.match(theirs.message, /expected u32$/);
        assert.deepEqual(ours, theirs, `${method} limit ${JSON.stringify(limit)}`);
      }
    }
  });

  test("an i64: a goal's token budget", async () => {
    for (const tokenBudget of [1.5, "10"]) {
      const { theirs, ours } = await refusals("thread/goal/set", { threadId: THREAD, tokenBudget });
      assert.match(theirs.message, /expected i64$/);
      assert.deepEqual(ours, theirs, `tokenBudget ${JSON.stringify(tokenBudget)}`);
    }
  });
});
