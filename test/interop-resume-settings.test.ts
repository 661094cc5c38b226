// Which settings a resumed or forked thread has, beside the real `codex app-server` 0.171.0 (its
// websocket listener, two clients per side). Codex records a thread's settings with its turns: a
// thread without turns that was unloaded (here by archiving and unarchiving it; it has a name, so it
// can be resumed at all) comes back with the config's settings as they are now and the resume's
// overrides, as a thread started now would, not with those it was started with; a thread still
// loaded keeps its own and ignores the overrides. A fork takes its model and reasoning effort from
// the config (and its overrides) always, and its approval policy and sandbox from its source when the
// source has a session (loaded, or recorded by its turns), else from the config. Each side is
// compared with itself (a fresh start's settings) and with the other (the same pattern of kept and
// replaced settings).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary } from "./harness/codex-binary.js";
import { type ListenerBesideStack, listenerBesideStack } from "./harness/codex-listener.js";
import { assertConformant } from "./harness/stack.js";

/** A thread started with settings other than the config's. */
const STARTED_WITH = {
  model: "gpt-started-with",
  approvalPolicy: "never",
  sandbox: "danger-full-access",
  config: { model_reasoning_effort: "low" },
};
/** A fork's overrides. */
const FORKED_WITH = { model: "gpt-forked-with", approvalPolicy: "untrusted" };
/** A resume's overrides. */
const RESUMED_WITH = { model: "gpt-resumed-with", approvalPolicy: "untrusted", config: { model_reasoning_effort: "high" } };

interface Session {
  model: string;
  reasoningEffort: string | null;
  approvalPolicy: unknown;
  sandbox: { type: string };
}
const settingsOf = (answer: Session) => ({
  model: answer.model,
  effort: answer.reasoningEffort,
  approvalPolicy: answer.approvalPolicy,
  sandbox: answer.sandbox.type,
});
type Settings = ReturnType<typeof settingsOf>;

/** What one side answered, each resume's settings named by how they relate to the side's own. */
async function play(open: () => Promise<CodexTestClient>) {
  const actor = await open();
  const other = await open();
  try {
    const fresh = settingsOf(await actor.call<Session>("thread/start", {}));
    const started = async () => {
      const answer = await actor.call<Session & { thread: { id: string } }>("thread/start", STARTED_WITH);
      await actor.call("thread/name/set", { threadId: answer.thread.id, name: "resumable" });
      return { threadId: answer.thread.id, settings: settingsOf(answer) };
    };
    const unloaded = async () => {
      const thread = await started();
      await actor.call("thread/archive", { threadId: thread.threadId });
      await actor.call("thread/unarchive", { threadId: thread.threadId });
      return thread;
    };
    const resume = async (threadId: string, overrides: Record<string, unknown> = {}) =>
      settingsOf(await other.call<Session>("thread/resume", { threadId, ...overrides }));

    const fork = async (threadId: string, overrides: Record<string, unknown> = {}) =>
      settingsOf(await actor.call<Session>("thread/fork", { threadId, ...overrides }));
    /** A thread started with STARTED_WITH that ran one turn (its settings recorded). */
    const withTurn = async () => {
      const thread = await started();
      await actor.call("turn/start", { threadId: thread.threadId, input: [{ type: "text", text: "hi", text_elements: [] }] });
      await actor.waitForNotification((n) => n.method === "turn/completed" && n.params?.threadId === thread.threadId, 20_000);
      return thread;
    };
    const unload = async (threadId: string) => {
      await actor.call("thread/archive", { threadId });
      await actor.call("thread/unarchive", { threadId });
    };

    const loaded = await started();
    const whileLoaded = await resume(loaded.threadId, RESUMED_WITH);
    const plain = await unloaded();
    const afterUnload = await resume(plain.threadId);
    const overridden = await unloaded();
    const afterUnloadWithOverrides = await resume(overridden.threadId, RESUMED_WITH);
    const forkOfLoaded = await fork(loaded.threadId);
    const forkOfUnloaded = await fork((await unloaded()).threadId);
    const forkWithOverrides = await fork((await unloaded()).threadId, FORKED_WITH);
    const ran = await withTurn();
    const forkOfLoadedWithTurn = await fork(ran.threadId);
    await unload(ran.threadId);
    const forkOfUnloadedWithTurn = await fork(ran.threadId);
    const resumeOfUnloadedWithTurn = await resume(ran.threadId);
    return {
      fresh,
      startedWith: loaded.settings,
      whileLoaded,
      afterUnload,
      afterUnloadWithOverrides,
      forkOfLoaded,
      forkOfUnloaded,
      forkWithOverrides,
      forkOfLoadedWithTurn,
      forkOfUnloadedWithTurn,
      resumeOfUnloadedWithTurn,
    };
  } finally {
    await actor.close();
    await other.close();
  }
}

describe("resumed settings beside the 0.171.0 binary", () => {
  let sides: ListenerBesideStack;

  before(async () => {
    sides = await listenerBesideStack("resume-settings", ensureCodexBinary("0.171.0"));
  });
  after(async () => {
    await sides?.stop();
  });

  test("resumes and forks take the settings Codex gives them: the config's or the thread's, as it recorded them", async () => {
    const answered = {
      codex: await play(() => sides.openCodex({ experimentalApi: true })),
      switchyard: await play(() => sides.openSwitchyard("t-resume", "resume-user", { experimentalApi: true })),
    };
    /** How each resume relates to the side's own settings: the same pattern is expected of both. */
    const pattern = (side: (typeof answered)["codex"]) => {
      const sameAs = (a: Settings, b: Settings) => JSON.stringify(a) === JSON.stringify(b);
      return {
        startedWithOverrides: !sameAs(side.startedWith, side.fresh),
        whileLoadedKeepsItsOwn: sameAs(side.whileLoaded, side.startedWith),
        afterUnloadTakesTheConfigs: sameAs(side.afterUnload, side.fresh),
        afterUnloadWithOverrides: side.afterUnloadWithOverrides,
        // A fork: the config's model and effort; its source's approval and sandbox while it has a session.
        forkOfLoaded: sameAs(side.forkOfLoaded, {
          ...side.fresh,
          approvalPolicy: side.startedWith.approvalPolicy,
          sandbox: side.startedWith.sandbox,
        }),
        forkOfUnloaded: sameAs(side.forkOfUnloaded, side.fresh),
        forkWithOverrides: sameAs(side.forkWithOverrides, {
          ...side.fresh,
          model: FORKED_WITH.model,
          approvalPolicy: "untrusted",
        }),
        forkOfLoadedWithTurn: sameAs(side.forkOfLoadedWithTurn, side.forkOfLoaded),
        forkOfUnloadedWithTurn: sameAs(side.forkOfUnloadedWithTurn, side.forkOfLoaded),
        resumeOfUnloadedWithTurnKeepsItsOwn: sameAs(side.resumeOfUnloadedWithTurn, side.startedWith),
      };
    };
    const expected = {
      startedWithOverrides: true,
      whileLoadedKeepsItsOwn: true,
      afterUnloadTakesTheConfigs: true,
      afterUnloadWithOverrides: {
        model: RESUMED_WITH.model,
        effort: "high",
        approvalPolicy: "untrusted",
        sandbox: answered.codex.fresh.sandbox,
      },
      forkOfLoaded: true,
      forkOfUnloaded: true,
      forkWithOverrides: true,
      forkOfLoadedWithTurn: true,
      forkOfUnloadedWithTurn: true,
      resumeOfUnloadedWithTurnKeepsItsOwn: true,
    };
    assert.deepEqual(pattern(answered.codex), expected, `the binary: ${JSON.stringify(answered.codex)}`);
    assert.deepEqual(pattern(answered.switchyard), expected, `Switchyard: ${JSON.stringify(answered.switchyard)}`);
    // The sandbox the config gives is the same on both sides (read-only): so is what the overrides leave.
    assert.equal(answered.switchyard.fresh.sandbox, answered.codex.fresh.sandbox);
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
