// The project patches @nats-io/nats-core (patches/, applied by pnpm install):
// - an answered request no longer builds a RequestError("cancelled") — with a stack trace — only to
//   reject an already settled promise, which was about 5% of a gateway's CPU;
// - what a connection sends in one turn of the event loop leaves in one write (the library flushed
//   after each microtask run: a batch's answers, acks and notices went out one write each, and socket
//   writes were the largest share of a service's CPU), and close() still sends what is queued;
// - headers are looked up, set and decoded by exact name without scanning every name into fresh
//   arrays (a bus request carries a dozen headers; they were about 6% of a gateway's and a
//   service's CPU), with the library's behaviour kept — the last test holds it to that.
// The first ones fail if the patch is lost (a version bump).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { connect, headers, Match, type NatsConnection } from "@nats-io/transport-node";

const require = createRequire(import.meta.url);
const lib = dirname(require.resolve("@nats-io/nats-core"));
const errorsModule = require(join(lib, "errors.js")) as { RequestError: new (message?: string) => Error };
const { RequestOne } = require(join(lib, "request.js")) as {
  RequestOne: new (
    mux: { cancel(request: unknown): void },
    subject: string,
    options: { timeout: number },
    asyncTraces: boolean,
  ) => { resolver(error: Error | null, msg: unknown): void; cancel(error?: Error): void; deferred: Promise<unknown> };
};

test("an answered request builds no 'cancelled' error; one cancelled before its answer still fails", async () => {
  const Original = errorsModule.RequestError;
  let built = 0;
  errorsModule.RequestError = class extends Original {
    constructor(message?: string) {
      super(message);
      built++;
    }
  };
  try {
    const mux = { cancel: () => {} };
    const answered = new RequestOne(mux, "subject", { timeout: 1_000 }, false);
    const msg = { data: new Uint8Array() };
    answered.resolver(null, msg);
    assert.equal(await answered.deferred, msg);
    assert.equal(built, 0, "no error built for an answered request");
    const cancelled = new RequestOne(mux, "subject", { timeout: 1_000 }, false);
    cancelled.cancel();
    await assert.rejects(cancelled.deferred, /cancelled/);
    assert.equal(built, 1);
  } finally {
    errorsModule.RequestError = Original;
  }
});

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/** Counts the writes a connection makes to its socket. */
function countWrites(nc: NatsConnection): () => number {
  const transport = (nc as unknown as { protocol: { transport: { send(frame: Uint8Array): void } } }).protocol.transport;
  let writes = 0;
  const send = transport.send.bind(transport);
  transport.send = (frame) => {
    writes++;
    send(frame);
  };
  return () => writes;
}

test("what a connection publishes in one turn of the event loop leaves in one write, all of it delivered", async () => {
  const subscriber = await connect({ servers: natsUrl });
  const publisher = await connect({ servers: natsUrl });
  try {
    const subject = `nats-patch.${process.pid}.${Date.now()}`;
    const received: string[] = [];
    const subscription = subscriber.subscribe(subject, {
      callback: (_error, msg) => {
        received.push(msg.string());
      },
    });
    await subscriber.flush();
    const writes = countWrites(publisher);
    // Ten publishes, each after its own microtask (as a batch's answers resolve one after another).
    for (let index = 0; index < 10; index++) {
      await Promise.resolve();
      publisher.publish(subject, String(index));
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes(), 1, "one write for the turn's ten publishes");
    await publisher.flush();
    await subscriber.flush();
    const deadline = Date.now() + 5_000;
    while (received.length < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(received, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    subscription.unsubscribe();
  } finally {
    await publisher.close();
    await subscriber.close();
  }
});

test("a publish right before close() is still sent", async () => {
  const subscriber = await connect({ servers: natsUrl });
  try {
    const subject = `nats-patch.close.${process.pid}.${Date.now()}`;
    const received: string[] = [];
    subscriber.subscribe(subject, {
      callback: (_error, msg) => {
        received.push(msg.string());
      },
    });
    await subscriber.flush();
    const publisher = await connect({ servers: natsUrl });
    publisher.publish(subject, "last words");
    await publisher.close();
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(received, ["last words"]);
  } finally {
    await subscriber.close();
  }
});

test("headers keep the library's behaviour: exact and case-insensitive lookups, replacing, deleting, rejecting bad names, decoding", () => {
  const h = headers();
  h.set("Sy-Tenant", "acme");
  h.append("Sy-Roles", "a");
  h.append("Sy-Roles", "b");
  h.set("Sy-Tenant", "globex");
  assert.equal(h.get("Sy-Tenant"), "globex", "set replaces");
  assert.deepEqual(h.values("Sy-Roles"), ["a", "b"]);
  assert.equal(h.get("Sy-Roles"), "a", "get gives the first value");
  assert.equal(h.get("sy-tenant"), "", "the default lookup is exact");
  assert.equal(h.get("sy-tenant", Match.IgnoreCase), "globex");
  assert.equal(h.has("Sy-Roles"), true);
  assert.equal(h.has("sy-roles"), false);
  assert.equal(h.has("sy-roles", Match.IgnoreCase), true);
  h.delete("Sy-Roles");
  assert.equal(h.has("Sy-Roles"), false);
  assert.equal(h.get("Missing"), "");
  // A name is checked every time it is new, and a name seen before does not excuse a bad one.
  assert.throws(() => h.set("Bad Name", "x"), /not a valid character/);
  assert.throws(() => h.set("Bad:Name", "x"), /not a valid character/);
  assert.throws(() => h.set("Sy-Tenant", "two\r\nlines"), /cannot contain/);
  assert.equal(h.get("Sy-Tenant"), "", "a refused value is not stored (set removed the old one first, as the library does)");
  const wire = headers();
  wire.set("Sy-Method", "thread/name/set");
  wire.append("Sy-Roles", "a");
  wire.append("Sy-Roles", "b");
  const { MsgHdrsImpl } = require(join(lib, "headers.js")) as {
    MsgHdrsImpl: { decode(bytes: Uint8Array): typeof wire };
  };
  const decoded = MsgHdrsImpl.decode((wire as unknown as { encode(): Uint8Array }).encode());
  assert.equal(decoded.get("Sy-Method"), "thread/name/set");
  assert.deepEqual(decoded.values("Sy-Roles"), ["a", "b"]);
  assert.deepEqual(decoded.keys().sort(), ["Sy-Method", "Sy-Roles"]);
});
