// How the write batcher forms batches, against a scripted statement (the Postgres side is covered by
// test/threads.test.ts): a turn's writes go together when it ends, later ones gather, a key appears at most once
// per batch, tenants never share a statement.
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { test } from "node:test";
import { WriteBatcher } from "./write-batcher.js";

interface Write {
  key: string;
  value: string;
}

function scripted(maxBatch = 64, maxInFlight = 1) {
  const statements: { tenant: string; values: string[]; finish(): void }[] = [];
  const batcher = new WriteBatcher<Write, string>({
    keyOf: (write) => write.key,
    maxBatch,
    maxInFlight,
    run: (tenant, inputs) =>
      new Promise((resolve) =>
        statements.push({
          tenant,
          values: inputs.map((input) => input.value),
          finish: () => resolve(inputs.map((input) => `${tenant}:${input.value}`)),
        }),
      ),
  });
  return { batcher, statements };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("the writes of one event-loop turn go in one statement when it ends, one write per key; later ones gather behind it", async () => {
  const { batcher, statements } = scripted();
  const written = ["a1", "b1", "a2", "c1"].map((value) => batcher.submit("t", { key: value.slice(0, 1), value }));
  assert.equal(statements.length, 0, "nothing is written before the turn ends");
  await tick();
  assert.deepEqual(
    statements.map((statement) => statement.values),
    [["a1", "b1", "c1"]],
    "a2 waits: a1 holds key a in this batch",
  );
  written.push(...["a3", "d1"].map((value) => batcher.submit("t", { key: value.slice(0, 1), value })));
  await tick();
  assert.equal(statements.length, 1, "one statement of a tenant at a time");
  statements[0]?.finish();
  await tick();
  assert.deepEqual(statements[1]?.values, ["a2", "d1"], "a3 waits: a2 holds key a in this batch");
  statements[1]?.finish();
  await tick();
  assert.deepEqual(statements[2]?.values, ["a3"]);
  statements[2]?.finish();
  assert.deepEqual(await Promise.all(written), ["t:a1", "t:b1", "t:a2", "t:c1", "t:a3", "t:d1"]);
  assert.deepEqual(batcher.stats, { batches: 3, inputs: 6 });
});

test("tenants are written by separate statements; maxBatch bounds a statement", async () => {
  const { batcher, statements } = scripted(2);
  const written = [
    batcher.submit("t1", { key: "a", value: "a" }),
    batcher.submit("t2", { key: "a", value: "x" }),
    batcher.submit("t1", { key: "b", value: "b" }),
    batcher.submit("t1", { key: "c", value: "c" }),
    batcher.submit("t1", { key: "d", value: "d" }),
  ];
  await tick();
  assert.deepEqual(
    statements.map((statement) => [statement.tenant, statement.values]),
    [
      ["t1", ["a", "b"]],
      ["t2", ["x"]],
    ],
  );
  statements[0]?.finish();
  await tick();
  assert.deepEqual(statements[2]?.values, ["c", "d"]);
  for (const statement of statements.slice(1)) statement.finish();
  assert.deepEqual(await Promise.all(written), ["t1:a", "t2:x", "t1:b", "t1:c", "t1:d"]);
});

test("a key being written keeps its next write out of the statements that start meanwhile", async () => {
  const { batcher, statements } = scripted(64, 2);
  const first = batcher.submit("t", { key: "a", value: "a1" });
  await tick();
  const second = batcher.submit("t", { key: "a", value: "a2" });
  const other = batcher.submit("t", { key: "b", value: "b1" });
  await tick();
  assert.deepEqual(
    statements.map((statement) => statement.values),
    [["a1"], ["b1"]],
    "the second statement slot takes b1, not a2",
  );
  statements[1]?.finish();
  await tick();
  assert.equal(statements.length, 2, "a2 still waits for a1");
  statements[0]?.finish();
  await tick();
  assert.deepEqual(statements[2]?.values, ["a2"]);
  statements[2]?.finish();
  assert.deepEqual(await Promise.all([first, second, other]), ["t:a1", "t:a2", "t:b1"]);
});

test("a statement runs in the async context of its batch's first write (its span joins that request's trace)", async () => {
  const requests = new AsyncLocalStorage<string>();
  const seen: (string | undefined)[] = [];
  const finishes: (() => void)[] = [];
  const batcher = new WriteBatcher<Write, string>({
    keyOf: (write) => write.key,
    maxBatch: 64,
    maxInFlight: 1,
    run: (_tenant, inputs) => {
      seen.push(requests.getStore());
      return new Promise((resolve) => finishes.push(() => resolve(inputs.map((input) => input.value))));
    },
  });
  const first = requests.run("request-1", () => batcher.submit("t", { key: "a", value: "a" }));
  await tick();
  // These gather while request-1's statement runs; its end starts their statement, from its context.
  const second = requests.run("request-2", () => batcher.submit("t", { key: "b", value: "b" }));
  const third = requests.run("request-3", () => batcher.submit("t", { key: "c", value: "c" }));
  await tick();
  finishes.shift()?.();
  assert.equal(await first, "a");
  await tick();
  finishes.shift()?.();
  assert.deepEqual(await Promise.all([second, third]), ["b", "c"]);
  assert.deepEqual(seen, ["request-1", "request-2"]);
});
