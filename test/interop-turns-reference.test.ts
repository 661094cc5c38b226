// The reference Switchyard's turns must match: the real `codex app-server` 0.171.0 (stdio, loopback)
// running turns against the scripted Responses-API provider. Pins the notification order of a
// completed turn and of a failed one, and that the scripted provider is a provider Codex accepts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureCodexBinary, loopbackCodexHome } from "./harness/codex-binary.js";
import { type ScriptedResponses, startScriptedResponses } from "./harness/scripted-responses.js";
import { StdioAppServer } from "./harness/stdio-app-server.js";

/** The notifications a turn is made of, in order, up to its turn/completed. */
async function turnNotifications(server: StdioAppServer, from: number): Promise<{ method: string; params: any }[]> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const seen = server.notifications.slice(from);
    const completedAt = seen.findIndex((n) => n.method === "turn/completed");
    if (completedAt >= 0) return seen.slice(0, completedAt + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no turn/completed:\n${server.log}`);
}

const TURN_METHODS = new Set([
  "thread/status/changed",
  "turn/started",
  "item/started",
  "item/completed",
  "item/agentMessage/delta",
  "thread/tokenUsage/updated",
  "turn/completed",
  "error",
]);

describe("Codex turns against the scripted Responses provider (the reference)", () => {
  let provider: ScriptedResponses;
  let server: StdioAppServer;
  let threadId: string;

  before(async () => {
    const binary = ensureCodexBinary("0.171.0");
    provider = await startScriptedResponses();
    const workspace = mkdtempSync(join(tmpdir(), "sy-turns-reference-"));
    const cwd = join(workspace, "work");
    mkdirSync(cwd);
    const home = loopbackCodexHome(join(workspace, "home"), { providerBaseUrl: provider.baseUrl });
    server = await StdioAppServer.start(binary, { codexHome: home, cwd });
    const started = await server.request("thread/start", { cwd });
    assert.equal(started.error, undefined, JSON.stringify(started.error));
    threadId = started.result.thread.id;
  });
  after(async () => {
    await server?.stop();
    await provider?.close();
  });

  test("a completed turn: Codex's notification order, deltas that add up to the reply", async () => {
    provider.script({ text: "The scripted answer.", chunks: 4 });
    const from = server.notifications.length;
    const reply = await server.request("turn/start", { threadId, input: [{ type: "text", text: "hello", text_elements: [] }] });
    assert.equal(reply.error, undefined, JSON.stringify(reply.error));
    assert.equal(reply.result.turn.status, "inProgress");
    const turn = (await turnNotifications(server, from)).filter((n) => TURN_METHODS.has(n.method));
    const order = turn.map((n) =>
      n.method.startsWith("item/") && n.method !== "item/agentMessage/delta" ? `${n.method}:${n.params.item.type}` : n.method,
    );
    const compact = order.filter((method, index) => method !== order[index - 1]);
    assert.deepEqual(
      compact.slice(0, 6),
      [
        "thread/status/changed",
        "turn/started",
        "item/started:userMessage",
        "item/completed:userMessage",
        "item/started:agentMessage",
        "item/agentMessage/delta",
      ],
      order.join("\n"),
    );
    assert.deepEqual(
      compact.slice(-4),
      ["item/completed:agentMessage", "thread/tokenUsage/updated", "thread/status/changed", "turn/completed"],
      order.join("\n"),
    );
    const text = turn
      .filter((n) => n.method === "item/agentMessage/delta")
      .map((n) => n.params.delta)
      .join("");
    assert.equal(text, "The scripted answer.");
    assert.equal(turn.at(-1)?.params.turn.status, "completed");
    assert.deepEqual(turn.at(-2)?.params.status, { type: "idle" });
    // The provider saw the user's text.
    assert.match(JSON.stringify(provider.requests.at(-1)), /hello/);
  });

  test("a provider error fails the turn with an error notification and turn/completed failed", async () => {
    provider.script({ failStatus: 400 });
    const from = server.notifications.length;
    const reply = await server.request("turn/start", { threadId, input: [{ type: "text", text: "again", text_elements: [] }] });
    assert.equal(reply.error, undefined, JSON.stringify(reply.error));
    const turn = await turnNotifications(server, from);
    // The ending Switchyard reproduces: systemError, the error, turn/completed failed with that error.
    const ending = turn.filter((n) => TURN_METHODS.has(n.method)).slice(-3);
    assert.deepEqual(
      ending.map((n) => (n.method === "thread/status/changed" ? `${n.method}:${n.params.status.type}` : n.method)),
      ["thread/status/changed:systemError", "error", "turn/completed"],
      turn.map((n) => n.method).join(", "),
    );
    assert.equal(ending[1]?.params.willRetry, false);
    assert.equal(turn.at(-1)?.params.turn.status, "failed");
    assert.deepEqual(turn.at(-1)?.params.turn.error, ending[1]?.params.error);
  });

  test("turn control: Codex's texts, turn/start joining a running turn, an interrupt ending it", async () => {
    const noTurn = [{ type: "text", text: "x", text_elements: [] }];
    assert.equal(
      (await server.request("turn/steer", { threadId, expectedTurnId: "nope", input: noTurn })).error?.message,
      "no active turn to steer",
    );
    assert.equal(
      (await server.request("turn/interrupt", { threadId, turnId: "nope" })).error?.message,
      "no active turn to interrupt",
    );
    provider.script({ text: "slow", chunks: 2, delayMs: 5_000 });
    const from = server.notifications.length;
    const running = await server.request("turn/start", { threadId, input: [{ type: "text", text: "run", text_elements: [] }] });
    const turnId = running.result.turn.id;
    const joined = await server.request("turn/start", { threadId, input: [{ type: "text", text: "join", text_elements: [] }] });
    assert.equal(joined.result.turn.id, turnId, "turn/start while a turn runs answers with that turn");
    // Codex registers the turn for interrupts once it has started (right after turn/start it may still
    // answer "no active turn to interrupt").
    const deadline = Date.now() + 10_000;
    while (!server.notifications.slice(from).some((n) => n.method === "turn/started") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(
      (await server.request("turn/steer", { threadId, expectedTurnId: "nope", input: noTurn })).error?.message,
      `expected active turn id \`nope\` but found \`${turnId}\``,
    );
    assert.equal(
      (await server.request("turn/interrupt", { threadId, turnId: "nope" })).error?.message,
      `expected active turn id nope but found ${turnId}`,
    );
    assert.deepEqual((await server.request("turn/interrupt", { threadId, turnId })).result, {});
    const turn = await turnNotifications(server, from);
    const ending = turn.filter((n) => TURN_METHODS.has(n.method)).slice(-2);
    assert.deepEqual(
      ending.map((n) => (n.method === "thread/status/changed" ? `${n.method}:${n.params.status.type}` : n.method)),
      ["thread/status/changed:idle", "turn/completed"],
    );
    assert.equal(turn.at(-1)?.params.turn.status, "interrupted");
  });
});
