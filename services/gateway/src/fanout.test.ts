// Which fanned-out notifications wait for the answers of their turn: tenant-wide announcements do,
// a thread's streaming and a connection's own events do not (outbound.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { BusHeader, Notification } from "@switchyard/protocol";
import { createLogger } from "@switchyard/runtime";
import { ConnectionEvents, NotificationFanout, type NotificationSink, OutgoingNotification, StartedThreads } from "./fanout.js";

/** A bus connection whose subscriptions the test feeds by hand. */
function fakeBus() {
  const callbacks = new Map<string, (error: Error | null, msg: Msg) => void>();
  const nc = {
    subscribe: (subject: string, options: { callback: (error: Error | null, msg: Msg) => void }) => {
      callbacks.set(subject, options.callback);
      return { unsubscribe: () => callbacks.delete(subject) };
    },
  } as unknown as NatsConnection;
  /** A message on `subject`, to the subscription of `subscribedAs` (a wildcard's, or the subject itself). */
  const publish = (subject: string, method: string, subscribedAs = subject, params: unknown = {}) => {
    const frame = JSON.stringify({ method, params });
    const msg = {
      subject,
      headers: { get: (name: string) => (name === BusHeader.method ? method : "") },
      string: () => frame,
      data: new TextEncoder().encode(frame),
    } as unknown as Msg;
    callbacks.get(subscribedAs)?.(null, msg);
  };
  return { nc, publish };
}

function recordingSink() {
  const delivered: string[] = [];
  const sink: NotificationSink = {
    deliverNotification: ({ method, afterAnswers }) => delivered.push(`${method}${afterAnswers ? " after answers" : ""}`),
    deliverServerRequest: () => {},
    serverRequestResolved: () => {},
  };
  return { sink, delivered };
}

const log = createLogger({ service: "gateway-test", instanceId: "t", level: "silent" });

/** A fan-out with two connections on the tenant's subject. */
function twoConnections() {
  const bus = fakeBus();
  const fanout = new NotificationFanout(bus.nc, log);
  const first = recordingSink();
  const second = recordingSink();
  fanout.add("evt.tenant", first.sink);
  fanout.add("evt.tenant", second.sink);
  return { ...bus, fanout, first, second };
}

/** What a connection's own subject delivers of a thread/started with `params`. */
function ownThreadStarted(bus: ReturnType<typeof fakeBus>, params?: unknown): string[] {
  const own = new ConnectionEvents(bus.nc, "evt.conn.*", log);
  const mine = recordingSink();
  own.add("evt.conn.1", mine.sink);
  bus.publish("evt.conn.1", Notification.threadStarted, "evt.conn.*", params);
  return mine.delivered;
}

describe("notification fan-out", () => {
  test("a tenant-wide announcement waits for the turn's answers; a thread's streaming and a connection's own events do not", () => {
    const bus = twoConnections();
    const { publish, fanout, first, second } = bus;
    fanout.add("evt.thread", first.sink);
    publish("evt.tenant", Notification.threadStarted);
    publish("evt.thread", Notification.agentMessageDelta);
    publish("evt.tenant", Notification.threadNameUpdated);
    assert.deepEqual(first.delivered, [
      `${Notification.threadStarted} after answers`,
      Notification.agentMessageDelta,
      `${Notification.threadNameUpdated} after answers`,
    ]);
    assert.deepEqual(second.delivered, [
      `${Notification.threadStarted} after answers`,
      `${Notification.threadNameUpdated} after answers`,
    ]);
    assert.deepEqual(ownThreadStarted(bus), [Notification.threadStarted]);
  });

  test("a thread's thread/started is passed on once: a second announcement of it (a start asked again) is dropped", () => {
    const bus = twoConnections();
    const { publish, first, second } = bus;
    const started = (id: string) => publish("evt.tenant", Notification.threadStarted, "evt.tenant", { thread: { id } });
    started("th-1");
    started("th-2");
    started("th-1");
    publish("evt.tenant", Notification.threadNameUpdated, "evt.tenant", { threadId: "th-1" });
    publish("evt.tenant", Notification.threadNameUpdated, "evt.tenant", { threadId: "th-1" });
    const expected = [
      `${Notification.threadStarted} after answers`,
      `${Notification.threadStarted} after answers`,
      `${Notification.threadNameUpdated} after answers`,
      `${Notification.threadNameUpdated} after answers`,
    ];
    assert.deepEqual(first.delivered, expected, "th-1 once, th-2 once; other notifications as often as they come");
    assert.deepEqual(second.delivered, expected);
    // A connection's own events are its own: nothing there is dropped.
    assert.deepEqual(ownThreadStarted(bus, { thread: { id: "th-1" } }), [Notification.threadStarted]);
  });

  test("the memory of announced threads forgets the oldest: past its time, or past its size", () => {
    let now = 0;
    const memory = new StartedThreads(1_000, 3, () => now);
    assert.equal(memory.isFirst("a"), true);
    assert.equal(memory.isFirst("a"), false);
    now = 500;
    assert.equal(memory.isFirst("b"), true);
    now = 1_200; // a is 1,200 ms old: forgotten; b (700 ms) is not
    assert.equal(memory.isFirst("b"), false);
    assert.equal(memory.isFirst("a"), true, "announced again after the memory let it go");
    assert.equal(memory.isFirst("c"), true);
    assert.equal(memory.size, 3);
    assert.equal(memory.isFirst("d"), true, "a fourth: the oldest (b) is forgotten");
    assert.equal(memory.size, 3);
    assert.equal(memory.isFirst("b"), true);
    assert.equal(memory.isFirst("d"), false);
  });

  test("every connection gets the same notification, whose thread is read from the frame once for all of them", () => {
    const { nc, publish } = fakeBus();
    const fanout = new NotificationFanout(nc, log);
    const received: OutgoingNotification[] = [];
    const sink = (): NotificationSink => ({
      deliverNotification: (notification) => received.push(notification),
      deliverServerRequest: () => {},
      serverRequestResolved: () => {},
    });
    for (let index = 0; index < 3; index++) fanout.add("evt.tenant", sink());
    publish("evt.tenant", Notification.threadNameUpdated);
    assert.equal(received.length, 3);
    assert.equal(new Set(received).size, 1, "one notification object shared by the three connections");

    const parse = JSON.parse;
    let parses = 0;
    JSON.parse = (...args: Parameters<typeof JSON.parse>) => {
      parses++;
      return parse(...args);
    };
    /** The thread each way of reading finds, and how many parses it took. */
    const readThread = (method: string, frame: string) => {
      parses = 0;
      const notification = new OutgoingNotification(method, frame);
      const threadIds = [notification.threadId, notification.threadId, notification.threadId];
      return { threadIds: [...new Set(threadIds)], parses };
    };
    // As publishers write them (events.ts): the id is read off the text.
    const asPublished = (method: string, params: unknown) => JSON.stringify({ method, params, emittedAtMs: 1 });
    const id = "0199a8f0-0000-7000-8000-000000000009";
    try {
      assert.deepEqual(
        readThread(Notification.threadStarted, asPublished(Notification.threadStarted, { thread: { id, name: "x" } })),
        {
          threadIds: [id],
          parses: 0,
        },
      );
      assert.deepEqual(
        readThread(Notification.threadNameUpdated, asPublished(Notification.threadNameUpdated, { threadId: id })),
        {
          threadIds: [id],
          parses: 0,
        },
      );
      // Otherwise parsed, once, and the same answer as the parse gives.
      assert.deepEqual(readThread("turn/x", asPublished("turn/x", { turnId: "t", threadId: id })), {
        threadIds: [id],
        parses: 1,
      });
      assert.deepEqual(readThread("x", JSON.stringify({ params: { thread: { id } } })), { threadIds: [id], parses: 1 });
      assert.deepEqual(readThread("x", asPublished("x", { threadId: 'a"b' })), { threadIds: ['a"b'], parses: 1 });
      // Only thread/started's thread is read off its text: another method's `thread` object yields to its threadId.
      assert.deepEqual(readThread("x", asPublished("x", { thread: { id: "other" }, threadId: id })), {
        threadIds: [id],
        parses: 1,
      });
      assert.deepEqual(readThread("x", asPublished("x", {})), { threadIds: [null], parses: 1 });
      assert.deepEqual(readThread("x", "not json"), { threadIds: [null], parses: 1 }, "a malformed frame names no thread");
    } finally {
      JSON.parse = parse;
    }
  });
});
