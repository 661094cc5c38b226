// What instructions reach the model, beside the real `codex app-server` 0.171.0: both sides talk to
// the same scripted Responses server, which keeps every request body. Codex 0.171.0 opens a request's
// `input` with developer messages: the base instructions (thread/start's `baseInstructions`) as one
// message of their own, then one message whose parts begin with the developer instructions (the
// start's `developerInstructions`, else the config's `developer_instructions`) and hold the
// collaboration mode's own instructions wrapped in `<collaboration_mode>`. Codex adds built-in texts
// around them (its base prompt, skills, permissions, a mode's default prompt, the environment
// context) that Switchyard does not carry: the comparison keeps only the texts the test gave. Last,
// what the model is told when it calls a tool nobody offered it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CodexTestClient } from "./harness/client.js";
import { type ListenerBesideStack, listenerBesideStackForSuite } from "./harness/codex-listener.js";
import { assertConformant } from "./harness/stack.js";

/** Every text the test gives starts with one of these. */
const OURS = /^(BASE|DEV|CFG|MODE|ask)-/;
const COLLABORATION_MODE = /^<collaboration_mode>(.*)<\/collaboration_mode>$/s;

type Message = { type?: string; role?: string; content?: { type: string; text?: string }[] };

/** A request's messages reduced to the texts the test gave: `role: part | part`, in order. */
function given(body: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const item of body.input as Message[]) {
    if (item.type !== "message" || !item.content) continue;
    const parts = item.content
      .map((part) => part.text ?? "")
      .map((text) => {
        const wrapped = COLLABORATION_MODE.exec(text)?.[1];
        return wrapped !== undefined && OURS.test(wrapped) ? `mode(${wrapped})` : text;
      })
      .filter((text) => OURS.test(text) || text.startsWith("mode("));
    if (parts.length > 0) lines.push(`${item.role}: ${parts.join(" | ")}`);
  }
  return lines;
}

async function play(sides: ListenerBesideStack, open: () => Promise<CodexTestClient>) {
  const client = await open();
  /** The requests one turn made, as `given` reduces them. */
  const turn = async (threadId: string, text: string) => {
    const from = sides.provider.requests.length;
    const earlier = new Set(client.notifications);
    await client.call("turn/start", { threadId, input: [{ type: "text", text, text_elements: [] }] });
    await client.waitForNotification(
      (n) => !earlier.has(n) && n.method === "turn/completed" && n.params?.threadId === threadId,
      20_000,
    );
    return sides.provider.requests.slice(from).map(given);
  };
  const start = async (params: Record<string, unknown>) =>
    (await client.call<{ thread: { id: string } }>("thread/start", params)).thread.id;
  try {
    const instructed = await start({ baseInstructions: "BASE-start", developerInstructions: "DEV-start" });
    const firstTurn = await turn(instructed, "ask-first");
    const secondTurn = await turn(instructed, "ask-second");
    const moded = await start({});
    await client.call("thread/settings/update", {
      threadId: moded,
      collaborationMode: {
        mode: "default",
        settings: { model: "gpt-mode", reasoning_effort: null, developer_instructions: "MODE-mine" },
      },
    });
    const withMode = await turn(moded, "ask-mode");
    const fromConfig = await turn(await start({ config: { developer_instructions: "CFG-config" } }), "ask-config");
    const startWinsOverConfig = await turn(
      await start({ developerInstructions: "DEV-own", config: { developer_instructions: "CFG-loses" } }),
      "ask-both",
    );
    const plain = await turn(await start({}), "ask-plain");
    const source = await start({ developerInstructions: "DEV-source" });
    await turn(source, "ask-source");
    const fork = (await client.call<{ thread: { id: string } }>("thread/fork", { threadId: source })).thread.id;
    const forkTurn = await turn(fork, "ask-fork");
    // A resume's instructions: a thread whose turns recorded its own keeps them, loaded or not; one
    // without turns, unloaded, comes back with the config's (here none), as its other settings do.
    const unload = async (threadId: string) => {
      await client.call("thread/archive", { threadId });
      await client.call("thread/unarchive", { threadId });
    };
    await client.call("thread/resume", { threadId: source, developerInstructions: "DEV-loaded-resume" });
    const afterLoadedResume = await turn(source, "ask-loaded-resume");
    await unload(source);
    await client.call("thread/resume", {
      threadId: source,
      developerInstructions: "DEV-resume",
      baseInstructions: "BASE-resume",
    });
    const afterUnloadedResume = await turn(source, "ask-unloaded-resume");
    const turnless = await start({ developerInstructions: "DEV-turnless" });
    await client.call("thread/name/set", { threadId: turnless, name: "stored" });
    await unload(turnless);
    await client.call("thread/resume", { threadId: turnless });
    const turnlessResumed = await turn(turnless, "ask-turnless");
    // A call of a tool nobody offered: what the model is told back (here Codex offers no update_plan).
    const from = sides.provider.requests.length;
    sides.provider.script({ toolCall: { name: "update_plan", arguments: { plan: [] } } }, { text: "ok" });
    await turn(await start({}), "ask-tool");
    const toldBack = sides.provider.requests
      .slice(from)
      .flatMap((body) =>
        (body.input as { type?: string; output?: unknown }[]).filter((item) => item.type === "function_call_output"),
      )
      .map((item) => item.output);
    return {
      firstTurn,
      secondTurn,
      withMode,
      fromConfig,
      startWinsOverConfig,
      plain,
      forkTurn,
      afterLoadedResume,
      afterUnloadedResume,
      turnlessResumed,
      toldBack,
    };
  } finally {
    await client.close();
  }
}

describe("instructions given to the model, beside the 0.171.0 binary", () => {
  const besideListener = listenerBesideStackForSuite("instructions");

  test("base and developer instructions, the config's, a collaboration mode's: where the binary puts them", async () => {
    const sides = besideListener();
    const codex = await play(sides, () => sides.openCodex({ experimentalApi: true }));
    const switchyard = await play(sides, () => sides.openSwitchyard("t-instructions", "instructed", { experimentalApi: true }));
    // Read off the binary (one request per turn: the scripted answer calls no tool).
    assert.deepEqual(
      codex,
      {
        firstTurn: [["developer: BASE-start", "developer: DEV-start", "user: ask-first"]],
        secondTurn: [["developer: BASE-start", "developer: DEV-start", "user: ask-first", "user: ask-second"]],
        withMode: [["developer: mode(MODE-mine)", "user: ask-mode"]],
        fromConfig: [["developer: CFG-config", "user: ask-config"]],
        startWinsOverConfig: [["developer: DEV-own", "user: ask-both"]],
        plain: [["user: ask-plain"]],
        forkTurn: [["developer: DEV-source", "user: ask-source", "user: ask-fork"]],
        afterLoadedResume: [["developer: DEV-source", "user: ask-source", "user: ask-loaded-resume"]],
        afterUnloadedResume: [
          ["developer: DEV-source", "user: ask-source", "user: ask-loaded-resume", "user: ask-unloaded-resume"],
        ],
        turnlessResumed: [["user: ask-turnless"]],
        toldBack: ["unsupported call: update_plan"],
      },
      JSON.stringify(codex),
    );
    assert.deepEqual(switchyard, codex);
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
