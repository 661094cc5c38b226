import assert from "node:assert/strict";
import { test } from "node:test";
import type { MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { BusHeader, busSubjects, Notification } from "@switchyard/protocol";
import { EventPublisher, flushEvents } from "./events.js";

const subjects = busSubjects("sy.test");
const tenant = { tenant: "acme" };
const thread = { tenant: "acme", threadId: "t1" };

/** A connection that records what is published: subject, the header's methods, the batch size and the frames. */
function recordingConnection() {
  const published: {
    subject: string;
    methods: string;
    batch: string | undefined;
    frames: { method: string; params: unknown }[];
  }[] = [];
  const nc = {
    publish(subject: string, data: Uint8Array, options: { headers: MsgHdrs }) {
      published.push({
        subject,
        methods: options.headers.get(BusHeader.method),
        batch: options.headers.get(BusHeader.eventBatch) || undefined,
        frames: new TextDecoder()
          .decode(data)
          .split("\n")
          .map((frame) => JSON.parse(frame)),
      });
    },
  } as unknown as NatsConnection;
  return { nc, published };
}

const renamed = (name: string) => ({ threadId: "t1", threadName: name });

test("notifications emitted together leave as one message per run of a subject, in emission order", async () => {
  const { nc, published } = recordingConnection();
  const events = new EventPublisher(nc, subjects);
  events.emit(Notification.threadNameUpdated, renamed("a"), tenant);
  events.emit(Notification.threadNameUpdated, renamed("b"), tenant);
  events.emit(Notification.threadClosed, { threadId: "t1" }, thread);
  events.emit(Notification.threadNameUpdated, renamed("c"), tenant);
  assert.equal(published.length, 0, "nothing leaves before the microtask run ends");
  await Promise.resolve();
  assert.deepEqual(
    published.map(({ subject, methods, batch }) => ({ subject, methods, batch })),
    [
      { subject: subjects.tenantEvents("acme"), methods: "thread/name/updated,thread/name/updated", batch: "2" },
      { subject: subjects.threadEvents("acme", "t1"), methods: "thread/closed", batch: undefined },
      { subject: subjects.tenantEvents("acme"), methods: "thread/name/updated", batch: undefined },
    ],
  );
  assert.deepEqual(
    published.flatMap(({ frames }) =>
      frames.map((frame) => (frame.params as { threadName?: string }).threadName ?? frame.method),
    ),
    ["a", "b", "thread/closed", "c"],
  );
});

test("a flush publishes at once; publishers on one connection share one order", async () => {
  const { nc, published } = recordingConnection();
  const first = new EventPublisher(nc, subjects);
  const second = new EventPublisher(nc, subjects);
  first.emit(Notification.threadNameUpdated, renamed("a"), tenant);
  second.emit(Notification.threadClosed, { threadId: "t1" }, thread);
  first.emit(Notification.threadNameUpdated, renamed("b"), tenant);
  flushEvents(nc);
  assert.deepEqual(
    published.map(({ methods }) => methods),
    ["thread/name/updated", "thread/closed", "thread/name/updated"],
  );
  await Promise.resolve();
  assert.equal(published.length, 3, "the queued flush finds nothing left");
  second.emit(Notification.threadNameUpdated, renamed("c"), tenant);
  second.flush();
  assert.equal(published.length, 4);
});

test("a batch holds at most 64 notifications; an invalid notification is refused at emit when shapes are checked", async () => {
  const { nc, published } = recordingConnection();
  const events = new EventPublisher(nc, subjects, { checkShapes: true });
  for (let index = 0; index < 70; index++) events.emit(Notification.threadNameUpdated, renamed(`n${index}`), tenant);
  await Promise.resolve();
  assert.deepEqual(
    published.map(({ frames }) => frames.length),
    [64, 6],
  );
  assert.throws(
    () => events.emit(Notification.threadNameUpdated, { threadId: 1 } as never, tenant),
    /params do not match its spec/,
  );
});

test("unchecked (as deployed), a notification goes out as emitted; an unregistered one is refused either way", async () => {
  const { nc, published } = recordingConnection();
  const events = new EventPublisher(nc, subjects, { checkShapes: false });
  events.emit(Notification.threadNameUpdated, { threadId: 1 } as never, tenant);
  events.flush();
  assert.equal(published.length, 1);
  assert.throws(() => events.emit("thread/unheardOf" as never, {} as never, tenant as never), /not a registered notification/);
  const checked = new EventPublisher(nc, subjects, { checkShapes: true });
  assert.throws(() => checked.emit("thread/unheardOf" as never, {} as never, tenant as never), /not a registered notification/);
});
