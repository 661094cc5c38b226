// Which settings a resumed or forked thread has, beside the real `codex app-server` 0.171.0 (its
// websocket listener, two clients per side). Codex records a thread's settings with its turns: a
// thread without turns that was unloaded (here by archiving and unarchiving it; it has a name, so it
// can be resumed at all) comes back with the config's settings as they are now and the resume's
// overrides, as a thread started now would, not with those it was started with; a thread still
// loaded keeps its own and ignores the overrides. A fork takes its model and reasoning effort from
// the config (and its overrides) always, and its approval policy and sandbox from its source when the
// source has a session (loaded, or recorded by its turns), else from the config. Each side is
// compared with itself (a fresh start's settings) and with the other (the same pattern of kept and
// replaced settings). The second scenario plays thread/settings/update on both sides and compares
// what they announce and answer: a collaboration mode carries the thread's model and effort, any
// update records a thread's settings as a turn does, a fork keeps only its source's disabled plugins.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CodexTestClient } from "./harness/client.js";
import { listenerBesideStackForSuite } from "./harness/codex-listener.js";
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

/** Developer instructions a client gives its collaboration mode. */
const MY_INSTRUCTIONS = "my instructions";
/** A collaboration mode as a client sends it. */
const mode = (name: "plan" | "default", model: string, effort: string | null, instructions: string | null = null) => ({
  mode: name,
  settings: { model, reasoning_effort: effort, developer_instructions: instructions },
});

interface SettingsUpdates {
  defaultModel: string;
  observed: Record<string, unknown>;
}

/**
 * thread/settings/update on one side: the settings each update announces (thread/settings/updated),
 * and the session a resume or fork answers after an update of a thread without turns.
 */
async function playSettingsUpdates(open: () => Promise<CodexTestClient>): Promise<SettingsUpdates> {
  const client = await open();
  try {
    const defaultModel = (await client.call<Session>("thread/start", {})).model;
    const newThread = async (params: Record<string, unknown> = {}) =>
      (await client.call<{ thread: { id: string } }>("thread/start", params)).thread.id;
    /** What the update announced for its thread: the settings' model-related fields. */
    const update = async (threadId: string, change: Record<string, unknown>) => {
      const earlier = new Set(client.notifications);
      await client.call("thread/settings/update", { threadId, ...change });
      const announced = await client.waitForNotification(
        (n) => !earlier.has(n) && n.method === "thread/settings/updated" && n.params?.threadId === threadId,
      );
      const settings = announced.params?.threadSettings as Record<string, unknown>;
      return ["model", "effort", "summary", "serviceTier", "disabledPluginIds", "collaborationMode"].map((key) => [
        key,
        settings[key],
      ]);
    };
    const updates = async (threadId: string, changes: Record<string, unknown>[]) => {
      const seen = [];
      for (const change of changes) seen.push(Object.fromEntries(await update(threadId, change)));
      return seen;
    };
    const session = (answer: Session & Record<string, unknown>) => ({
      ...settingsOf(answer),
      serviceTier: answer.serviceTier,
      disabledPluginIds: answer.disabledPluginIds,
      collaborationMode: answer.collaborationMode,
    });
    const unloadedAfter = async (change: Record<string, unknown> | undefined) => {
      const threadId = await newThread(STARTED_WITH);
      await client.call("thread/name/set", { threadId, name: "updated" });
      if (change) await client.call("thread/settings/update", { threadId, ...change });
      await client.call("thread/archive", { threadId });
      await client.call("thread/unarchive", { threadId });
      return threadId;
    };
    const everything = {
      collaborationMode: mode("plan", "gpt-mode", "minimal"),
      summary: "detailed",
      disabledPluginIds: ["probe@market"],
      serviceTier: "priority",
    };

    const modeWinsOverModel = await updates(await newThread(), [
      { model: "gpt-own", effort: "high", collaborationMode: mode("plan", "gpt-mode", null) },
    ]);
    const laterChangesMoveTheMode = await updates(await newThread(), [
      { collaborationMode: mode("plan", "gpt-mode", "minimal", MY_INSTRUCTIONS) },
      { model: "gpt-later" },
      { effort: "low" },
      { summary: "concise", serviceTier: "flex" },
      { collaborationMode: mode("default", "gpt-back", "medium") },
    ]);
    const source = await newThread();
    await client.call("thread/name/set", { threadId: source, name: "source" }); // a thread can be forked once stored
    await update(source, everything);
    const fork = await client.call<Session & Record<string, unknown> & { thread: { id: string } }>("thread/fork", {
      threadId: source,
    });
    const forkOfLoaded = session(fork);
    const forkSettings = await updates(fork.thread.id, [{ approvalPolicy: "untrusted" }]);
    const resumedAfterUpdate = session(
      await client.call("thread/resume", { threadId: await unloadedAfter({ approvalPolicy: "never" }) }),
    );
    const resumedAfterModeUpdate = session(await client.call("thread/resume", { threadId: await unloadedAfter(everything) }));
    const forkOfUnloadedAfterUpdate = session(await client.call("thread/fork", { threadId: await unloadedAfter(everything) }));
    const resumedWithoutUpdate = session(await client.call("thread/resume", { threadId: await unloadedAfter(undefined) }));
    const recordedRead = await client.call<{ thread: { model: string | null } }>("thread/read", {
      threadId: await unloadedAfter({ summary: "concise" }),
    });
    return {
      defaultModel,
      observed: {
        modeWinsOverModel,
        laterChangesMoveTheMode,
        forkOfLoaded,
        forkSettings,
        resumedAfterUpdate,
        resumedAfterModeUpdate,
        forkOfUnloadedAfterUpdate,
        resumedWithoutUpdate,
        recordedModel: recordedRead.thread.model,
      },
    };
  } finally {
    await client.close();
  }
}

/**
 * thread/settings/update's `permissions` on one side: each update's answer (or refusal) and what its
 * `thread/settings/updated` says of the approval policy, sandbox and active profile.
 */
async function playPermissions(open: () => Promise<CodexTestClient>) {
  const client = await open();
  try {
    const { thread } = await client.call<{ thread: { id: string } }>("thread/start", {});
    await client.call("thread/name/set", { threadId: thread.id, name: "permissions" }); // so it can be resumed
    const unknownThread = "00000000-0000-4000-8000-000000000000";
    const update = async (change: Record<string, unknown>, threadId = thread.id) => {
      const earlier = new Set(client.notifications);
      const reply = await client.request("thread/settings/update", { threadId, ...change });
      // What the update announces (nothing when it changes nothing): the binary sends it a moment after its answer.
      const announcement = () =>
        client.notifications.find(
          (n) => !earlier.has(n) && n.method === "thread/settings/updated" && n.params?.threadId === threadId,
        );
      for (let waited = 0; waited < 500 && !announcement(); waited += 25) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const announced = announcement()?.params?.threadSettings as Record<string, any> | undefined;
      return {
        answer: reply.error ? { code: reply.error.code, message: reply.error.message.replace(threadId, "<id>") } : reply.result,
        announced: announced && {
          approvalPolicy: announced.approvalPolicy,
          sandbox: announced.sandboxPolicy?.type,
          activePermissionProfile: announced.activePermissionProfile,
        },
      };
    };
    const seen: Record<string, unknown> = {};
    seen["a built-in profile"] = await update({ permissions: ":workspace" });
    seen["a sandbox policy alone (no profile then)"] = await update({
      sandboxPolicy: { type: "readOnly", networkAccess: false },
    });
    seen["a profile with an approval policy"] = await update({ permissions: ":workspace", approvalPolicy: "never" });
    seen["the same profile again (no change)"] = await update({ permissions: ":workspace" });
    seen["full access with a model"] = await update({ permissions: ":danger-full-access", model: "gpt-perm" });
    seen["an empty profile id"] = await update({ permissions: "" });
    seen["an unknown built-in, with a model"] = await update({ permissions: ":nope", model: "gpt-never" });
    seen["a profile undefined without a [permissions] table"] = await update({ permissions: "mine" });
    seen["a profile with a sandbox policy"] = await update({
      permissions: ":read-only",
      sandboxPolicy: { type: "readOnly", networkAccess: false },
    });
    seen["an unknown thread, an unknown profile"] = await update({ permissions: ":nope" }, unknownThread);
    await client.call("config/batchWrite", {
      edits: [{ keyPath: "permissions.mine", value: { extends: ":workspace" }, mergeStrategy: "upsert" }],
    });
    seen["a profile of the user's config"] = await update({ permissions: "mine" });
    seen["a profile the table does not define"] = await update({ permissions: "other" });
    const resumed = await client.call<Record<string, any>>("thread/resume", { threadId: thread.id });
    seen["the resumed thread"] = {
      approvalPolicy: resumed.approvalPolicy,
      sandbox: resumed.sandbox.type,
      activePermissionProfile: resumed.activePermissionProfile,
    };
    return seen;
  } finally {
    await client.close();
  }
}

describe("resumed settings beside the 0.171.0 binary", () => {
  const besideListener = listenerBesideStackForSuite("resume-settings");

  test("resumes and forks take the settings Codex gives them: the config's or the thread's, as it recorded them", async () => {
    const sides = besideListener();
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

  test("a settings update: the collaboration mode carries the model and effort, it records the settings, a fork keeps only the disabled plugins", async () => {
    const sides = besideListener();
    const answered = {
      codex: await playSettingsUpdates(() => sides.openCodex({ experimentalApi: true })),
      switchyard: await playSettingsUpdates(() => sides.openSwitchyard("t-settings", "settings-user", { experimentalApi: true })),
    };
    // The deployment's default model is not Codex's: each side's is read off a fresh start of its own.
    const ownDefault = (side: SettingsUpdates, value: unknown) => (value === side.defaultModel ? "<default>" : value);
    const normalized = (side: SettingsUpdates) =>
      JSON.parse(JSON.stringify(side.observed, (_key, value) => ownDefault(side, value))) as Record<string, unknown>;
    const binary = normalized(answered.codex);
    // The one difference kept: for a mode set without instructions of its own, Codex shows its built-in
    // prompt for that mode ("# Plan Mode …", "# Collaboration Mode: Default …"), which Switchyard does
    // not carry (null there).
    const builtInPrompt = (value: unknown) => (typeof value === "string" && value !== MY_INSTRUCTIONS ? null : value);
    // A resume shows the tier a stored thread keeps as its model offers it: `gpt-mode` is in neither
    // side's catalog, so `priority` shows as null (interop-model-catalog.test.ts has the rules).
    assert.equal((binary.resumedAfterModeUpdate as { serviceTier: unknown }).serviceTier, null);
    assert.deepEqual(
      normalized(answered.switchyard),
      JSON.parse(JSON.stringify(binary, (key, value) => (key === "developer_instructions" ? builtInPrompt(value) : value))),
    );
    // What the comparison rests on, read off the binary: the mode's model and effort win over the
    // update's own, and an update records the settings of a thread without turns.
    const modeAndModel = binary.modeWinsOverModel as { model: string; effort: string | null }[];
    assert.deepEqual(
      modeAndModel.map(({ model, effort }) => ({ model, effort })),
      [{ model: "gpt-mode", effort: null }],
    );
    assert.equal((binary.resumedAfterUpdate as { model: string }).model, STARTED_WITH.model);
    assert.equal((binary.resumedWithoutUpdate as { model: string }).model, "<default>");
  });

  test("a permission profile: the sandbox it grants and the active profile, refused in Codex's words before anything changes", async () => {
    const sides = besideListener();
    const theirs = await playPermissions(() => sides.openCodex({ experimentalApi: true }));
    const ours = await playPermissions(() =>
      sides.openSwitchyard("t-permissions", "permissions-user", { experimentalApi: true }),
    );
    // Read off the binary, so the comparison below compares what matters.
    assert.deepEqual(theirs["a built-in profile"], {
      answer: {},
      announced: {
        approvalPolicy: "on-request",
        sandbox: "workspaceWrite",
        activePermissionProfile: { id: ":workspace", extends: null },
      },
    });
    assert.deepEqual(ours, theirs);
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
