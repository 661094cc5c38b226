// The gateway names the thread a thread/start creates and subscribes its caller to it as the request
// leaves (one write to the bus for both), keeps the subscription when the answer names that thread,
// and drops it when the start fails or a service named the thread otherwise.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { busSubjects } from "@switchyard/protocol";
import type { BusOutcome } from "@switchyard/runtime";
import type { BusRouter, RouteRequest } from "./bus-router.js";
import { openConnection } from "./testing/open-connection.js";

const LOWER_CASE_UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const threadSubject = (threadId: string) => busSubjects("t").threadEvents("acme", threadId);
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** A router whose answers the test gives; it notes the connection's subscriptions as each request is routed. */
function heldRouter(subscriptionsNow: () => string[] = () => []) {
  const waiting: { request: RouteRequest; subscribedWhenRouted: string[]; answer(outcome: BusOutcome): void }[] = [];
  const router = {
    route: (request: RouteRequest) =>
      new Promise<BusOutcome>((answer) => waiting.push({ request, subscribedWhenRouted: [...subscriptionsNow()], answer })),
  } as unknown as BusRouter;
  return { router, waiting };
}

/** A connection that has sent `count` thread/starts, all routed and unanswered; its subscriptions recorded from then on. */
async function pendingStarts(count: number) {
  const { router, waiting } = heldRouter();
  const { subscriptions, text } = openConnection({ router });
  subscriptions.splice(0); // the tenant's subject, at initialize
  for (let index = 0; index < count; index++) text({ id: 2 + index, method: "thread/start", params: {} });
  await settled();
  const names = waiting.map((entry) => entry.request.newThreadId as string);
  return { waiting, subscriptions, names };
}

const startedAnswer = (threadId: string): BusOutcome => {
  const result = { thread: { id: threadId } };
  return { ok: true, result, json: JSON.stringify(result) };
};

describe("threads named by the gateway", () => {
  test("thread/start carries a new UUIDv7, subscribed to before the request is routed, kept once answered", async () => {
    let recorded: string[] = [];
    const { router, waiting } = heldRouter(() => recorded);
    const opened = openConnection({ router });
    recorded = opened.subscriptions;
    recorded.splice(0); // the tenant's subject, at initialize
    opened.text({ id: 2, method: "thread/start", params: {} });
    await settled();
    const routed = waiting[0];
    assert.ok(routed);
    const threadId = routed.request.newThreadId;
    assert.ok(threadId && LOWER_CASE_UUID_V7.test(threadId), `a lower-case UUIDv7: ${threadId}`);
    assert.deepEqual(routed.subscribedWhenRouted, [`+${threadSubject(threadId)}`], "subscribed before it was routed");

    routed.answer(startedAnswer(threadId));
    await settled();
    assert.deepEqual(recorded, [`+${threadSubject(threadId)}`], "nothing more: the answer names the same thread");
    assert.equal(opened.socket.take()[0]?.result?.thread?.id, threadId);
  });

  test("each start gets its own name; a failed start leaves its subscription", async () => {
    const { waiting, subscriptions, names } = await pendingStarts(2);
    const [first, second] = names as [string, string];
    assert.ok(first && second && first !== second);
    waiting[0]?.answer({ ok: false, error: { code: -32603, message: "the database is down" } });
    waiting[1]?.answer(startedAnswer(second));
    await settled();
    assert.deepEqual(subscriptions, [`+${threadSubject(first)}`, `+${threadSubject(second)}`, `-${threadSubject(first)}`]);
  });

  test("a service that named the thread itself: the caller follows the answer's thread, not the gateway's name", async () => {
    const { waiting, subscriptions, names } = await pendingStarts(1);
    const named = names[0] as string;
    const other = "0199a8f0-0000-7000-8000-0000000000aa";
    waiting[0]?.answer(startedAnswer(other));
    await settled();
    assert.deepEqual(subscriptions, [`+${threadSubject(named)}`, `+${threadSubject(other)}`, `-${threadSubject(named)}`]);
  });

  test("an answer naming the gateway's thread is not parsed; one without its text is, and keeps the subscription", async () => {
    const { waiting, subscriptions, names } = await pendingStarts(2);
    const [first, second] = names as [string, string];
    let parses = 0;
    const json = JSON.stringify({ thread: { id: first } });
    waiting[0]?.answer({
      ok: true,
      json,
      get result() {
        parses++;
        return JSON.parse(json);
      },
    });
    waiting[1]?.answer({ ok: true, result: { thread: { id: second } } });
    await settled();
    assert.equal(parses, 0, "the answer's text named the thread");
    assert.deepEqual(subscriptions, [`+${threadSubject(first)}`, `+${threadSubject(second)}`]);
  });

  test("requests that create no thread carry no name", async () => {
    const { router, waiting } = heldRouter();
    const { subscriptions, text } = openConnection({ router });
    subscriptions.splice(0);
    text({ id: 2, method: "thread/list", params: {} });
    await settled();
    assert.equal(waiting[0]?.request.newThreadId, undefined);
    assert.deepEqual(subscriptions, []);
  });
});
