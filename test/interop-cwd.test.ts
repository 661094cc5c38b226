// A cwd a client names, against the real `codex app-server` 0.171.0: Codex takes a relative one
// relative to its own directory and normalizes every one (`.`, `..`, a trailing slash), at thread
// start, in a settings update and in thread/list's filter. Switchyard does the same against the deployment's default cwd
// (`THREAD_DEFAULT_CWD`, `/workspace` here), the cloud's counterpart of the server's directory.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodex } from "./harness/beside-codex.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";

const DEFAULT_CWD = "/workspace";
const CWDS = ["", ".", "project", "a/../b/./c/", "/srv/x/../y/./z/", "/srv/plain"];

describe("cwds as Codex 0.171.0 takes them", () => {
  let sides: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    provider = await startScriptedResponses();
    sides = await besideCodex("cwd", {
      codexHome: { providerBaseUrl: provider.baseUrl },
      stack: scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl), { THREAD_DEFAULT_CWD: DEFAULT_CWD }),
      client: { experimentalApi: true },
    });
  });
  after(async () => {
    await sides?.stop();
    await provider?.close();
  });

  /** A cwd with each side's base directory named alike, so the two sides compare. */
  const relativeTo = (base: string, cwd: string) =>
    cwd === base ? "<base>" : cwd.startsWith(`${base}/`) ? `<base>${cwd.slice(base.length)}` : cwd;

  test("thread/start: relative to the base directory, normalized", async () => {
    for (const cwd of CWDS) {
      const theirs = await sides.codex.request("thread/start", { cwd });
      assert.equal(theirs.error, undefined, JSON.stringify(theirs.error));
      const ours = await sides.client.call("thread/start", { cwd });
      assert.equal(
        relativeTo(DEFAULT_CWD, ours.cwd),
        relativeTo(sides.serverCwd, theirs.result.cwd),
        `cwd ${JSON.stringify(cwd)}`,
      );
      assert.equal(ours.thread.cwd, ours.cwd);
    }
    // Both sides resolved "a/../b/./c/" to <base>/b/c.
    assert.equal((await sides.client.call("thread/start", { cwd: "a/../b/./c/" })).cwd, "/workspace/b/c");
  });

  test("thread/settings/update: the same rule, as the settings notification shows", async () => {
    const codexThread = (await sides.codex.request("thread/start", { cwd: "/srv/start" })).result.thread.id;
    const ourThread = (await sides.client.call("thread/start", { cwd: "/srv/start" })).thread.id;
    for (const cwd of ["sub/../dir", ""]) {
      const from = sides.codex.notifications.length;
      assert.deepEqual((await sides.codex.request("thread/settings/update", { threadId: codexThread, cwd })).result, {});
      const theirs = await sides.codex.waitForNotification(
        (n) => n.method === "thread/settings/updated" && sides.codex.notifications.indexOf(n) >= from,
        10_000,
      );
      const ourFrom = sides.client.notifications.length;
      const heard = sides.client.waitForNotification(
        (n) =>
          n.method === "thread/settings/updated" &&
          n.params.threadId === ourThread &&
          sides.client.notifications.indexOf(n) >= ourFrom,
      );
      assert.deepEqual(await sides.client.call("thread/settings/update", { threadId: ourThread, cwd }), {});
      const ours = await heard;
      assert.equal(
        relativeTo(DEFAULT_CWD, ours.params.threadSettings.cwd),
        relativeTo(sides.serverCwd, theirs.params.threadSettings.cwd),
        `settings cwd ${JSON.stringify(cwd)}`,
      );
    }
  });

  test("thread/list: the cwd filter is taken the same way", async () => {
    const { codex, client, serverCwd } = sides;
    /** A thread started in `sub` with one turn (so it is listed), on one side. */
    const codexThread = (await codex.request("thread/start", { cwd: "sub" })).result.thread.id as string;
    provider.script({ text: "listed" });
    await codex.request("turn/start", { threadId: codexThread, input: [{ type: "text", text: "hi", text_elements: [] }] });
    await codex.waitForNotification((n) => n.method === "turn/completed" && n.params.threadId === codexThread, 30_000);
    const ourThread = (await client.call("thread/start", { cwd: "sub" })).thread.id as string;
    const completed = client.waitForNotification((n) => n.method === "turn/completed" && n.params.threadId === ourThread, 30_000);
    provider.script({ text: "listed" });
    await client.call("turn/start", { threadId: ourThread, input: [{ type: "text", text: "hi", text_elements: [] }] });
    await completed;
    const filters = (base: string) => ["sub", `${base}/sub`, `${base}/sub/`, `${base}/x/../sub`, "./sub", ["sub"], "elsewhere"];
    const theirs = await Promise.all(
      filters(serverCwd).map(async (cwd) =>
        ((await codex.request("thread/list", { cwd })).result.data as { id: string }[]).map((t) => t.id),
      ),
    );
    const ours = await Promise.all(
      filters(DEFAULT_CWD).map(async (cwd) =>
        ((await client.call("thread/list", { cwd })).data as { id: string }[]).map((t) => t.id),
      ),
    );
    assert.deepEqual(theirs, [...Array(6).fill([codexThread]), []]);
    assert.deepEqual(ours, [...Array(6).fill([ourThread]), []]);
  });
});
