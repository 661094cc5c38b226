// Refusals of malformed params against the real `codex app-server` 0.171.0: the same code and the
// same text, for integer fields serde types as u32, u64 or i64 (negative, fractional, too large, a
// string), for enums, structs, tagged enums and paths, for fields a cloud session ignores but Codex
// checks, and for methods whose params are required. Clients that match on Codex's texts keep working.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodex } from "./harness/beside-codex.js";

const THREAD = "019a0000-0000-7000-8000-000000000000";

/** Methods with a `limit` serde types as u32, and the params each needs besides. */
const LIMITED: [string, Record<string, unknown>][] = [
  ["thread/list", {}],
  ["thread/loaded/list", {}],
  ["thread/turns/list", { threadId: THREAD }],
  ["thread/items/list", { threadId: THREAD }],
  ["thread/queue/list", { threadId: THREAD }],
  ["thread/backgroundTerminals/list", { threadId: THREAD }],
  ["thread/search", { searchTerm: "x" }],
  ["model/list", {}],
  ["experimentalFeature/list", {}],
  ["permissionProfile/list", {}],
];
const BAD_INTEGERS = [-1, 1.5, 4_294_967_296, "10"];

/** Malformed params of every other kind the binary refuses (each found by sending it every method's fields wrongly typed). */
const MALFORMED: [string, unknown][] = [
  // Enums: an unknown variant, and null where a value is required.
  ["thread/start", { approvalPolicy: "sometimes" }],
  ["thread/start", { personality: "grumpy" }],
  ["thread/start", { multiAgentMode: "wrong" }],
  ["thread/start", { sessionStartSource: "wrong" }],
  ["turn/start", { summary: "wrong", threadId: THREAD, input: [] }],
  ["turn/start", { cyberAccessProgram: "wrong", threadId: THREAD, input: [] }],
  ["thread/goal/set", { origin: "wrong", threadId: THREAD }],
  ["thread/goal/clear", { origin: 5 }],
  ["thread/realtime/list", { order: "wrong" }],
  ["config/value/write", { keyPath: "model", value: "x", mergeStrategy: null }],
  // Structs and tagged enums by their Rust names.
  ["turn/start", { collaborationMode: "wrong" }],
  ["turn/start", { sandboxPolicy: "wrong" }],
  ["turn/start", { toolOutput: "wrong", threadId: THREAD, input: [] }],
  ["thread/settings/update", { collaborationMode: 5 }],
  ["thread/resume", { initialTurnsPage: "wrong" }],
  ["thread/metadata/update", { gitInfo: "wrong" }],
  ["thread/readState/update", { threadId: THREAD, operation: null, expectedRevision: "1" }],
  ["thread/items/list", { deferOutput: "wrong", threadId: THREAD }],
  // Paths.
  ["thread/resume", { path: 12345 }],
  ["turn/start", { cwd: 12345 }],
  ["skills/config/write", { path: "relative/SKILL.md" }],
  // Fields a cloud session does not use, checked all the same.
  ["thread/start", { experimentalRawEvents: "wrong" }],
  ["thread/start", { environments: "wrong" }],
  ["thread/start", { serviceName: 12345 }],
  ["thread/fork", { deferGoalContinuation: "wrong" }],
  ["turn/start", { turnTrigger: 12345, threadId: THREAD, input: [] }],
  ["turn/start", { permissions: 12345, threadId: THREAD, input: [] }],
  // A map where serde wants a map, by any other name.
  ["thread/start", { config: "wrong" }],
  // Methods whose params are required.
  ...[
    "account/read",
    "model/list",
    "config/read",
    "thread/loaded/list",
    "skills/list",
    "hooks/list",
    "collaborationMode/list",
  ].map((method): [string, unknown] => [method, undefined]),
];

/**
 * Checks whose order decides which refusal comes (found by sending every method the schema's sample
 * params and `{}`): the thread before what is queued, a process id before the thread, the thread
 * before a settings update's fields, serde's first missing field in Codex's field order.
 */
const IN_ORDER: [string, unknown][] = [
  ["thread/queue/add", { threadId: THREAD, input: [] }],
  ["thread/queue/update", { threadId: THREAD, queuedSubmissionId: THREAD, input: [] }],
  ...["", "x", " 1", "2147483648", "-2147483649"].map((processId): [string, unknown] => [
    "thread/backgroundTerminals/terminate",
    { threadId: THREAD, processId },
  ]),
  ["thread/backgroundTerminals/terminate", { threadId: THREAD, processId: "-12" }],
  ["turn/settings/update", { threadId: THREAD, turnId: THREAD, model: "m" }],
  ["turn/settings/update", { threadId: THREAD, turnId: THREAD }],
  ["skills/config/write", { enabled: true }],
  ["skills/config/write", { enabled: true, path: "/tmp/SKILL.md", name: "x" }],
  ["project/create", {}],
  ["project/create", { name: "x" }],
  ["project/import", { name: "x", roots: [] }],
  ["modelProvider/default/set", { providerId: "nowhere" }],
  // Cursors Codex reads as numbers, or never hands out.
  ...["x", "-1", ""].map((cursor): [string, unknown] => ["thread/backgroundTerminals/list", { threadId: THREAD, cursor }]),
  ["thread/queue/list", { threadId: THREAD, cursor: "x" }],
  ["thread/search/stream", { searchTerm: "x", cursor: "x" }],
  ["project/move", { projectId: THREAD, beforeProjectId: THREAD }],
  ["plugin/share/save", { pluginPath: "/tmp/plugin", discoverability: "LISTED" }],
];

describe("refusals of malformed params, against codex app-server 0.171.0", () => {
  let sides: BesideCodex;

  before(async () => {
    sides = await besideCodex("refusals", { client: { experimentalApi: true } });
  });
  after(async () => sides?.stop());

  /** The binary's refusal and Switchyard's, as `{code, message}`. */
  const refusals = async (method: string, params: unknown) => {
    const theirs = await sides.codex.request(method, params);
    const ours = await sides.client.request(method, params);
    assert.ok(theirs.error, `codex refuses ${method} ${JSON.stringify(params)}`);
    return {
      theirs: { code: theirs.error.code, message: theirs.error.message },
      ours: ours.error ? { code: ours.error.code, message: ours.error.message } : { result: ours.result },
    };
  };

  test("a u32 limit: negative, fractional, past u32, a string", async () => {
    for (const [method, params] of LIMITED) {
      for (const limit of BAD_INTEGERS) {
        const { theirs, ours } = await refusals(method, { ...params, limit });
        assert.match(theirs.message, /expected u32$/);
        assert.deepEqual(ours, theirs, `${method} limit ${JSON.stringify(limit)}`);
      }
    }
  });

  test("enums, structs, tagged enums, paths, unused fields and required params", async () => {
    for (const [method, params] of MALFORMED) {
      const { theirs, ours } = await refusals(method, params);
      assert.deepEqual(ours, theirs, `${method} ${JSON.stringify(params)}`);
    }
  });

  test("checks in Codex's order", async () => {
    for (const [method, params] of IN_ORDER) {
      const { theirs, ours } = await refusals(method, params);
      assert.deepEqual(ours, theirs, `${method} ${JSON.stringify(params)}`);
    }
    // Realtime lists answer for any thread id, one the binary does not know too.
    const theirs = await sides.codex.request("thread/realtime/list", { threadId: THREAD });
    const ours = await sides.client.request("thread/realtime/list", { threadId: THREAD });
    assert.deepEqual(ours.result, theirs.result);
    assert.equal(theirs.result?.coverage, "unsupported");
  });

  test("on a thread of each side's own: empty injections, unarchiving a live thread, attachments", async () => {
    const record = async (side: "codex" | "switchyard") => {
      const request = (method: string, params: unknown) =>
        side === "codex" ? sides.codex.request(method, params) : sides.client.request(method, params);
      const out: Record<string, unknown> = {};
      const shown = (reply: { result?: any; error?: { code: number; message: string } }, ids: string[]) => {
        let text = JSON.stringify(reply.error ? { code: reply.error.code, message: reply.error.message } : reply.result);
        for (const [index, id] of ids.entries()) text = text.replaceAll(id, `<thread ${index}>`);
        return JSON.parse(text.replace(/"(id|createdAt)":("[^"]*"|\d+)/g, '"$1":"…"'));
      };
      const fresh = (await request("thread/start", {})).result.thread.id as string;
      const ephemeral = (await request("thread/start", { ephemeral: true })).result.thread.id as string;
      const ids = [fresh, ephemeral];
      out["inject nothing"] = shown(await request("thread/inject_items", { threadId: fresh, items: [] }), ids);
      out["unarchive a live thread"] = shown(await request("thread/unarchive", { threadId: fresh }), ids);
      out["unarchive a live ephemeral thread"] = shown(await request("thread/unarchive", { threadId: ephemeral }), ids);
      const attachment = { attachmentType: "doc", identityKey: "k", payload: null };
      out["attach to a fresh thread"] = shown(await request("thread/attachment/add", { threadId: fresh, ...attachment }), ids);
      await request("thread/name/set", { threadId: fresh, name: "named" });
      out["attach to a named thread"] = shown(await request("thread/attachment/add", { threadId: fresh, ...attachment }), ids);
      out["a background terminals cursor"] = shown(
        await request("thread/backgroundTerminals/list", { threadId: fresh, cursor: "x" }),
        ids,
      );
      out["a queue cursor"] = shown(await request("thread/queue/list", { threadId: fresh, cursor: "x" }), ids);
      out["a realtime cursor"] = shown(await request("thread/realtime/list", { threadId: fresh, cursor: "x" }), ids);
      out["permissions with a sandbox policy"] = shown(
        await request("thread/settings/update", {
          threadId: fresh,
          permissions: ":workspace",
          sandboxPolicy: { type: "dangerFullAccess" },
        }),
        ids,
      );
      out["starting with an unknown permission profile"] = shown(await request("thread/start", { permissions: "mine" }), ids);
      const started = (await request("thread/start", { permissions: ":workspace" })).result;
      out["starting with a built-in permission profile"] = {
        activePermissionProfile: started?.activePermissionProfile,
        sandbox: started?.sandbox,
      };
      out["an empty gitInfo"] = shown(await request("thread/metadata/update", { threadId: fresh, gitInfo: {} }), ids);
      return out;
    };
    const theirs = await record("codex");
    const ours = await record("switchyard");
    assert.deepEqual(theirs["inject nothing"], { code: -32600, message: "items must not be empty" });
    assert.deepEqual(ours, theirs);
  });

  test("an i64: a goal's token budget", async () => {
    for (const tokenBudget of [1.5, "10"]) {
      const { theirs, ours } = await refusals("thread/goal/set", { threadId: THREAD, tokenBudget });
      assert.match(theirs.message, /expected i64$/);
      assert.deepEqual(ours, theirs, `tokenBudget ${JSON.stringify(tokenBudget)}`);
    }
  });
});
