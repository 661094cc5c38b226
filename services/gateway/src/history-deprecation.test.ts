// Codex 0.171.0's deprecation notice for a full read of a paginated thread: sent by the gateway before
// the answer, whether the answer comes from the thread service or from the gateway's read cache; never
// for a legacy-history thread or a read without the turns; and never held back by another request.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FULL_HISTORY_DEPRECATION } from "@switchyard/protocol";
import type { BusOutcome } from "@switchyard/runtime";
import type { BusRouter, RouteRequest } from "./bus-router.js";
import { historyModeOf } from "./history-deprecation.js";
import { ReadCache } from "./read-cache.js";
import { openConnection } from "./testing/open-connection.js";

const THREAD_ID = "0199a8f0-0000-7000-8000-000000000001";
/** A thread/read answer as the thread service serializes it: `historyMode` before `turns`. */
const readAnswer = (historyMode: string, preview = "") =>
  JSON.stringify({ thread: { id: THREAD_ID, preview, historyMode, turns: [{ id: "turn-1", items: [] }] } });
const success = (json: string): Extract<BusOutcome, { ok: true }> => ({ ok: true, result: JSON.parse(json), json });

/** A router answering each thread/read with `json`, counting what it was asked. */
function readRouter(json: () => string) {
  const routed: RouteRequest[] = [];
  const router = {
    route: (request: RouteRequest) => {
      routed.push(request);
      return Promise.resolve(success(json()));
    },
  } as unknown as BusRouter;
  return { router, routed };
}
const settled = () => new Promise((resolve) => setImmediate(resolve));
const heard = (socket: { take(): any[] }) =>
  socket.take().map((frame) => (frame.method ? `${frame.method} ${frame.params.summary}` : `answer ${frame.id}`));

describe("full-history deprecation notice (thread/read)", () => {
  test("the history mode is read from the answer's text, whatever the user wrote in it", () => {
    // A preview holding the field's text is escaped in JSON, so it never looks like the field.
    const tricky = readAnswer("legacy", '"historyMode":"paginated"');
    assert.equal(historyModeOf(success(tricky)), "legacy");
    assert.equal(historyModeOf(success(readAnswer("paginated"))), "paginated");
    assert.equal(historyModeOf({ ok: true, result: JSON.parse(readAnswer("paginated")) }), "paginated");
    assert.equal(historyModeOf(success("{}")), undefined);
  });

  test("before every full read's answer of a paginated thread, from the service or the cache", async () => {
    let mode = "paginated";
    const { router, routed } = readRouter(() => readAnswer(mode));
    const readCache = new ReadCache({ maxEntries: 100, maxBytes: 1_000_000, ttlMs: 60_000 });
    const { socket, text } = openConnection({ router, readCache });
    const notice = `deprecationNotice ${FULL_HISTORY_DEPRECATION.read.summary}`;

    text({ id: 2, method: "thread/read", params: { threadId: THREAD_ID, includeTurns: true } });
    await settled();
    assert.deepEqual(heard(socket), [notice, "answer 2"]);
    text({ id: 3, method: "thread/read", params: { threadId: THREAD_ID, includeTurns: true } });
    await settled();
    assert.deepEqual(heard(socket), [notice, "answer 3"]);
    assert.equal(routed.length, 1, "the second answer came from the cache");

    text({ id: 4, method: "thread/read", params: { threadId: THREAD_ID } });
    await settled();
    assert.deepEqual(heard(socket), ["answer 4"], "no notice without the turns");

    mode = "legacy";
    readCache.threadChanged(`t.chg.acme.${THREAD_ID}`);
    text({ id: 5, method: "thread/read", params: { threadId: THREAD_ID, includeTurns: true } });
    await settled();
    assert.deepEqual(heard(socket), ["answer 5"], "no notice for a legacy-history thread");
  });

  test("the notice is not held while a turn/start is unanswered (it prefaces its own answer)", async () => {
    const waiting: ((outcome: BusOutcome) => void)[] = [];
    const router = {
      route: (request: RouteRequest) =>
        request.spec.method === "turn/start"
          ? new Promise<BusOutcome>((answer) => waiting.push(answer))
          : Promise.resolve(success(readAnswer("paginated"))),
    } as unknown as BusRouter;
    const { socket, text } = openConnection({ router });
    // A turn on another thread (a read of the same one would wait behind it: read-your-writes).
    text({ id: 6, method: "turn/start", params: { threadId: "0199a8f0-0000-7000-8000-000000000002", input: [] } });
    text({ id: 7, method: "thread/read", params: { threadId: THREAD_ID, includeTurns: true } });
    await settled();
    assert.deepEqual(heard(socket), [`deprecationNotice ${FULL_HISTORY_DEPRECATION.read.summary}`, "answer 7"]);
    waiting[0]?.({ ok: true, result: { turn: { id: "turn-1" } }, json: '{"turn":{"id":"turn-1"}}' });
    await settled();
    assert.deepEqual(heard(socket), ["answer 6"]);
  });
});
