// The ordering rules of keyed-publish retries, against a scripted "stream": each attempt is answered
// by the test (stored, refused), so every interleaving is decided here rather than by timing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OrderedPublisher } from "./ordered-publish.js";

class Retryable extends Error {}

/** A stream that stores what it is told to, in the order the attempts are answered. */
function scriptedStream() {
  const stored: string[] = [];
  const pending: { name: string; store(): void; refuse(error?: Error): void }[] = [];
  const attempt = (name: string) => () =>
    new Promise<void>((resolve, reject) => {
      pending.push({
        name,
        store: () => {
          stored.push(name);
          resolve();
        },
        refuse: (error = new Retryable("no responders")) => reject(error),
      });
    });
  /** Answers the oldest unanswered attempt of `name`. */
  const answer = async (name: string, how: "store" | "refuse", error?: Error) => {
    for (let spin = 0; spin < 100 && !pending.some((entry) => entry.name === name); spin++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const index = pending.findIndex((entry) => entry.name === name);
    assert.ok(index >= 0, `an attempt of ${name} is on the wire`);
    const [entry] = pending.splice(index, 1);
    if (how === "store") entry?.store();
    else entry?.refuse(error);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { stored, pending, attempt, answer };
}

const publisher = () => new OrderedPublisher({ isRetryable: (error) => error instanceof Retryable, backoffMs: () => 1 });
const settled = (promise: Promise<void>) =>
  promise.then(
    () => "stored",
    (error: Error) => `failed: ${error.message}`,
  );

test("a refused publish is retried and stored before the publishes that arrive after it", async () => {
  const stream = scriptedStream();
  const ordered = publisher();
  const deadline = Date.now() + 10_000;
  const a = settled(ordered.publish("p1", deadline, stream.attempt("a")));
  const b = settled(ordered.publish("p1", deadline, stream.attempt("b")));
  await stream.answer("a", "refuse");
  await stream.answer("b", "refuse");
  const c = settled(ordered.publish("p1", deadline, stream.attempt("c"))); // arrives while recovering
  assert.deepEqual(ordered.recoveringSubjects(), ["p1"]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(
    stream.pending.map((entry) => entry.name),
    ["a"],
    "only a's retry is on the wire: b waits for it, c for the partition to open",
  );
  await stream.answer("a", "store"); // the retry of a
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(
    stream.pending.map((entry) => entry.name),
    ["b"],
  );
  await stream.answer("b", "store");
  await stream.answer("c", "store");
  assert.deepEqual(await Promise.all([a, b, c]), ["stored", "stored", "stored"]);
  assert.deepEqual(stream.stored, ["a", "b", "c"]);
  assert.deepEqual(ordered.recoveringSubjects(), []);
});

test("a refused publish overtaken by a stored one fails instead of being stored out of order", async () => {
  const stream = scriptedStream();
  const ordered = publisher();
  const deadline = Date.now() + 10_000;
  const a = settled(ordered.publish("p1", deadline, stream.attempt("a")));
  const b = settled(ordered.publish("p1", deadline, stream.attempt("b")));
  const c = settled(ordered.publish("p1", deadline, stream.attempt("c")));
  await stream.answer("a", "refuse");
  await stream.answer("b", "store");
  await stream.answer("c", "refuse");
  await stream.answer("c", "store"); // c's retry: after b, so in order
  assert.deepEqual(await Promise.all([a, b, c]), ["failed: no responders", "stored", "stored"]);
  assert.deepEqual(stream.stored, ["b", "c"]);
});

test("other partitions go on while one recovers; errors that are not retryable fail at once", async () => {
  const stream = scriptedStream();
  const ordered = publisher();
  const deadline = Date.now() + 10_000;
  const a = settled(ordered.publish("p1", deadline, stream.attempt("a")));
  await stream.answer("a", "refuse");
  const x = settled(ordered.publish("p2", deadline, stream.attempt("x")));
  await stream.answer("x", "store");
  assert.equal(await x, "stored");
  await stream.answer("a", "refuse", new Error("maximum payload exceeded"));
  assert.equal(await a, "failed: maximum payload exceeded");
  const b = settled(ordered.publish("p1", deadline, stream.attempt("b")));
  await stream.answer("b", "store");
  assert.equal(await b, "stored", "the partition opens again after a failure that ends its recovery");
});

test("a publish that stays refused fails at its deadline, and the partition opens again", async () => {
  const stream = scriptedStream();
  const ordered = publisher();
  const a = settled(ordered.publish("p1", Date.now() + 50, stream.attempt("a")));
  const refuseAll = setInterval(() => {
    for (const entry of stream.pending.splice(0)) entry.refuse();
  }, 2);
  const outcome = await a;
  clearInterval(refuseAll);
  assert.equal(outcome, "failed: no responders");
  const b = settled(ordered.publish("p1", Date.now() + 10_000, stream.attempt("b")));
  await stream.answer("b", "store");
  assert.equal(await b, "stored");
});
