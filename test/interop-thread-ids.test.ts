// Thread ids and missing threads, answered as the real `codex app-server` 0.171.0 answers them: the
// same requests go to the binary (stdio, loopback) and to Switchyard, and every answer must match,
// code and message — malformed ids (the `uuid` crate's diagnosis, `invalid thread id` or `invalid
// session id` by method), ids in other accepted forms (named by their canonical form), unknown threads
// (`thread not loaded`, `no rollout found …`, `thread not found` by method), turn control on a
// thread with no turn running, and other checks of a request (their order, words and codes).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary, loopbackCodexHome } from "./harness/codex-binary.js";
import { type Stack, startStack } from "./harness/stack.js";
import { StdioAppServer } from "./harness/stdio-app-server.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const UNKNOWN = "0199a8f0-0000-7000-8000-00000000dead";
const IDS = [
  "nope",
  "0199a8f0-0000-7000-8000",
  "{0199a8f0-0000-7000-8000-00000000dea}",
  "0199a8f0-000-70000-8000-00000000dead",
  UNKNOWN,
  "{0199a8f0-0000-7000-8000-00000000dead}",
  "0199A8F0-0000-7000-8000-00000000DEAD",
];
const text = (value: string) => [{ type: "text", text: value, text_elements: [] }];
/** Each method that names a thread, with the rest of its params. */
const METHODS: [string, Record<string, unknown>][] = [
  ["thread/read", {}],
  ["thread/read", { includeTurns: true }],
  ["thread/turns/list", {}],
  ["thread/name/set", { name: "x" }],
  ["thread/metadata/update", { gitInfo: { branch: "main" } }],
  ["thread/settings/update", { effort: "high" }],
  ["thread/readState/update", { operation: { type: "read" }, expectedRevision: "1" }],
  ["thread/goal/set", { objective: "x", status: "paused" }],
  ["thread/goal/get", {}],
  ["thread/goal/clear", {}],
  ["thread/compact/start", {}],
  ["turn/steer", { expectedTurnId: "x", input: text("x") }],
  ["turn/interrupt", { turnId: "x" }],
  ["turn/start", { input: text("x") }],
  ["thread/unsubscribe", {}],
  ["thread/archive", {}],
  ["thread/unarchive", {}],
  ["thread/resume", {}],
  ["thread/fork", {}],
  ["thread/delete", {}],
];

type Answer = { result?: unknown; error?: { code: number; message: string } };
const summary = (answer: Answer) => (answer.error ? `${answer.error.code} ${answer.error.message}` : "answered");

describe("thread ids and missing threads, against codex app-server 0.171.0", () => {
  let codex: StdioAppServer;
  let stack: Stack;
  let client: CodexTestClient;
  let codexThread = "";
  let ownThread = "";

  before(async () => {
    const workspace = mkdtempSync(join(tmpdir(), "sy-thread-ids-"));
    const cwd = join(workspace, "work");
    mkdirSync(cwd);
    codex = await StdioAppServer.start(ensureCodexBinary("0.171.0"), {
      codexHome: loopbackCodexHome(join(workspace, "home")),
      cwd,
    });
    stack = await startStack("thread-ids", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
    client = await CodexTestClient.open(stack.url, {
      token: await hs256Token({ tenant: "ids", sub: "ids-user" }),
      experimentalApi: true,
    });
    codexThread = (await codex.request("thread/start", { cwd })).result.thread.id;
    ownThread = (await client.call("thread/start", { cwd })).thread.id;
  });
  after(async () => {
    await client?.close();
    await codex?.stop();
    await stack?.stop();
  });

  test("malformed, other-form and unknown ids: the same answer as Codex, method by method", async () => {
    const differences: string[] = [];
    let compared = 0;
    for (const [method, rest] of METHODS) {
      for (const threadId of IDS) {
        const expected = summary(await codex.request(method, { ...rest, threadId }));
        const actual = summary((await client.request(method, { ...rest, threadId })) as Answer);
        compared++;
        if (actual !== expected)
          differences.push(`${method} ${JSON.stringify(threadId)}:\n  codex: ${expected}\n  ours:  ${actual}`);
      }
    }
    assert.equal(compared, METHODS.length * IDS.length);
    assert.deepEqual(differences, []);
  });

  test("other checks of a request: the same order, words and codes as Codex", async () => {
    const cases: [string, (threadId: string) => Record<string, unknown>][] = [
      ["thread/list", () => ({ includedThreadIds: ["nope"] })],
      ["thread/list", () => ({ excludedThreadIds: ["0199a8f0"] })],
      ["thread/list", () => ({ parentThreadId: "nope" })],
      ["thread/list", () => ({ ancestorThreadId: "0199a8f0-0000" })],
      ["thread/list", () => ({ cursor: "zzz" })],
      ["thread/goal/set", (threadId) => ({ threadId, status: "paused" })],
      ["thread/goal/set", (threadId) => ({ threadId, objective: "o", tokenBudget: 0 })],
      ["thread/goal/set", (threadId) => ({ threadId, objective: "  " })],
      ["thread/metadata/update", (threadId) => ({ threadId, gitInfo: { sha: " " } })],
      ["turn/steer", (threadId) => ({ threadId, expectedTurnId: "x", input: [] })],
      ["turn/start", (threadId) => ({ threadId, input: [{ type: "bogus" }] })],
      ["thread/start", () => ({ modelProvider: "nope" })],
      // An effort is any non-empty string (the model's own values): an empty one is refused in Codex's words.
      ["thread/settings/update", (threadId) => ({ threadId, effort: "" })],
      ["thread/settings/update", (threadId) => ({ threadId, effort: "ultra-bogus" })],
      ["turn/start", (threadId) => ({ threadId, effort: "", input: text("x") })],
      // A config write to keys Codex does not know is kept, not refused (a newer client's settings).
      ["config/value/write", () => ({ keyPath: "no_such_key", value: 1, mergeStrategy: "replace" })],
      ["config/value/write", () => ({ keyPath: "no_such_table.x", value: 1, mergeStrategy: "replace" })],
      ["config/value/write", () => ({ keyPath: "features.no_such_feature", value: true, mergeStrategy: "replace" })],
      // Nothing recorded about the thread yet (every check above was refused): no read state.
      ["thread/readState/update", (threadId) => ({ threadId, operation: { type: "read" }, expectedRevision: "0" })],
      // Nor a rollout: such a thread cannot be resumed or forked, even while it is loaded.
      ["thread/resume", (threadId) => ({ threadId })],
      ["thread/fork", (threadId) => ({ threadId })],
      ["thread/resume", (threadId) => ({ threadId, excludeTurns: true })],
    ];
    const differences: string[] = [];
    for (const [method, params] of cases) {
      const expected = summary(await codex.request(method, params(codexThread))).replaceAll(codexThread, "<thread>");
      const actual = summary((await client.request(method, params(ownThread))) as Answer).replaceAll(ownThread, "<thread>");
      if (actual !== expected)
        differences.push(`${method} ${JSON.stringify(params("<thread>"))}:\n  codex: ${expected}\n  ours:  ${actual}`);
    }
    assert.deepEqual(differences, []);
  });

  test("an ephemeral thread is never written: resume and fork refuse it, as Codex does", async () => {
    const codexEphemeral = (await codex.request("thread/start", { cwd: "/tmp", ephemeral: true })).result.thread.id;
    const ownEphemeral = (await client.call("thread/start", { ephemeral: true })).thread.id;
    await client.call("thread/name/set", { threadId: ownEphemeral, name: "still ephemeral" });
    await codex.request("thread/name/set", { threadId: codexEphemeral, name: "still ephemeral" });
    for (const method of ["thread/resume", "thread/fork"]) {
      const expected = summary(await codex.request(method, { threadId: codexEphemeral })).replaceAll(codexEphemeral, "<thread>");
      const actual = summary((await client.request(method, { threadId: ownEphemeral })) as Answer).replaceAll(
        ownEphemeral,
        "<thread>",
      );
      assert.equal(actual, expected, method);
      assert.equal(actual, "-32600 no rollout found for thread id <thread>");
    }
  });

  test("thread/start, thread/read and thread/list carry every field Codex sends, and only those", async () => {
    const keys = (value: Record<string, unknown>) => Object.keys(value).sort();
    const started = {
      codex: (await codex.request("thread/start", { cwd: "/tmp" })).result,
      ours: await client.call("thread/start", {}),
    };
    assert.deepEqual(keys(started.ours), keys(started.codex), "thread/start's answer");
    assert.deepEqual(keys(started.ours.thread), keys(started.codex.thread), "its thread");
    // The source Codex's app-server records for its clients' threads, which the TUI's lookups ask for.
    assert.equal(started.ours.thread.source, started.codex.thread.source);
    // The creating client's name.
    assert.equal(started.codex.thread.originator, "switchyard-interop");
    assert.equal(started.ours.thread.originator, "switchyard-test");
    // With no sandbox named anywhere, the built-in profile the project's trust picks is the active one.
    assert.deepEqual(started.ours.activePermissionProfile, started.codex.activePermissionProfile);
    assert.deepEqual(started.ours.activePermissionProfile, { id: ":read-only", extends: null });
    const read = {
      codex: (await codex.request("thread/read", { threadId: started.codex.thread.id })).result,
      ours: await client.call("thread/read", { threadId: started.ours.thread.id }),
    };
    assert.deepEqual(keys(read.ours), keys(read.codex), "thread/read's answer");
    assert.deepEqual(keys(read.ours.thread), keys(read.codex.thread), "its thread");
    // A fresh thread: loaded, so it takes input; its recency starts at its creation; no read state yet.
    for (const answer of [read.codex, read.ours]) {
      assert.equal(answer.thread.canAcceptDirectInput, true);
      assert.equal(answer.thread.recencyAt, answer.thread.createdAt);
      assert.equal(answer.readState, null);
    }
    const listed = { codex: (await codex.request("thread/list", {})).result, ours: await client.call("thread/list", {}) };
    assert.deepEqual(keys(listed.ours), keys(listed.codex), "thread/list's answer");
  });

  test("turn control on a loaded thread with no turn running: Codex's words", async () => {
    for (const [method, rest] of METHODS.filter(([name]) => name === "turn/steer" || name === "turn/interrupt")) {
      const expected = summary(await codex.request(method, { ...rest, threadId: codexThread }));
      const actual = summary((await client.request(method, { ...rest, threadId: ownThread })) as Answer);
      assert.match(expected, /no active turn to/);
      assert.equal(actual, expected, method);
    }
  });
});
