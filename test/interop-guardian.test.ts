// thread/guardianReview and thread/approveGuardianDeniedAction beside the real `codex app-server`
// 0.171.0, both sides on one scripted Responses server. No Switchyard thread has a call for Guardian
// to review, so every review is refused, in the binary's words and order for each state of a thread;
// an approval's event is read as the binary reads it (serde's texts for each kind of wrong value), and
// a `denied` event's action is told to the model on the next turn (Switchyard's wording, the same
// approved action), while other statuses change nothing. Neither an approval nor an approved plan
// makes a fresh thread listed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexScripted, type Side, sideCall, sidesOf, threadWithTurns } from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const DENIED = { id: "ev-1", status: "denied", action: { type: "command", source: "shell", command: "ls", cwd: "/tmp" } };

async function play(beside: BesideCodex, side: Side, provider: ScriptedResponses): Promise<string[]> {
  const lines: string[] = [];
  const show = async (label: string, method: string, params: unknown) => {
    const reply = await side.request(method, params);
    const outcome = reply.error ? { code: reply.error.code, message: reply.error.message } : reply.result;
    lines.push(
      `${label}: ${JSON.stringify(outcome).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>")}`,
    );
  };
  const approve = (label: string, event: unknown, threadId: string) =>
    show(label, "thread/approveGuardianDeniedAction", { threadId, event });
  const unknown = "00000000-0000-4000-8000-000000000000";
  const fresh = (await sideCall(side, "thread/start", {})).thread.id as string;
  const ephemeral = (await sideCall(side, "thread/start", { ephemeral: true })).thread.id as string;
  const { threadId } = await threadWithTurns(side, provider, beside.serverCwd, ["first"]);

  await show("review, no params", "thread/guardianReview", undefined);
  await show("review, unknown thread", "thread/guardianReview", { threadId: unknown });
  await show("review, malformed id", "thread/guardianReview", { threadId: "bad" });
  await show("review, nothing recorded", "thread/guardianReview", { threadId: fresh });
  await show("review, ephemeral", "thread/guardianReview", { threadId: ephemeral });
  await show("review, after a turn", "thread/guardianReview", { threadId });
  provider.script({ text: "slow", delayMs: 1_500 });
  const running = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "slow", text_elements: [] }] }))
    .turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 300));
  await show("review, a turn running", "thread/guardianReview", { threadId });
  await side.turnCompleted(running);

  await show("approve, no event", "thread/approveGuardianDeniedAction", { threadId });
  const events: [string, unknown][] = [
    ["empty", {}],
    ["a string", "str"],
    ["null", null],
    ["an empty sequence", []],
    ["no action", { id: "x", status: "denied" }],
    ["unknown status", { ...DENIED, status: "zzz" }],
    ["status a number", { ...DENIED, status: 3 }],
    ["status a boolean", { ...DENIED, status: true }],
    ["id a number", { ...DENIED, id: 1.5 }],
    ["id a sequence", { ...DENIED, id: [] }],
    ["id a map", { ...DENIED, id: {} }],
    ["action a string", { ...DENIED, action: "str" }],
    ["action null", { ...DENIED, action: null }],
    ["action a sequence", { ...DENIED, action: [] }],
    ["action without type", { ...DENIED, action: { source: "shell" } }],
    ["unknown action", { ...DENIED, action: { type: "zzz" } }],
    ["action type a number", { ...DENIED, action: { type: 3 } }],
    ["command without fields", { ...DENIED, action: { type: "command" } }],
    ["command, unknown source", { ...DENIED, action: { type: "command", source: "zz", command: "ls", cwd: "/" } }],
    ["execve, relative cwd", { ...DENIED, action: { type: "execve", source: "shell", program: "ls", argv: [], cwd: "rel" } }],
    [
      "network, port past u16",
      { ...DENIED, action: { type: "network_access", target: "t", host: "h", protocol: "http", port: 70_000 } },
    ],
    [
      "network, unknown protocol",
      { ...DENIED, action: { type: "network_access", target: "t", host: "h", protocol: "ftp", port: 1 } },
    ],
    ["permissions, empty sequence", { ...DENIED, action: { type: "request_permissions", permissions: [] } }],
    ["unknown fields", { ...DENIED, extra: 1, action: { ...DENIED.action, extra: 2 } }],
  ];
  for (const [label, event] of events) await approve(`approve, ${label}`, event, threadId);
  for (const action of [
    { type: "execve", source: "unified_exec", program: "ls", argv: ["-l"], cwd: "/tmp" },
    { type: "apply_patch", cwd: "/tmp", files: [] },
    { type: "network_access", target: "t", host: "h", protocol: "https", port: 443 },
    { type: "mcp_tool_call", server: "s", tool_name: "t" },
    { type: "request_permissions", permissions: {} },
  ]) {
    await approve(`approve, ${action.type}, approved`, { ...DENIED, status: "approved", action }, threadId);
  }
  await approve("approve, unknown thread", DENIED, unknown);
  await approve("approve, malformed id", DENIED, "bad");
  await approve("approve, ephemeral", { ...DENIED, status: "in_progress" }, ephemeral);

  // A fresh thread: an approval in progress leaves it as it was; a denial's approval joins its history.
  const other = (await sideCall(side, "thread/start", {})).thread.id as string;
  await approve("fresh, in progress", { ...DENIED, status: "in_progress" }, other);
  await show("fresh, review after in progress", "thread/guardianReview", { threadId: other });
  await approve("fresh, denied", DENIED, other);
  await show("fresh, review after denied", "thread/guardianReview", { threadId: other });
  const planned = (await sideCall(side, "thread/start", {})).thread.id as string;
  await show("approved plan", "thread/prepareApprovedPlan", { threadId: planned, markdown: "# plan" });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const listed = (await sideCall(side, "thread/list", {})).data.map((thread: { id: string }) => thread.id);
  lines.push(`listed: the approved denial's thread ${listed.includes(other)}, the approved plan's ${listed.includes(planned)}`);

  // What the next turn's model is told.
  provider.script({ text: "ok" });
  const before = provider.requests.length;
  const turnId = (
    await sideCall(side, "turn/start", { threadId: other, input: [{ type: "text", text: "next", text_elements: [] }] })
  ).turn.id as string;
  await side.turnCompleted(turnId);
  const input = (provider.requests[before] as { input: { role?: string; content?: { text?: string }[] }[] }).input;
  const told = input
    .filter((item) => item.role === "developer" && item.content?.[0]?.text?.includes("Approved action:"))
    .map((item) => item.content?.[0]?.text?.split("Approved action:")[1]);
  lines.push(`told the model: ${JSON.stringify(told)}`);
  lines.push(`the prompt last: ${JSON.stringify(input.at(-1)?.content?.[0]?.text)}`);
  return lines;
}

describe("Guardian methods, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("guardian"));
  });
  after(async () => beside?.stop());

  test("the same refusals, the same reading of events, and the approved denial told to the model", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const theirs = await play(beside, codex, provider);
    const ours = await play(beside, switchyard, provider);
    // Read off the binary, so the comparison below compares what matters.
    assert.ok(theirs.includes("listed: the approved denial's thread false, the approved plan's false"), theirs.join("\n"));
    assert.ok(
      theirs.some((line) => line.startsWith("told the model: [") && line.includes('\\"outcome\\": \\"allowed\\"')),
      theirs.join("\n"),
    );
    assert.ok(
      theirs.includes('review, a turn running: {"code":-32600,"message":"thread has an active turn"}'),
      theirs.join("\n"),
    );
    // The binary writes an approval's history in the background: a review right after it may not see
    // it yet (seen both ways). Switchyard's is written before the answer, so its review sees it.
    const racy = "fresh, review after denied: ";
    assert.ok(
      ours.includes(
        `${racy}{"code":-32600,"message":"expected a completed plaintext exec_command, apply_patch, request_permissions, or MCP call with a nonempty call ID"}`,
      ),
      ours.join("\n"),
    );
    const settled = (lines: string[]) => lines.filter((line) => !line.startsWith(racy));
    assert.deepEqual(settled(ours), settled(theirs));
    assertConformant();
  });
});
