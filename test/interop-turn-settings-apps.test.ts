// turn/settings/update and app/read beside the real `codex app-server` 0.171.0: the same calls on
// both sides (one scripted Responses server keeps a turn running on each), compared call by call.
// Codex's `step_model_switching` feature is off, as it is by default: a change to a running turn's
// model steps is refused, its approvals reviewer and environments are taken, and a turn that is not
// running is unavailable; app/read answers every id missing (no ChatGPT sign-in is involved); a
// loaded thread has no background terminals.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexScripted, sideCall as call, idNamer, type Side, sidesOf } from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const UNKNOWN = "019a0000-0000-7000-8000-000000000000";

describe("turn/settings/update and app/read beside codex app-server 0.171.0", () => {
  let sides: BesideCodex;
  let provider: ScriptedResponses;
  let codex: Side;
  let switchyard: Side;

  before(async () => {
    ({ sides, provider } = await besideCodexScripted("turn-settings-apps"));
    ({ codex, switchyard } = sidesOf(sides));
  });
  after(async () => {
    await sides?.stop();
  });

  /** Each step's reply on `side`, ids named in the order they appear. */
  async function transcript(side: Side, steps: [string, unknown][]): Promise<string[]> {
    const named = idNamer([UNKNOWN]);
    const lines: string[] = [];
    for (const [method, params] of steps) {
      const reply = await side.request(method, params);
      const shown = reply.error ? `error ${reply.error.code} ${reply.error.message}` : JSON.stringify(reply.result);
      lines.push(named(`${method} ${JSON.stringify(params) ?? ""} => ${shown}`));
    }
    return lines;
  }

  test("a running turn's settings: the reviewer and environments taken, its model steps refused, another turn unavailable", async () => {
    const run = async (side: Side) => {
      const threadId = (await call(side, "thread/start", { cwd: sides.serverCwd })).thread.id as string;
      const idle = await transcript(side, [
        ["turn/settings/update", { threadId, turnId: UNKNOWN, approvalsReviewer: "user" }],
        ["turn/settings/update", { threadId, turnId: UNKNOWN }],
        ["turn/settings/update", { threadId: UNKNOWN, turnId: "x", approvalsReviewer: "user" }],
        ["turn/settings/update", { threadId: "nope", turnId: "x" }],
        ["turn/settings/update", { threadId, turnId: UNKNOWN, approvalsReviewer: "reviewer" }],
        ["turn/settings/update", { threadId, approvalsReviewer: "user" }],
      ]);
      // A turn the scripted provider keeps running for a while.
      provider.script({ text: "slow", chunks: 2, delayMs: 4_000 });
      const heard = side.heardFrom();
      const turnId = (await call(side, "turn/start", { threadId, input: [{ type: "text", text: "run", text_elements: [] }] }))
        .turn.id as string;
      const deadline = Date.now() + 10_000;
      while (!heard().some((frame) => frame.method === "turn/started") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const running = await transcript(side, [
        ["turn/settings/update", { threadId, turnId, approvalsReviewer: "auto_review" }],
        ["turn/settings/update", { threadId, turnId, environments: [] }],
        ["turn/settings/update", { threadId, turnId, approvalsReviewer: "user", environments: null }],
        ["turn/settings/update", { threadId, turnId }],
        ["turn/settings/update", { threadId, turnId, model: "gpt-other" }],
        ["turn/settings/update", { threadId, turnId, effort: "high" }],
        ["turn/settings/update", { threadId, turnId, summary: "concise" }],
        ["turn/settings/update", { threadId, turnId, serviceTier: null }],
        ["turn/settings/update", { threadId, turnId, model: null, effort: null }],
        ["turn/settings/update", { threadId, turnId, approvalsReviewer: "user", model: "m" }],
        ["turn/settings/update", { threadId, turnId, bogus: 1 }],
        ["turn/settings/update", { threadId, turnId: UNKNOWN, approvalsReviewer: "user" }],
      ]);
      await call(side, "turn/interrupt", { threadId, turnId });
      await side.turnCompleted(turnId);
      const after = await transcript(side, [["turn/settings/update", { threadId, turnId, approvalsReviewer: "user" }]]);
      return [...idle, ...running, ...after];
    };
    const ours = await run(switchyard);
    assert.deepEqual(ours, await run(codex));
    assert.ok(ours.some((line) => line.endsWith('{"status":"applied"}')));
    assertConformant();
  });

  test("app/read: every id missing, each once, at most 100; a named thread must be loaded", async () => {
    const run = async (side: Side) => {
      const threadId = (await call(side, "thread/start", { cwd: sides.serverCwd })).thread.id as string;
      const hundred = Array.from({ length: 100 }, (_, index) => `app-${index}`);
      return transcript(side, [
        ["app/read", { appIds: ["b", "a", "b"] }],
        ["app/read", { appIds: [] }],
        ["app/read", { appIds: ["a"], threadId, includeTools: true }],
        ["app/read", { appIds: ["a"], threadId: null }],
        ["app/read", { appIds: hundred }],
        ["app/read", { appIds: [...hundred, "app-0"] }],
        ["app/read", { appIds: ["a"], threadId: UNKNOWN }],
        ["app/read", { appIds: ["a"], threadId: "nope" }],
        ["app/read", {}],
        ["app/read", { appIds: "a" }],
      ]);
    };
    assert.deepEqual(await run(switchyard), await run(codex));
    assertConformant();
  });

  test("background terminals: a loaded thread has none to list, clean or terminate; another thread is not found", async () => {
    const run = async (side: Side) => {
      const threadId = (await call(side, "thread/start", { cwd: sides.serverCwd })).thread.id as string;
      return transcript(side, [
        ["thread/backgroundTerminals/list", { threadId }],
        ["thread/backgroundTerminals/list", { threadId, limit: 1, cursor: null }],
        ["thread/backgroundTerminals/clean", { threadId }],
        ["thread/backgroundTerminals/terminate", { threadId, processId: "1" }],
        ["thread/backgroundTerminals/list", { threadId: UNKNOWN }],
        ["thread/backgroundTerminals/clean", { threadId: UNKNOWN }],
        ["thread/backgroundTerminals/terminate", { threadId: UNKNOWN, processId: "1" }],
        ["thread/backgroundTerminals/clean", { threadId: "nope" }],
        ["thread/backgroundTerminals/terminate", { threadId }],
        ["thread/backgroundTerminals/clean", {}],
      ]);
    };
    assert.deepEqual(await run(switchyard), await run(codex));
    assertConformant();
  });
});
