// A caller hears a change announced only after its answer (Codex 0.171.0 sends thread/start's answer,
// then thread/started), whatever order the two reach the gateway in; other notifications pass.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BusOutcome } from "@switchyard/runtime";
import type { BusRouter, RouteRequest } from "./bus-router.js";
import { OutgoingNotification } from "./fanout.js";
import { openConnection } from "./testing/open-connection.js";

/** A router whose answers the test gives, in the order the requests were routed. */
function heldRouter() {
  const waiting: { request: RouteRequest; answer(outcome: BusOutcome): void }[] = [];
  const router = {
    route: (request: RouteRequest) => new Promise<BusOutcome>((answer) => waiting.push({ request, answer })),
  } as unknown as BusRouter;
  return { router, waiting };
}

const started = (threadId: string) => ({ thread: { id: threadId } });
const startedAnswer = (threadId: string): BusOutcome => ({
  ok: true,
  result: started(threadId),
  json: JSON.stringify(started(threadId)),
});
const notification = (method: string, params: unknown, afterAnswers = false) =>
  new OutgoingNotification(method, JSON.stringify({ method, params }), afterAnswers);
/** What the socket was sent since the last look: an answer's id, or a notification's method. */
const sentSince = (socket: { take(): any[] }) =>
  socket.take().map((frame) => (frame.method ? `${frame.method} ${JSON.stringify(frame.params)}` : `answer ${frame.id}`));
const settled = () => new Promise((resolve) => setImmediate(resolve));
/** The thread the requests below name (a thread id must be a UUID, as in Codex). */
const TURN_THREAD = "0199a8f0-0000-7000-8000-000000000001";

describe("announcements after the answer", () => {
  test("thread/started waits for the caller's thread/start answer; other notifications do not", async () => {
    const { router, waiting } = heldRouter();
    const { socket, connection, text } = openConnection({ router });
    text({ id: 2, method: "thread/start", params: {} });
    await settled();
    assert.equal(waiting.length, 1);
    const threadId = waiting[0]?.request.newThreadId as string;

    // These reach the gateway before the answer (a different subject from the reply's); another
    // connection's new thread is announced at once.
    connection.deliverNotification(notification("thread/started", started(threadId)));
    connection.deliverNotification(notification("thread/status/changed", { threadId: "th-0" }));
    connection.deliverNotification(notification("thread/started", started("th-other")));
    assert.deepEqual(sentSince(socket), [
      'thread/status/changed {"threadId":"th-0"}',
      'thread/started {"thread":{"id":"th-other"}}',
    ]);

    waiting[0]?.answer(startedAnswer(threadId));
    await settled();
    assert.deepEqual(sentSince(socket), ["answer 2", `thread/started {"thread":{"id":"${threadId}"}}`]);

    // Nothing is held once no start is unanswered.
    connection.deliverNotification(notification("thread/started", started("th-x")));
    assert.deepEqual(sentSince(socket), ['thread/started {"thread":{"id":"th-x"}}']);
  });

  test("with two starts unanswered, each thread/started follows its own start's answer", async () => {
    const { router, waiting } = heldRouter();
    const { socket, connection, text } = openConnection({ router });
    text({ id: 2, method: "thread/start", params: {} });
    text({ id: 3, method: "thread/start", params: {} });
    await settled();
    assert.equal(waiting.length, 2);
    const [first, second] = waiting.map((entry) => entry.request.newThreadId as string);
    // The second start's announcement reaches the gateway first.
    connection.deliverNotification(notification("thread/started", started(second as string)));
    connection.deliverNotification(notification("thread/started", started(first as string)));
    assert.deepEqual(sentSince(socket), []);

    waiting[0]?.answer(startedAnswer(first as string));
    await settled();
    assert.deepEqual(sentSince(socket), ["answer 2", `thread/started {"thread":{"id":"${first}"}}`]);

    waiting[1]?.answer({ ok: false, error: { code: -32603, message: "failed" } });
    await settled();
    assert.deepEqual(sentSince(socket), ["answer 3", `thread/started {"thread":{"id":"${second}"}}`]);
  });

  test("while turn/start is unanswered everything about its thread waits, server requests too, and leaves in arrival order; other threads' do not", async () => {
    const { router, waiting } = heldRouter();
    const { socket, connection, text } = openConnection({ router });
    text({ id: 6, method: "turn/start", params: { threadId: TURN_THREAD, input: [] } });
    await settled();
    assert.equal(waiting.length, 1);
    connection.deliverNotification(notification("thread/status/changed", { threadId: TURN_THREAD }));
    connection.deliverServerRequest({
      token: "tok-1",
      method: "item/tool/call",
      threadId: TURN_THREAD,
      paramsJson: JSON.stringify({ threadId: TURN_THREAD }),
    });
    connection.deliverNotification(notification("turn/started", { threadId: TURN_THREAD }));
    // Another thread's turn streams on meanwhile (an orchestrator driving several threads on one connection).
    connection.deliverNotification(notification("item/agentMessage/delta", { threadId: "th-other" }));
    connection.deliverServerRequest({
      token: "tok-2",
      method: "item/tool/call",
      threadId: "th-other",
      paramsJson: JSON.stringify({ threadId: "th-other" }),
    });
    assert.deepEqual(
      socket.take().map((frame) => `${frame.method} ${frame.params.threadId}`),
      ["item/agentMessage/delta th-other", "item/tool/call th-other"],
    );

    waiting[0]?.answer({ ok: true, result: { turn: { id: "turn-1" } }, json: '{"turn":{"id":"turn-1"}}' });
    await settled();
    assert.deepEqual(
      socket.take().map((frame) => `${frame.method ?? "answer"} ${frame.id ?? ""}`),
      ["answer 6", "thread/status/changed ", "item/tool/call 1", "turn/started "],
    );
  });

  test("what is held is bounded by the outbound limit: past it, everything held goes at once, in order", async () => {
    const { router, waiting } = heldRouter();
    const { socket, connection, text } = openConnection({ router, maxOutboundBytes: 600 }); // three 166-character frames fit
    text({ id: 7, method: "turn/start", params: { threadId: TURN_THREAD, input: [] } });
    await settled();
    const delta = (index: number) =>
      notification("item/agentMessage/delta", { threadId: TURN_THREAD, index, delta: "x".repeat(48) });
    for (let index = 0; index < 3; index++) connection.deliverNotification(delta(index));
    assert.deepEqual(sentSince(socket), [], "three frames fit within the limit and are held");
    connection.deliverNotification(delta(3));
    assert.deepEqual(
      socket.take().map((frame) => frame.params.index),
      [0, 1, 2, 3],
    );
    // The hold goes on for what comes next, and the answer still comes first.
    connection.deliverNotification(delta(4));
    waiting[0]?.answer({ ok: true, result: { turn: { id: "turn-1" } }, json: '{"turn":{"id":"turn-1"}}' });
    await settled();
    assert.deepEqual(
      socket.take().map((frame) => frame.params?.index ?? `answer ${frame.id}`),
      ["answer 7", 4],
    );
  });

  test("a renamed thread's thread/name/updated waits for the rename's answer, another thread's does not, and an opted-out one is never held", async () => {
    const { router, waiting } = heldRouter();
    const { socket, connection, text } = openConnection({ router, optOut: ["thread/started"] });
    text({ id: 4, method: "thread/name/set", params: { threadId: TURN_THREAD, name: "n" } });
    text({ id: 5, method: "thread/start", params: {} });
    await settled();
    const started2 = waiting[1]?.request.newThreadId as string;
    connection.deliverNotification(notification("thread/name/updated", { threadId: TURN_THREAD }));
    connection.deliverNotification(notification("thread/started", started(started2)));
    // Another client renamed another thread meanwhile: not held for this client's rename.
    connection.deliverNotification(notification("thread/name/updated", { threadId: "th-other" }));
    assert.deepEqual(sentSince(socket), ['thread/name/updated {"threadId":"th-other"}']);

    waiting[0]?.answer({ ok: true, result: {}, json: "{}" });
    await settled();
    assert.deepEqual(sentSince(socket), ["answer 4", `thread/name/updated {"threadId":"${TURN_THREAD}"}`]);
    waiting[1]?.answer(startedAnswer(started2));
    await settled();
    assert.deepEqual(sentSince(socket), ["answer 5"]);
  });

  test("a fork's announcements (its new thread is named by the service) wait whatever thread they name", async () => {
    const { router, waiting } = heldRouter();
    const { socket, connection, text } = openConnection({ router });
    text({ id: 8, method: "thread/fork", params: { threadId: TURN_THREAD } });
    await settled();
    assert.equal(waiting.length, 1);
    connection.deliverNotification(notification("thread/started", started("th-fork")));
    assert.deepEqual(sentSince(socket), []);
    waiting[0]?.answer(startedAnswer("th-fork"));
    await settled();
    assert.deepEqual(sentSince(socket), ["answer 8", 'thread/started {"thread":{"id":"th-fork"}}']);
  });

  test("a notification fanned out to the tenant's connections leaves after an answer settled in the same turn", async () => {
    const { router, waiting } = heldRouter();
    const caller = openConnection({ router });
    const other = openConnection({ router });
    const written: string[] = [];
    for (const [name, socket] of [
      ["caller", caller.socket],
      ["other", other.socket],
    ] as const) {
      const send = socket.send.bind(socket);
      socket.send = (data: string) => {
        const frame = JSON.parse(data);
        written.push(`${name} ${frame.method ?? `answer ${frame.id}`}`);
        send(data);
      };
    }
    caller.text({ id: 2, method: "thread/start", params: {} });
    await settled();
    assert.equal(waiting.length, 1);
    const threadId = waiting[0]?.request.newThreadId as string;

    // The bus hands over thread/started (the tenant's subject) and then the start's answer, in one read.
    const announced = notification("thread/started", started(threadId), true);
    other.connection.deliverNotification(announced);
    caller.connection.deliverNotification(announced);
    waiting[0]?.answer(startedAnswer(threadId));
    await settled();
    // The caller's copy was held for its answer and follows it at once; the other connection's waited for the turn's end.
    assert.deepEqual(written, ["caller answer 2", "caller thread/started", "other thread/started"]);
  });
});
