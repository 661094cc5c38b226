// The shapes of Switchyard's answers against the real `codex app-server` 0.171.0's: the same calls go
// to the binary (stdio, loopback) and to Switchyard, and every answer must have the same fields at
// the same paths, with the same kinds of values (a string where Codex has a string, null where it
// has null), so a client reading a field finds it on both. Values may differ (ids, times, the model
// catalog). A few differences are deliberate and listed in EXPECTED_DIFFERENCES with their reason.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary, loopbackCodexHome } from "./harness/codex-binary.js";
import { type Stack, startStack } from "./harness/stack.js";
import { StdioAppServer } from "./harness/stdio-app-server.js";

/** Paths whose difference is by design, each with why. */
const EXPECTED_DIFFERENCES: [RegExp, string][] = [
  [/\.environments(\[0\].*)?$/, "a cloud thread runs in no local environment (null, as Codex reports a thread without one)"],
  [/\.path$/, "a Switchyard thread has no rollout file"],
  [/runtimeWorkspaceRoots(\[0\])?$/, "a cloud thread has no local workspace roots"],
  [
    /^\.data(\[0\]\.(supportedReasoningEfforts|serviceTiers|additionalSpeedTiers)(\[0\].*)?)?$/,
    "model/list: the deployment's catalog, not OpenAI's",
  ],
  [
    /^\.data\[0\]\.(multiAgentVersion|upgradeInfo)$/,
    "model/list: the deployment's catalog declares no multi-agent runtime or upgrade",
  ],
  [/^\.config\./, "config/read: compared separately (Codex also lists its own built-in defaults)"],
  [/^\.userId$/, "account/read: a cloud session always has a user (Codex without a ChatGPT login has none)"],
  [/^\.origins\./, "config/read: which keys have origins follows each side's own config"],
  [
    /^(\.data\[0\]|\.thread)\.model$/,
    "a thread as Codex stores it (listed, unarchived) has a model once a turn ran; Switchyard records it at start",
  ],
];

const THREAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Shape = Map<string, string>;

function shapeOf(value: unknown, path = "", out: Shape = new Map()): Shape {
  if (value === null) out.set(path, "null");
  else if (Array.isArray(value)) {
    out.set(path, value.length === 0 ? "[]" : "array");
    if (value.length > 0) shapeOf(value[0], `${path}[0]`, out);
  } else if (typeof value === "object") {
    out.set(path, "object");
    // Maps keyed by thread id (thread/list's readStates) compare by position: ids differ by side.
    for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
      shapeOf(field, `${path}.${THREAD_ID.test(key) ? "<threadId>" : key}`, out);
    }
  } else out.set(path, typeof value);
  return out;
}

/** Where two answers' shapes differ, but for the expected differences. */
function differences(codex: unknown, switchyard: unknown): string[] {
  const [theirs, ours] = [shapeOf(codex), shapeOf(switchyard)];
  const found: string[] = [];
  for (const path of new Set([...theirs.keys(), ...ours.keys()])) {
    if (theirs.get(path) === ours.get(path)) continue;
    if (EXPECTED_DIFFERENCES.some(([pattern]) => pattern.test(path))) continue;
    // An empty array on one side and a filled one on the other is the same field.
    const kinds = [theirs.get(path), ours.get(path)].sort().join("/");
    if (kinds === "[]/array") continue;
    if ((theirs.get(path) === undefined || ours.get(path) === undefined) && path.match(/\[0\]/)) {
      const parent = path.slice(0, path.indexOf("[0]"));
      if ([theirs.get(parent), ours.get(parent)].includes("[]")) continue;
    }
    found.push(`${path}: codex ${theirs.get(path) ?? "absent"}, switchyard ${ours.get(path) ?? "absent"}`);
  }
  return found;
}

describe("answer shapes, against codex app-server 0.171.0", () => {
  let codex: StdioAppServer;
  let stack: Stack;
  let client: CodexTestClient;
  let cwd = "";
  const threads = { codex: "", switchyard: "" };

  before(async () => {
    const workspace = mkdtempSync(join(tmpdir(), "sy-shapes-"));
    cwd = join(workspace, "work");
    mkdirSync(cwd);
    codex = await StdioAppServer.start(ensureCodexBinary("0.171.0"), {
      codexHome: loopbackCodexHome(join(workspace, "home")),
      cwd,
    });
    stack = await startStack("shapes");
    client = await CodexTestClient.open(stack.url, { experimentalApi: true, name: "switchyard-interop" });
  });
  after(async () => {
    await client?.close();
    await codex?.stop();
    await stack?.stop();
  });

  /** The same call on both sides (`params` gets each side's thread id); both answers, shapes compared. */
  async function same(method: string, params: (threadId: string) => unknown = () => ({})) {
    const theirs = await codex.request(method, params(threads.codex));
    const ours = await client.request(method, params(threads.switchyard));
    assert.equal(ours.error?.message, theirs.error?.message, `${method}: the same outcome`);
    const found = differences(theirs.result, ours.result);
    assert.deepEqual(found, [], `${method}: fields that differ from Codex's\n${found.join("\n")}`);
    return { theirs: theirs.result, ours: ours.result };
  }

  test("a thread's life: start, read, rename, metadata, goal, turns page, resume, fork, archive, lists", async () => {
    const theirs = await codex.request("thread/start", { cwd });
    const ours = await client.request("thread/start", {});
    assert.deepEqual(differences(theirs.result, ours.result), []);
    threads.codex = theirs.result.thread.id;
    threads.switchyard = (ours.result as { thread: { id: string } }).thread.id;
    await same("thread/read", (threadId) => ({ threadId }));
    await same("thread/name/set", (threadId) => ({ threadId, name: "shapes" }));
    await same("thread/read", (threadId) => ({ threadId, includeTurns: true }));
    await same("thread/metadata/update", (threadId) => ({ threadId, gitInfo: { branch: "main" } }));
    await same("thread/goal/set", (threadId) => ({ threadId, objective: "compare shapes", status: "paused" }));
    await same("thread/goal/get", (threadId) => ({ threadId }));
    await same("thread/turns/list", (threadId) => ({ threadId }));
    await same("thread/resume", (threadId) => ({ threadId, initialTurnsPage: { limit: 1 } }));
    await same("thread/loaded/list");
    await same("thread/fork", (threadId) => ({ threadId }));
    await same("thread/archive", (threadId) => ({ threadId }));
    const archived = await same("thread/list", () => ({ archived: true }));
    assert.ok((archived.ours as { data: unknown[] }).data.length > 0, "the archived list shows the thread");
    await same("thread/unarchive", (threadId) => ({ threadId }));
    await same("thread/goal/clear", (threadId) => ({ threadId }));
  });

  test("start-up reads: account, requirements, models, config", async () => {
    await same("account/read");
    await same("configRequirements/read");
    await same("model/list", () => ({ includeHidden: true }));
    const { theirs, ours } = await same("config/read", () => ({ cwd }));
    // Every key the schema declares is on both sides with the same kind (Codex adds its own defaults).
    const declared = Object.keys((ours as { config: Record<string, unknown> }).config).filter(
      (key) => key in (theirs as { config: Record<string, unknown> }).config,
    );
    assert.ok(declared.length >= 27, `config keys on both sides: ${declared.length}`);
    for (const key of ["model", "approval_policy", "sandbox_mode", "tools", "web_search"]) {
      assert.ok(declared.includes(key), `config.${key} on both sides`);
    }
  });
});
