// Which fanned-out notifications wait for the answers of their turn: tenant-wide announcements do,
// a thread's streaming and a connection's own events do not (outbound.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { BusHeader, Notification } from "@switchyard/protocol";
import { createLogger } from "@switchyard/runtime";
import { ConnectionEvents, NotificationFanout, type NotificationSink } from "./fanout.js";

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
  const publish = (subject: string, method: string, subscribedAs = subject) => {
    const frame = JSON.stringify({ method, params: {} });
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
    deliverNotification: (method, _frame, afterAnswers) => delivered.push(`${method}${afterAnswers ? " after answers" : ""}`),
    deliverServerRequest: () => {},
    serverRequestResolved: () => {},
  };
  return { sink, delivered };
}

const log = createLogger({ service: "gateway-test", instanceId: "t", level: "silent" });

describe("notification fan-out", () => {
  test("a tenant-wide announcement waits for the turn's answers; a thread's streaming and a connection's own events do not", () => {
    const { nc, publish } = fakeBus();
    const fanout = new NotificationFanout(nc, log);
    const first = recordingSink();
    const second = recordingSink();
    fanout.add("evt.tenant", first.sink);
    fanout.add("evt.tenant", second.sink);
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

    const own = new ConnectionEvents(nc, "evt.conn.*", log);
    const mine = recordingSink();
    own.add("evt.conn.1", mine.sink);
    publish("evt.conn.1", Notification.threadStarted, "evt.conn.*");
    assert.deepEqual(mine.delivered, [Notification.threadStarted]);
  });
});
