// thread/timeline/list beside the real `codex app-server` 0.171.0: the same refusals in the same
// order, the same entries (turn starts, items, turn ends with their status and error) in the same
// order for finished, running, interrupted, failed and compacting turns, the same paging (default
// and clamped limits, cursors backwards to the first entry) and the same cursor refusals. Positions
// are each side's own (Codex's are rollout lines): compared as an order, not as numbers. And
// thread/realtime/list, which answers in the same position space: `ready` one past the newest entry
// for a thread with a rollout, `unsupported` for any other thread id.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type BesideCodex,
  besideCodexScripted,
  idNamer,
  type Side,
  type SideReply,
  sideCall,
  sidesOf,
} from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const TIMES = new Set(["startedAt", "completedAt", "durationMs", "startedAtMs", "completedAtMs"]);

interface Entry {
  type: string;
  position: number;
  turnId?: string;
  item?: { id: string };
}

/** Codex's cursor order: position, then kind (start 0, item 1, realtime 2, end 3), then id. */
const KIND = { turnStarted: 0, item: 1, realtime: 2, turnCompleted: 3 } as Record<string, number>;
function keyOf(entry: Entry): [number, number, string] {
  return [entry.position, KIND[entry.type] ?? -1, entry.type === "item" ? (entry.item?.id ?? "") : (entry.turnId ?? "")];
}
function isBefore(a: Entry, b: Entry): boolean {
  const [x, y] = [keyOf(a), keyOf(b)];
  return x[0] !== y[0] ? x[0] < y[0] : x[1] !== y[1] ? x[1] < y[1] : x[2] < y[2];
}

async function play(side: Side, provider: ScriptedResponses, cwd: string) {
  const record: Record<string, unknown> = {};
  const name = idNamer();
  /** A reply with ids named, times as their type, positions checked to be in order and left out. */
  const shown = (reply: SideReply): unknown => {
    if (reply.error) return { code: reply.error.code, message: name(reply.error.message) };
    const data = reply.result.data as Entry[];
    for (let index = 1; index < data.length; index++) {
      assert.ok(isBefore(data[index - 1] as Entry, data[index] as Entry), `${side.name}: a page's entries in cursor order`);
    }
    const cursor = reply.result.nextCursor as string | null;
    const normalized = JSON.parse(
      name(JSON.stringify({ ...reply.result, nextCursor: cursor && { ...JSON.parse(cursor), position: "<position>" } })),
      (key, value) =>
        TIMES.has(key) && typeof value === "number"
          ? "<time>"
          : key === "position"
            ? "<position>"
            : typeof value === "string"
              ? value.replace(/^(msg|rs)_[\w-]+$/, "<$1 id>")
              : value,
    );
    return normalized;
  };
  const list = async (params: Record<string, unknown>) => side.request("thread/timeline/list", params);
  /** thread/realtime/list's answer, its end named when it is one past the thread's newest timeline entry. */
  const realtime = async (threadId: string) => {
    const reply = await side.request("thread/realtime/list", { threadId });
    if (reply.error) return shown(reply);
    const newest = (await list({ threadId, limit: 1 })).result?.data?.at(-1) as Entry | undefined;
    const end = (value: number) => (newest && value === newest.position + 1 ? "<one past the newest entry>" : value);
    return {
      ...reply.result,
      snapshotEnd: end(reply.result.snapshotEnd),
      projectedThroughItemIndex: end(reply.result.projectedThroughItemIndex),
    };
  };
  const unknown = "00000000-0000-4000-8000-000000000000";
  record["no thread id"] = shown(await list({}));
  record["a malformed thread id"] = shown(await list({ threadId: "nope" }));
  record["an unknown thread"] = shown(await list({ threadId: unknown, cursor: "zz" }));
  record["a negative limit"] = shown(await list({ threadId: unknown, limit: -1 }));
  record["a limit as text"] = shown(await list({ threadId: unknown, limit: "3" }));
  record["realtime: an unknown thread"] = await realtime(unknown);
  const fresh = (await sideCall(side, "thread/start", { cwd })).thread.id as string;
  record["a fresh thread, a bad cursor"] = shown(await list({ threadId: fresh, cursor: "zz" }));
  record["realtime: a fresh thread"] = await realtime(fresh);
  await sideCall(side, "thread/name/set", { threadId: fresh, name: "named" });
  record["a named thread without turns"] = shown(await list({ threadId: fresh }));
  record["realtime: a named thread without turns"] = await realtime(fresh);
  const ephemeral = (await sideCall(side, "thread/start", { cwd, ephemeral: true })).thread.id as string;
  provider.script({ text: "ephemeral answer" });
  const ephemeralTurn = (
    await sideCall(side, "turn/start", { threadId: ephemeral, input: [{ type: "text", text: "e", text_elements: [] }] })
  ).turn.id as string;
  await side.turnCompleted(ephemeralTurn);
  record["an ephemeral thread with a turn"] = shown(await list({ threadId: ephemeral }));
  record["realtime: an ephemeral thread"] = await realtime(ephemeral);

  const threadId = (await sideCall(side, "thread/start", { cwd })).thread.id as string;
  const turn = async (text: string) => {
    const id = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text, text_elements: [] }] })).turn
      .id as string;
    await side.turnCompleted(id);
  };
  provider.script({ text: "answer one", reasoningSummary: "thinking" }, { text: "answer two" });
  await turn("one");
  await turn("two");
  provider.script({ text: "never", stall: true });
  const stalled = (await sideCall(side, "turn/start", { threadId, input: [{ type: "text", text: "cut", text_elements: [] }] }))
    .turn.id as string;
  await new Promise((resolve) => setTimeout(resolve, 400));
  record["a turn running"] = shown(await list({ threadId, limit: 3 }));
  record["realtime: a turn running"] = await realtime(threadId);
  await sideCall(side, "turn/interrupt", { threadId, turnId: stalled });
  await side.turnCompleted(stalled);
  provider.script({ failStatus: 400, text: "x" });
  await turn("fail");
  provider.script({ text: "the summary" });
  const heard = side.heardFrom();
  await sideCall(side, "thread/compact/start", { threadId });
  for (let waited = 0; !heard().some((message) => message.method === "turn/completed"); waited += 50) {
    if (waited > 10_000) throw new Error(`${side.name}: the compaction did not complete`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  provider.script({ text: "answer last" });
  await turn("last");

  const whole = await list({ threadId, limit: 1000 });
  record["the whole timeline (limit clamped to 100)"] = shown(whole);
  record["realtime: a thread with turns"] = await realtime(threadId);
  record["the default page"] = shown(await list({ threadId }));
  record["a limit of 0 (one entry)"] = shown(await list({ threadId, limit: 0 }));
  // Backwards in pages of 4 to the first entry: the pages put together are the whole timeline.
  const pages: unknown[] = [];
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const reply: SideReply = await list({ threadId, limit: 4, ...(cursor ? { cursor } : {}) });
    pages.push(shown(reply));
    entries.unshift(...(reply.result.data as Entry[]));
    cursor = reply.result.nextCursor;
  } while (cursor && pages.length < 20);
  record["pages of 4"] = pages;
  assert.deepEqual(entries, whole.result.data, `${side.name}: the pages make up the whole timeline`);

  const first = (await list({ threadId, limit: 4 })).result.nextCursor as string;
  const parsed = JSON.parse(first) as { position: number; kind: number; id: string };
  record["a cursor of a later kind at the same position"] = shown(
    await list({ threadId, limit: 2, cursor: JSON.stringify({ ...parsed, kind: 7 }) }),
  );
  record["a cursor past every position"] = shown(
    await list({ threadId, limit: 2, cursor: JSON.stringify({ ...parsed, position: 1e15 }) }),
  );
  record["a cursor at position 0"] = shown(await list({ threadId, cursor: JSON.stringify({ ...parsed, position: 0 }) }));
  record["a cursor that is not JSON"] = shown(await list({ threadId, cursor: "zz" }));
  record["a cursor without its id"] = shown(
    await list({ threadId, cursor: JSON.stringify({ threadId, position: parsed.position, kind: parsed.kind }) }),
  );
  record["a cursor with a negative position"] = shown(
    await list({ threadId, cursor: JSON.stringify({ ...parsed, position: -1 }) }),
  );
  record["another thread's cursor"] = shown(await list({ threadId: fresh, cursor: first }));
  await sideCall(side, "thread/archive", { threadId });
  record["an archived thread, a bad cursor"] = shown(await list({ threadId, cursor: "zz" }));
  const archived = await side.request("thread/realtime/list", { threadId });
  record["realtime: an archived thread"] = {
    ...archived.result,
    snapshotEnd: "<its end>",
    projectedThroughItemIndex: "<its end>",
  };
  assert.equal(archived.result.snapshotEnd, (entries.at(-1) as Entry).position + 1, `${side.name}: an archived thread's end`);
  return record;
}

describe("thread/timeline/list, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("timeline"));
  });
  after(async () => beside?.stop());

  test("the same entries, pages, cursors and refusals as the binary", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const theirs = await play(codex, provider, beside.serverCwd);
    const ours = await play(switchyard, provider, beside.serverCwd);
    // Read off the binary, so the comparison below compares what matters.
    const whole = theirs["the whole timeline (limit clamped to 100)"] as { data: { type: string; status?: string }[] };
    assert.deepEqual(
      whole.data.filter((entry) => entry.type === "turnCompleted").map((entry) => entry.status),
      ["completed", "completed", "interrupted", "failed", "completed", "completed"],
    );
    assert.deepEqual(ours, theirs);
    assertConformant();
  });
});
