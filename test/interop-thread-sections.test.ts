// Thread sections beside the real `codex app-server` 0.171.0: the same section writes, moves, lists
// and refusals on both sides (one scripted Responses server gives the threads their content), compared
// call by call. Ids differ between the sides, so each side's ids are named in the order they first
// appear (the same order on both); thread/list's cursors are opaque on both sides and are compared
// only by whether there is one, and by where paging with them leads.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type BesideCodex,
  besideCodexScripted,
  sideCall as call,
  idNamer,
  type Side,
  type SideReply,
  sidesOf,
  threadWithTurns,
} from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const PINNED = "01984de2-8f74-7c91-a3b2-5c5e937cf318";
const UNKNOWN = "019a0000-0000-7000-8000-000000000000";

describe("thread sections beside codex app-server 0.171.0", () => {
  let sides: BesideCodex;
  let provider: ScriptedResponses;
  let codex: Side;
  let switchyard: Side;
  /** Each side's ids named in the order they first appear (the Pinned id and the unknown id kept). */
  const namers = new Map<Side, (text: string) => string>();
  const named = (side: Side, text: string) => (namers.get(side) as (text: string) => string)(text);

  before(async () => {
    ({ sides, provider } = await besideCodexScripted("thread-sections"));
    ({ codex, switchyard } = sidesOf(sides));
    for (const side of [codex, switchyard]) namers.set(side, idNamer([PINNED, UNKNOWN]));
  });
  after(async () => {
    await sides?.stop();
  });

  /** A thread as these comparisons look at it: its preview, its section and whether it says when it entered. */
  const threadShape = (thread: any) => ({
    id: thread.id,
    preview: thread.preview,
    section: thread.section,
    entered: thread.sectionEnteredAt === null ? null : typeof thread.sectionEnteredAt,
  });

  /** The reply as compared: thread lists and reads by the threads' shapes, cursors by presence. */
  function shown(side: Side, method: string, reply: SideReply): string {
    if (reply.error) return named(side, `error ${reply.error.code} ${reply.error.message}`);
    let result = reply.result;
    if (method === "thread/list") {
      result = {
        data: result.data.map(threadShape),
        nextCursor: result.nextCursor !== null,
        backwardsCursor: result.backwardsCursor !== null,
      };
    } else if (result?.thread) {
      result = threadShape(result.thread);
    }
    return named(side, JSON.stringify(result));
  }

  /** A thread with one turn (its preview is `prompt`); its id. */
  const threadWith = async (side: Side, prompt: string) =>
    (await threadWithTurns(side, provider, sides.serverCwd, [prompt])).threadId;

  /** Runs `steps` on a side; each step's reply as compared. */
  async function transcript(side: Side, steps: [string, unknown][]) {
    const lines: string[] = [];
    for (const [method, params] of steps) {
      const reply = await side.request(method, params);
      lines.push(`${method} ${named(side, JSON.stringify(params) ?? "")} => ${shown(side, method, reply)}`);
    }
    return lines;
  }

  test("sections are created, listed, paged, renamed and deleted as Codex does it", async () => {
    const run = async (side: Side) => {
      const lines: string[] = [];
      const record = async (method: string, params: unknown) => {
        const reply = await side.request(method, params);
        lines.push(`${method} ${named(side, JSON.stringify(params) ?? "")} => ${shown(side, method, reply)}`);
        return reply.result;
      };
      await record("threadSection/list", {});
      const work = (await record("threadSection/create", { name: "  Work  " })).section.id;
      const play = (await record("threadSection/create", { name: "Play", appearance: { color: "red", icon: "star", extra: 1 } }))
        .section.id;
      await record("threadSection/create", { name: "Empty look", appearance: {} });
      await record("threadSection/create", { name: "Work" });
      await record("threadSection/list", {});
      const first = await record("threadSection/list", { limit: 1 });
      const second = await record("threadSection/list", { limit: 2, cursor: first.nextCursor });
      await record("threadSection/list", { limit: 2, cursor: second.nextCursor });
      await record("threadSection/list", { limit: 0 });
      await record("threadSection/list", { cursor: "0", limit: null });
      await record("threadSection/list", { cursor: "garbage" });
      await record("threadSection/list", { cursor: work });
      await record("threadSection/update", { sectionId: play, name: "Play2" });
      await record("threadSection/update", { sectionId: play, name: " Play3 ", appearance: null });
      await record("threadSection/update", { sectionId: work, name: "W", appearance: { color: "blue" } });
      // Section ids are matched as given, not parsed: another spelling of the id names no section.
      await record("threadSection/update", { sectionId: work.toUpperCase(), name: "W2" });
      await record("threadSection/delete", { sectionId: play });
      await record("threadSection/delete", { sectionId: play });
      await record("threadSection/update", { sectionId: play, name: "x" });
      await record("threadSection/list", {});
      // Refusals.
      for (const [method, params] of [
        ["threadSection/create", { name: "" }],
        ["threadSection/create", { name: " \t\n" }],
        ["threadSection/create", {}],
        ["threadSection/create", { name: "a", appearance: "red" }],
        ["threadSection/update", { sectionId: work, name: "" }],
        ["threadSection/update", { sectionId: PINNED, name: "P" }],
        ["threadSection/update", { sectionId: "nope", name: "P" }],
        ["threadSection/delete", { sectionId: PINNED }],
        ["threadSection/delete", { sectionId: "nope" }],
        ["threadSection/delete", { sectionId: UNKNOWN }],
        ["threadSection/delete", {}],
        ["threadSection/list", { limit: -1 }],
        ["threadSection/list", { limit: "1" }],
        ["threadSection/list", undefined],
      ] as [string, unknown][]) {
        await record(method, params);
      }
      return lines;
    };
    assert.deepEqual(await run(switchyard), await run(codex));
    assertConformant();
  });

  test("threads are moved into, within and out of sections, and listed by section", async () => {
    const run = async (side: Side) => {
      const ids: Record<string, string> = {
        a: await threadWith(side, "a"),
        b: await threadWith(side, "b"),
        c: await threadWith(side, "c"),
      };
      ids.section = (await call(side, "threadSection/create", { name: "Desk" })).section.id;
      ids.ephemeral = (await call(side, "thread/start", { cwd: sides.serverCwd, ephemeral: true })).thread.id;
      const inSection = { sectionId: ids.section, sortKey: "section_position" };
      const t = ids;
      const lines = await transcript(side, [
        ["thread/section/move", { threadId: t.a, sectionId: t.section }],
        ["thread/section/move", { threadId: t.b, sectionId: t.section }],
        ["thread/section/move", { threadId: t.c, sectionId: t.section, beforeThreadId: t.a }],
        ["thread/list", inSection],
        ["thread/list", { ...inSection, sortDirection: "desc" }],
        ["thread/list", { ...inSection, sortDirection: "asc" }],
        ["thread/list", { sectionId: t.section }],
        ["thread/list", { sectionId: null }],
        ["thread/list", { sectionId: "nope" }],
        ["thread/list", { sectionId: UNKNOWN }],
        ["thread/list", { sectionId: ids.section?.toUpperCase() }],
        ["thread/read", { threadId: t.c }],
        // Moved again within its section: last, unless placed before another.
        ["thread/section/move", { threadId: t.c, sectionId: t.section }],
        ["thread/list", inSection],
        ["thread/section/move", { threadId: t.b, sectionId: t.section, beforeThreadId: t.a }],
        ["thread/list", inSection],
        // Pinned, and out of any section.
        ["thread/section/move", { threadId: t.a, sectionId: PINNED }],
        ["thread/list", { sectionId: PINNED, sortKey: "section_position" }],
        ["thread/list", inSection],
        ["thread/read", { threadId: t.a }],
        ["thread/section/move", { threadId: t.a, sectionId: null }],
        ["thread/section/move", { threadId: t.a, sectionId: null }],
        ["thread/read", { threadId: t.a }],
        ["thread/list", { sectionId: null }],
        // Refusals, in the binary's words and order.
        ["thread/section/move", { threadId: t.a, sectionId: t.section, beforeThreadId: t.a }],
        ["thread/section/move", { threadId: t.a, sectionId: null, beforeThreadId: t.b }],
        ["thread/section/move", { threadId: t.a, sectionId: t.section, beforeThreadId: UNKNOWN }],
        ["thread/section/move", { threadId: t.a, sectionId: t.section, beforeThreadId: "bad" }],
        ["thread/section/move", { threadId: t.a, sectionId: "nope" }],
        ["thread/section/move", { threadId: t.a, sectionId: UNKNOWN }],
        ["thread/section/move", { threadId: t.a, sectionId: ids.section?.toUpperCase() }],
        ["thread/section/move", { threadId: UNKNOWN, sectionId: t.section }],
        ["thread/section/move", { threadId: "bad", sectionId: null }],
        ["thread/section/move", { threadId: t.ephemeral, sectionId: t.section }],
        ["thread/section/move", { threadId: t.a }],
        ["thread/section/move", { sectionId: null }],
        ["thread/list", { sortKey: "section_position" }],
        ["thread/list", { sectionId: null, sortKey: "section_position" }],
        ["thread/list", { ...inSection, cursor: "garbage" }],
        // An archived thread keeps its section; a renamed section is shown renamed; a deleted one
        // leaves its threads in none.
        ["thread/archive", { threadId: t.b }],
        ["thread/list", inSection],
        ["thread/list", { ...inSection, archived: true }],
        ["thread/unarchive", { threadId: t.b }],
        ["thread/list", inSection],
        ["threadSection/update", { sectionId: t.section, name: "Renamed" }],
        ["thread/read", { threadId: t.c }],
        ["thread/list", inSection],
        ["threadSection/delete", { sectionId: t.section }],
        ["thread/read", { threadId: t.c }],
        ["thread/list", { sectionId: t.section }],
        ["thread/section/move", { threadId: t.c, sectionId: t.section }],
      ]);
      return lines;
    };
    assert.deepEqual(await run(switchyard), await run(codex));
    assertConformant();
  });

  test("paging a section, and placing threads before the first until positions run out", async () => {
    const run = async (side: Side) => {
      const [a, b, c] = [await threadWith(side, "pa"), await threadWith(side, "pb"), await threadWith(side, "pc")];
      const sectionId = (await call(side, "threadSection/create", { name: "Pages" })).section.id;
      for (const threadId of [a, b, c]) await call(side, "thread/section/move", { threadId, sectionId });
      const lines: string[] = [];
      // Page by one both ways; the cursors lead through the same threads.
      for (const sortDirection of ["asc", "desc"]) {
        let cursor: string | null = null;
        const order: string[] = [];
        do {
          const page: any = await call(side, "thread/list", {
            sectionId,
            sortKey: "section_position",
            sortDirection,
            limit: 1,
            cursor,
          });
          order.push(...page.data.map((thread: any) => thread.preview));
          cursor = page.nextCursor;
        } while (cursor !== null);
        lines.push(`${sortDirection}: ${order.join(",")}`);
      }
      // Each move halves the room before the first thread; after about twenty, the section is
      // renumbered and the order still follows the moves.
      for (let move = 0; move < 26; move++) {
        const [threadId, beforeThreadId] = move % 2 === 0 ? [a, b] : [b, a];
        await call(side, "thread/section/move", { threadId, sectionId, beforeThreadId });
        const page = await call(side, "thread/list", { sectionId, sortKey: "section_position" });
        lines.push(page.data.map((thread: any) => thread.preview).join(","));
      }
      return lines;
    };
    const ours = await run(switchyard);
    assert.deepEqual(ours, await run(codex));
    assert.equal(ours[0], "asc: pa,pb,pc");
    assertConformant();
  });

  test("a move is announced to the tenant after its answer", async () => {
    for (const side of [codex, switchyard]) {
      const threadId = (await call(side, "thread/start", { cwd: sides.serverCwd })).thread.id;
      const heard = side.heardFrom();
      await call(side, "thread/section/move", { threadId, sectionId: PINNED });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        // (thread/start's own thread/started may still be on its way)
        heard()
          .map((frame) => frame.method)
          .filter((method) => method === "answer" || method.startsWith("thread/section/")),
        ["answer", "thread/section/changed"],
        side.name,
      );
    }
  });
});
