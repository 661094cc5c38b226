// A proposed plan in plan mode, beside the real `codex app-server` 0.171.0 (both sides on one
// scripted Responses server): in a turn whose collaboration mode is `plan`, a block of the model's
// text between `<proposed_plan>` and `</proposed_plan>` lines becomes a `plan` item, streamed with
// `item/plan/delta` (to every subscriber, one without the experimental API too, though Codex's schema
// calls it experimental), completed just before its message, which keeps the text around the block. The model is sent its
// own text back whole on the next turn. Outside plan mode the same text is an ordinary message.
// The checklist tool `update_plan` (whose calls would send `turn/plan/updated`) is offered by neither:
// a call to it is answered to the model as unsupported, as the binary answers it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CodexTestClient, Notification } from "./harness/client.js";
import { type ListenerBesideStack, listenerBesideStackForSuite } from "./harness/codex-listener.js";
import { assertConformant } from "./harness/stack.js";

const REPLY = "Here is what I propose.\n<proposed_plan>\n# Plan\n- step one\n- step two\n</proposed_plan>\nTell me if it suits.";
const planMode = (mode: "plan" | "default") => ({
  mode,
  settings: { model: "gpt-planner", reasoning_effort: null, developer_instructions: "MODE-plan carefully" },
});

/** A turn's item notifications as lines: what started, streamed and completed, with its text. */
function itemLines(notifications: Notification[]): string[] {
  return notifications.flatMap((n) => {
    const params = n.params as { item?: { type: string; text?: string }; delta?: string };
    if (n.method === "item/started" || n.method === "item/completed") {
      return params.item?.type === "userMessage"
        ? []
        : [`${n.method} ${params.item?.type} ${JSON.stringify(params.item?.text ?? "")}`];
    }
    if (n.method === "item/agentMessage/delta" || n.method === "item/plan/delta")
      return [`${n.method} ${JSON.stringify(params.delta)}`];
    return [];
  });
}

async function play(sides: ListenerBesideStack, open: (options: { experimentalApi: boolean }) => Promise<CodexTestClient>) {
  const actor = await open({ experimentalApi: true });
  const bystander = await open({ experimentalApi: false });
  try {
    const threadId = (await actor.call<{ thread: { id: string } }>("thread/start", {})).thread.id;
    await actor.call("thread/name/set", { threadId, name: "planned" });
    await bystander.call("thread/resume", { threadId });
    const turn = async (mode: "plan" | "default", reply: string) => {
      const seen = { actor: new Set(actor.notifications), bystander: new Set(bystander.notifications) };
      sides.provider.script({ text: reply });
      await actor.call("turn/start", {
        threadId,
        collaborationMode: planMode(mode),
        input: [{ type: "text", text: `ask-${mode}`, text_elements: [] }],
      });
      const ended = (client: CodexTestClient, earlier: Set<Notification>) =>
        client.waitForNotification((n) => !earlier.has(n) && n.method === "turn/completed", 20_000);
      await ended(actor, seen.actor);
      await ended(bystander, seen.bystander);
      return {
        actor: itemLines(actor.notifications.filter((n) => !seen.actor.has(n))),
        bystander: itemLines(bystander.notifications.filter((n) => !seen.bystander.has(n))),
      };
    };
    const planned = await turn("plan", REPLY);
    const stored = (
      await actor.call<{ thread: { turns: { items: { type: string; text?: string }[] }[] } }>("thread/read", {
        threadId,
        includeTurns: true,
      })
    ).thread.turns.flatMap((t) =>
      t.items.filter((item) => item.type !== "userMessage").map((item) => `${item.type} ${JSON.stringify(item.text)}`),
    );
    const requestsBefore = sides.provider.requests.length;
    const unplanned = await turn("default", REPLY);
    // What the model was sent back of the planned turn's answer.
    const request = sides.provider.requests[requestsBefore];
    assert.ok(request, "the unplanned turn asked the model");
    const sentBack = (request.input as { role?: string; content?: { text?: string }[] }[])
      .filter((item) => item.role === "assistant")
      .map((item) => item.content?.map((part) => part.text).join(""));
    return { planned, stored, sentBack, unplanned };
  } finally {
    await actor.close();
    await bystander.close();
  }
}

describe("proposed plans in plan mode, beside the 0.171.0 binary", () => {
  const besideListener = listenerBesideStackForSuite("plan-mode");

  test("a proposed plan becomes a plan item where the binary makes one, and only in plan mode", async () => {
    const sides = besideListener();
    const codex = await play(sides, (options) => sides.openCodex(options));
    const switchyard = await play(sides, (options) =>
      sides.openSwitchyard("t-plans", "planner", { ...options, name: options.experimentalApi ? "actor" : "bystander" }),
    );
    // Read off the binary.
    assert.deepEqual(
      codex.planned.actor,
      [
        'item/started agentMessage ""',
        'item/agentMessage/delta "Here is what I propose.\\n"',
        'item/started plan ""',
        'item/plan/delta "# Plan\\n- step one\\n- step two\\n"',
        'item/agentMessage/delta "Tell me if it suits."',
        'item/completed plan "# Plan\\n- step one\\n- step two\\n"',
        'item/completed agentMessage "Here is what I propose.\\nTell me if it suits."',
      ],
      JSON.stringify(codex),
    );
    assert.deepEqual(codex.sentBack, [REPLY]);
    assert.ok(codex.unplanned.actor.includes(`item/completed agentMessage ${JSON.stringify(REPLY)}`), JSON.stringify(codex));
    assert.deepEqual(switchyard, codex);
  });

  test("the model calling update_plan: neither side offers it or sends turn/plan/updated; both answer it as unsupported", async () => {
    const sides = besideListener();
    const plan = {
      explanation: "why",
      plan: [
        { step: "one", status: "completed" },
        { step: "two", status: "in_progress" },
      ],
    };
    const playPlanCall = async (client: CodexTestClient) => {
      try {
        const threadId = (await client.call<{ thread: { id: string } }>("thread/start", {})).thread.id;
        const earlier = new Set(client.notifications);
        const requestsBefore = sides.provider.requests.length;
        sides.provider.script({ toolCall: { name: "update_plan", arguments: plan, callId: "call_plan" } }, { text: "planned" });
        await client.call("turn/start", { threadId, input: [{ type: "text", text: "make a plan", text_elements: [] }] });
        await client.waitForNotification((n) => !earlier.has(n) && n.method === "turn/completed", 20_000);
        const [first, second] = sides.provider.requests.slice(requestsBefore) as {
          tools?: { name?: string }[];
          input: unknown[];
        }[];
        assert.ok(first && second, "the model was asked again after its call");
        const output = (second.input as { type?: string; call_id?: string; output?: unknown }[]).find(
          (item) => item.type === "function_call_output" && item.call_id === "call_plan",
        );
        const heard = client.notifications.filter((n) => !earlier.has(n));
        return {
          offered: (first.tools ?? []).some((tool) => tool.name === "update_plan"),
          output: output?.output,
          planUpdates: heard.filter((n) => n.method === "turn/plan/updated").length,
          completed: heard.find((n) => n.method === "turn/completed")?.params.turn.status,
        };
      } finally {
        await client.close();
      }
    };
    const codex = await playPlanCall(await sides.openCodex({ experimentalApi: true }));
    // Read off the binary: 0.171.0 offers its models no update_plan tool (probed with five models).
    assert.deepEqual(codex, { offered: false, output: "unsupported call: update_plan", planUpdates: 0, completed: "completed" });
    const switchyard = await playPlanCall(await sides.openSwitchyard("t-plans", "plan-tool", { experimentalApi: true }));
    assert.deepEqual(switchyard, codex);
  });

  test("an approved plan: the model gets it on the next turn as Codex gives it, the client the prompt; Codex's refusals", async () => {
    const sides = besideListener();
    const UNKNOWN = "019a0000-0000-7000-8000-000000000000";
    const playApproval = async (client: CodexTestClient) => {
      try {
        const ask = async (params: Record<string, unknown>) => {
          const reply = await client.request("thread/prepareApprovedPlan", params);
          return reply.error ? `error ${reply.error.code} ${reply.error.message}` : JSON.stringify(reply.result);
        };
        const runTurn = async (threadId: string, text: string) => {
          const earlier = new Set(client.notifications);
          await client.call("turn/start", { threadId, input: [{ type: "text", text, text_elements: [] }] });
          await client.waitForNotification((n) => !earlier.has(n) && n.method === "turn/completed", 20_000);
        };
        const threadId = (await client.call<{ thread: { id: string } }>("thread/start", {})).thread.id;
        await runTurn(threadId, "make a plan");
        const stored = (await client.call<{ thread: { id: string } }>("thread/start", {})).thread.id;
        await client.call("thread/name/set", { threadId: stored, name: "stored" });
        await client.call("thread/archive", { threadId: stored });
        await client.call("thread/unarchive", { threadId: stored });
        const refusals = [
          await ask({ threadId: UNKNOWN, markdown: "" }),
          await ask({ threadId: stored, markdown: "p" }),
          await ask({ threadId: "nope", markdown: "p" }),
          await ask({ threadId, markdown: "", attachmentPath: "relative.md" }),
          await ask({ threadId, markdown: " \n " }),
          await ask({ threadId }),
        ].map((line) => line.replaceAll(stored, "<stored>"));
        const approved = await ask({ threadId, markdown: "# APPROVED\n1. do it", attachmentPath: "/nowhere/plan.md" });
        const requestsBefore = sides.provider.requests.length;
        await runTurn(threadId, "Implement the plan.");
        const request = sides.provider.requests[requestsBefore] as { input: Record<string, unknown>[] };
        // What the model was sent after the first turn's answer: the plan, then the prompt.
        const tail = request.input.slice(-2).map(({ id, ...rest }) => ({ ...rest, id: typeof id }));
        const turns = (
          await client.call<{ thread: { turns: { items: { type: string }[] }[] } }>("thread/read", {
            threadId,
            includeTurns: true,
          })
        ).thread.turns.map((turn) => turn.items.map((item) => item.type));
        return { refusals, approved, tail, turns };
      } finally {
        await client.close();
      }
    };
    const codex = await playApproval(await sides.openCodex({ experimentalApi: true }));
    // Read off the binary: the plan is the output of Codex's `proposed_plan` agent tool, for the model only.
    assert.deepEqual(codex.tail[0], {
      type: "function_call_output",
      id: "string",
      name: "proposed_plan",
      namespace: "agent",
      output: "# APPROVED\n1. do it",
    });
    assert.equal(codex.approved, JSON.stringify({ prompt: "Implement the plan." }));
    const switchyard = await playApproval(await sides.openSwitchyard("t-plans", "approver", { experimentalApi: true }));
    // Item ids are not compared: Switchyard sends the model none of its history's (Codex names each).
    const withoutIds = (side: typeof codex) => ({ ...side, tail: side.tail.map(({ id: _id, ...rest }) => rest) });
    assert.deepEqual(withoutIds(switchyard), withoutIds(codex));
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
