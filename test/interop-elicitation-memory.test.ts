// Beside the real `codex app-server` 0.171.0: thread/increment_elicitation and
// thread/decrement_elicitation give the same counts, pauses and refusals for the same calls (what the
// pause does to a waiting tool call is Switchyard's own and is checked in turns.test.ts); the memory
// methods give the same answers and refusals as a Codex with no memories.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodex } from "./harness/beside-codex.js";
import { assertConformant } from "./harness/stack.js";

const UNKNOWN = "019a0000-0000-7000-8000-000000000000";

describe("elicitation counts and memories beside codex app-server 0.171.0", () => {
  let sides: BesideCodex;

  before(async () => {
    sides = await besideCodex("elicitation-memory", { client: { experimentalApi: true } });
  });
  after(async () => {
    await sides?.stop();
  });

  test("the same counts, pauses and refusals", async () => {
    type Request = (method: string, params: unknown) => Promise<{ result?: any; error?: { code: number; message: string } }>;
    const run = async (request: Request) => {
      const start = async (params: object) =>
        (await request("thread/start", { cwd: sides.serverCwd, ...params })).result.thread.id;
      const threadId = await start({});
      const ephemeral = await start({ ephemeral: true });
      const archived = await start({});
      await request("thread/archive", { threadId: archived });
      const lines: string[] = [];
      for (const [method, params] of [
        ["thread/increment_elicitation", { threadId }],
        ["thread/increment_elicitation", { threadId }],
        ["thread/decrement_elicitation", { threadId }],
        ["thread/decrement_elicitation", { threadId }],
        ["thread/decrement_elicitation", { threadId }],
        ["thread/increment_elicitation", { threadId }],
        ["thread/increment_elicitation", { threadId: ephemeral }],
        ["thread/decrement_elicitation", { threadId: ephemeral }],
        ["thread/increment_elicitation", { threadId: archived }],
        ["thread/increment_elicitation", { threadId: UNKNOWN }],
        ["thread/decrement_elicitation", { threadId: "bad" }],
        ["thread/increment_elicitation", {}],
        ["thread/decrement_elicitation", undefined],
      ] as [string, unknown][]) {
        const reply = await request(method, params);
        const shown = (text: string) =>
          text.replaceAll(threadId, "<thread>").replaceAll(ephemeral, "<ephemeral>").replaceAll(archived, "<archived>");
        lines.push(
          `${method} ${shown(JSON.stringify(params) ?? "")} => ${reply.error ? `${reply.error.code} ${shown(reply.error.message)}` : JSON.stringify(reply.result)}`,
        );
      }
      return lines;
    };
    const ours = await run((method, params) => sides.client.request(method, params));
    assert.deepEqual(ours, await run((method, params) => sides.codex.request(method, params)));
    assert.ok(ours[1]?.endsWith('{"count":2,"paused":true}'));
    assertConformant();
  });

  test("memories: the same answers and refusals as a Codex with none", async () => {
    type Request = (method: string, params: unknown) => Promise<{ result?: any; error?: { code: number; message: string } }>;
    const run = async (request: Request) => {
      const start = async (params: object) =>
        (await request("thread/start", { cwd: sides.serverCwd, ...params })).result.thread.id;
      const threadId = await start({});
      threadIds.push(threadId);
      const ephemeral = await start({ ephemeral: true });
      const archived = await start({});
      await request("thread/archive", { threadId: archived });
      const shown = (text: string) =>
        text.replaceAll(threadId, "<thread>").replaceAll(ephemeral, "<ephemeral>").replaceAll(archived, "<archived>");
      const lines: string[] = [];
      for (const [method, params] of [
        ["thread/memoryMode/set", { threadId, mode: "disabled" }],
        ["thread/memory/read", { threadId }],
        ["thread/memoryMode/set", { threadId, mode: "enabled" }],
        ["thread/memory/read", { threadId }],
        ["thread/memoryMode/set", { threadId, mode: "bogus" }],
        ["thread/memoryMode/set", { threadId }],
        ["thread/memoryMode/set", { threadId: ephemeral, mode: "enabled" }],
        ["thread/memory/read", { threadId: ephemeral }],
        ["thread/memoryMode/set", { threadId: archived, mode: "enabled" }],
        ["thread/memory/read", { threadId: archived }],
        ["thread/memoryMode/set", { threadId: UNKNOWN, mode: "enabled" }],
        ["thread/memory/read", { threadId: UNKNOWN }],
        ["thread/memory/read", { threadId: "bad" }],
        ["thread/memory/read", {}],
        ["memory/status", {}],
        ["memory/status", { minConsolidatedThreads: 1 }],
        ["memory/status", { minConsolidatedThreads: 0 }],
        ["memory/status", { minConsolidatedThreads: 4097 }],
        ["memory/status", { minConsolidatedThreads: -1 }],
        ["memory/status", undefined],
        ["memory/reset", undefined],
        ["memory/reset", {}],
        ["memory/reset", { x: 1 }],
      ] as [string, unknown][]) {
        const reply = await request(method, params);
        lines.push(
          `${method} ${shown(JSON.stringify(params) ?? "")} => ${reply.error ? `${reply.error.code} ${shown(reply.error.message)}` : JSON.stringify(reply.result)}`,
        );
      }
      return lines;
    };
    const threadIds: string[] = [];
    const ours = await run((method, params) => sides.client.request(method, params));
    assert.deepEqual(ours, await run((method, params) => sides.codex.request(method, params)));
    // The mode is kept with the thread (the last one set).
    const kept = await sides.stack.infra.pool.query("SELECT memory_mode FROM thread.threads WHERE id = $1", [threadIds[0]]);
    assert.equal(kept.rows[0]?.memory_mode, "enabled");
    assertConformant();
  });
});
