// Projects beside the real `codex app-server` 0.171.0: the same project writes, lists, reads and
// refusals on both sides, the threads that join and leave projects (thread/start, metadata updates,
// imports, deletions), and what each side announces and when (before or after its answer), compared
// call by call. Ids differ between the sides, so each side's ids are named in the order they first
// appear; timestamps are compared by their order, and recency cursors without their milliseconds.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type BesideCodex,
  besideCodexScripted,
  sideCall as call,
  idNamer,
  type Side,
  sidesOf,
  threadWithTurns,
} from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const UNKNOWN = "019a0000-0000-7000-8000-000000000000";
/** What a step's transcript keeps of what a side sent while it ran: these notifications and its answer. */
const ANNOUNCEMENTS = new Set(["answer", "project/changed", "thread/project/updated"]);

describe("projects beside codex app-server 0.171.0", () => {
  let sides: BesideCodex;
  let provider: ScriptedResponses;
  let codex: Side;
  let switchyard: Side;
  const namers = new Map<Side, (text: string) => string>();
  const named = (side: Side, text: string) => (namers.get(side) as (text: string) => string)(text);

  before(async () => {
    ({ sides, provider } = await besideCodexScripted("projects"));
    ({ codex, switchyard } = sidesOf(sides));
    for (const side of [codex, switchyard]) namers.set(side, idNamer([UNKNOWN]));
  });
  after(async () => {
    await sides?.stop();
  });

  /** A project as compared: its fields, its times by whether they are set (updatedAt: after creation or not). */
  const projectShape = (project: any) => ({
    ...project,
    createdAt: typeof project.createdAt,
    updatedAt:
      project.updatedAt > project.createdAt ? "later" : project.updatedAt === project.createdAt ? "same" : project.updatedAt,
    recencyAt: project.recencyAt === null ? null : typeof project.recencyAt,
  });

  function shown(reply: { result?: any; error?: { code: number; message: string } }): unknown {
    if (reply.error) return `error ${reply.error.code} ${reply.error.message}`;
    const result = reply.result;
    if (result?.project) return { project: projectShape(result.project) };
    if (Array.isArray(result?.data) && "nextCursor" in result) {
      return {
        data: result.data.map((entry: any) =>
          "roots" in entry ? projectShape(entry) : { id: entry.id, projectId: entry.projectId },
        ),
        nextCursor: typeof result.nextCursor === "string" ? result.nextCursor.replace(/\|\d{13}\|/, "|<ms>|") : result.nextCursor,
      };
    }
    if (result?.thread) return { thread: { id: result.thread.id, projectId: result.thread.projectId } };
    return result;
  }

  /**
   * Runs `steps` on a side (a step's params may use what earlier ones answered; `sleep` waits its
   * milliseconds); each reply and what was announced.
   */
  async function transcript(side: Side, steps: [string, unknown | ((answers: any[]) => unknown)][]): Promise<string[]> {
    const lines: string[] = [];
    const answers: any[] = [];
    for (const [method, given] of steps) {
      if (method === "sleep") {
        await new Promise((resolve) => setTimeout(resolve, given as number));
        continue;
      }
      const params = typeof given === "function" ? given(answers) : given;
      const heard = side.heardFrom();
      const reply = await side.request(method, params);
      answers.push(reply.result);
      // Whatever is announced after the answer has long arrived by now (the sides are on loopback).
      if (!method.endsWith("/list") && !method.endsWith("/read")) await new Promise((resolve) => setTimeout(resolve, 60));
      // (The gateway's test client records answers, not refusals: a refusal's place is not compared.)
      const announced = heard()
        .filter((frame) => ANNOUNCEMENTS.has(frame.method) && !(reply.error && frame.method === "answer"))
        .map((frame) => (frame.method === "answer" ? "answer" : `${frame.method} ${JSON.stringify(frame.params)}`));
      lines.push(
        named(side, `${method} ${JSON.stringify(params) ?? ""} => ${JSON.stringify(shown(reply))} | ${announced.join("; ")}`),
      );
    }
    return lines;
  }

  test("projects are created, read, listed, paged, updated, moved and deleted as Codex does it", async () => {
    const cwd = sides.serverCwd;
    const run = async (side: Side) => {
      const key = (name: string) => name;
      const created = (answers: any[], index: number) => answers[index].project.id as string;
      return transcript(side, [
        ["project/list", {}],
        ["project/create", { idempotencyKey: key("a"), name: "  Alpha ", roots: [{ path: cwd }] }],
        ["project/create", { idempotencyKey: key("a"), name: "Other", roots: [] }],
        [
          "project/create",
          {
            idempotencyKey: key("b"),
            name: "Beta",
            roots: [{ path: `${cwd}/x/../y/` }, { path: "/" }],
            metadata: { b: "2", Z: "1", aa: "3" },
          },
        ],
        ["project/create", { idempotencyKey: key("c"), name: "Gamma", roots: [], metadata: null }],
        ["project/list", {}],
        ["project/list", { limit: 1 }],
        ["project/list", (a: any[]) => ({ limit: 1, cursor: a[6].nextCursor })],
        ["project/list", (a: any[]) => ({ limit: 1, cursor: a[7].nextCursor })],
        ["project/list", { limit: 0 }],
        ["project/list", { sortKey: "position", sortDirection: "desc" }],
        ["project/list", { sortKey: "recencyAt" }],
        ["project/list", { sortKey: "recencyAt", sortDirection: "asc", limit: 2 }],
        ["project/list", (a: any[]) => ({ sortKey: "recencyAt", sortDirection: "asc", limit: 2, cursor: a[12].nextCursor })],
        ["project/read", (a: any[]) => ({ projectId: created(a, 3) })],
        // Moves: before another, last, where it already is (nothing announced). A second on, what
        // a move or an update changes shows a later updatedAt.
        ["sleep", 1_100],
        ["project/move", (a: any[]) => ({ projectId: created(a, 4), beforeProjectId: created(a, 1) })],
        ["project/list", { limit: 2 }],
        ["project/move", (a: any[]) => ({ projectId: created(a, 4) })],
        ["project/move", (a: any[]) => ({ projectId: created(a, 4), beforeProjectId: null })],
        ["project/move", (a: any[]) => ({ projectId: created(a, 1), beforeProjectId: created(a, 3) })],
        ["project/list", {}],
        // Updates: each field, nothing at all, the same values (nothing announced).
        ["project/update", (a: any[]) => ({ projectId: created(a, 1), name: " Alpha 2 " })],
        ["project/update", (a: any[]) => ({ projectId: created(a, 1), roots: [{ path: "/tmp/" }], metadata: { k: "v" } })],
        ["project/update", (a: any[]) => ({ projectId: created(a, 1), name: null, roots: null, metadata: null })],
        ["project/update", (a: any[]) => ({ projectId: created(a, 1), name: "Alpha 2", metadata: { k: "v" } })],
        ["project/update", (a: any[]) => ({ projectId: created(a, 1), metadata: {} })],
        // Deletion; its key is refused from then on.
        ["project/delete", (a: any[]) => ({ projectId: created(a, 3) })],
        ["project/delete", (a: any[]) => ({ projectId: created(a, 3) })],
        ["project/read", (a: any[]) => ({ projectId: created(a, 3) })],
        ["project/create", { idempotencyKey: key("b"), name: "Beta again", roots: [] }],
        ["project/import", { idempotencyKey: key("b"), name: "Beta again", roots: [] }],
        ["project/list", {}],
        // Refusals, in the binary's words.
        ["project/create", { idempotencyKey: key("r1"), name: "Rel", roots: [{ path: "rel/path" }] }],
        ["project/create", { idempotencyKey: key("r2"), name: "   ", roots: [] }],
        ["project/create", { idempotencyKey: "", name: "E", roots: [] }],
        ["project/create", { idempotencyKey: key("r3"), name: "D", roots: [{ path: "/tmp" }, { path: "/tmp/" }] }],
        ["project/create", { idempotencyKey: key("r4"), name: "M", roots: [], metadata: { k: 1 } }],
        ["project/create", { name: "N", roots: [] }],
        ["project/list", { sortDirection: "desc" }],
        ["project/list", { cursor: "garbage" }],
        ["project/list", (a: any[]) => ({ sortKey: "position", cursor: a[12].nextCursor })],
        ["project/list", (a: any[]) => ({ cursor: `7|${created(a, 4)}` })],
        ["project/list", { cursor: "3|nope" }],
        ["project/list", { cursor: "v1|recencyAt|desc|null|nope", sortKey: "recencyAt" }],
        ["project/list", { cursor: `v1|recencyAt|desc|12|${UNKNOWN}`, sortKey: "recencyAt" }],
        ["project/list", { cursor: `0|${UNKNOWN}`, limit: 1 }],
        ["project/list", { sortKey: "name" }],
        ["project/read", { projectId: "nope" }],
        ["project/read", { projectId: UNKNOWN }],
        ["project/read", (a: any[]) => ({ projectId: created(a, 1).toUpperCase() })],
        ["project/read", {}],
        ["project/update", (a: any[]) => ({ projectId: created(a, 1), name: "" })],
        ["project/update", (a: any[]) => ({ projectId: created(a, 1), roots: [{ path: "x" }] })],
        ["project/update", { projectId: "nope", name: "x" }],
        ["project/move", (a: any[]) => ({ projectId: created(a, 1), beforeProjectId: created(a, 1) })],
        ["project/move", (a: any[]) => ({ projectId: created(a, 1), beforeProjectId: "nope" })],
        ["project/move", { projectId: "nope" }],
        ["project/delete", { projectId: "nope" }],
      ]);
    };
    assert.deepEqual(await run(switchyard), await run(codex));
    assertConformant();
  });

  test("threads join and leave projects: started in one, moved, imported, listed by project, left when it is deleted", async () => {
    const run = async (side: Side) => {
      const key = (name: string) => `threads-${name}`;
      const home = (await call(side, "project/create", { idempotencyKey: key("home"), name: "Home", roots: [] })).project.id;
      const away = (await call(side, "project/create", { idempotencyKey: key("away"), name: "Away", roots: [] })).project.id;
      const listed = (await threadWithTurns(side, provider, sides.serverCwd, ["listed"])).threadId;
      const lines = await transcript(side, [
        ["project/read", { projectId: home }],
        ["thread/start", { cwd: sides.serverCwd, projectId: home }],
        ["project/read", { projectId: home }],
        ["thread/start", { cwd: sides.serverCwd, projectId: "nope" }],
        ["thread/start", { cwd: sides.serverCwd, projectId: UNKNOWN }],
        // Into a project, again (nothing announced), out of it, and refusals.
        ["thread/metadata/update", { threadId: listed, projectId: away }],
        ["project/read", { projectId: away }],
        ["project/list", { sortKey: "recencyAt" }],
        ["thread/metadata/update", { threadId: listed, projectId: away }],
        ["thread/metadata/update", { threadId: listed, projectId: away, gitInfo: { branch: "main" } }],
        ["thread/list", { projectId: away }],
        ["thread/list", { projectId: home }],
        ["thread/list", { projectId: "nope" }],
        ["thread/list", { projectId: UNKNOWN }],
        ["thread/metadata/update", { threadId: listed, projectId: "nope" }],
        ["thread/metadata/update", { threadId: listed, projectId: null }],
        ["thread/metadata/update", { threadId: listed }],
        ["thread/metadata/update", { threadId: listed, gitInfo: null }],
        ["thread/metadata/update", { threadId: listed, projectId: null, gitInfo: { branch: "dev" } }],
        ["thread/read", { threadId: listed }],
        ["thread/metadata/update", { threadId: listed, projectId: "" }],
        ["thread/metadata/update", { threadId: listed, projectId: "" }],
        ["project/read", { projectId: away }],
        ["thread/list", { projectId: null }],
        // An import takes threads in (each must exist, once); its key answers it again.
        ["project/import", { idempotencyKey: key("imp"), name: "Imported", roots: [], threads: [listed] }],
        ["project/import", { idempotencyKey: key("imp"), name: "Imported", roots: [], threads: [listed] }],
        ["thread/read", { threadId: listed }],
        ["project/import", { idempotencyKey: key("imp2"), name: "I2", roots: [], threads: [UNKNOWN] }],
        ["project/import", { idempotencyKey: key("imp3"), name: "I3", roots: [], threads: ["nope"] }],
        ["project/import", { idempotencyKey: key("imp4"), name: "I4", roots: [], threads: [listed, listed] }],
        ["project/import", { idempotencyKey: key("imp5"), name: "I5", roots: [], threads: [] }],
        ["project/import", { idempotencyKey: key("home"), name: "Home?", roots: [], threads: [listed] }],
        // A fork stays in its source's project; deleting the project leaves both in none.
        ["thread/fork", { threadId: listed, excludeTurns: true }],
        ["project/delete", (a: any[]) => ({ projectId: a[24].project.id })],
        ["thread/read", { threadId: listed }],
        ["thread/read", (a: any[]) => ({ threadId: a[32].thread.id })],
        ["project/delete", { projectId: home }],
      ]);
      return lines;
    };
    assert.deepEqual(await run(switchyard), await run(codex));
    assertConformant();
  });
});
