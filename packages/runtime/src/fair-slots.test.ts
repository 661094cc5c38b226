import assert from "node:assert/strict";
import { test } from "node:test";
import { FairSlots } from "./fair-slots.js";

test("free slots are taken at once; when they run out, tenants with waiters are served in turn", async () => {
  const slots = new FairSlots(2);
  assert.equal(slots.acquire("a"), undefined);
  assert.equal(slots.acquire("a"), undefined);
  const served: string[] = [];
  const wait = (tenant: string) => slots.acquire(tenant)?.then(() => served.push(tenant));
  const waits = [...Array.from({ length: 5 }, () => wait("a")), wait("b"), wait("c"), wait("b")];
  assert.ok(waits.every((pending) => pending instanceof Promise));
  assert.deepEqual(slots.queued, { statements: 8, tenants: 3 });
  for (let index = 0; index < 8; index++) {
    slots.release();
    await new Promise((resolve) => setImmediate(resolve));
  }
  // a's five came first but b and c did not wait behind them all.
  assert.deepEqual(served, ["a", "b", "c", "a", "b", "a", "a", "a"]);
  assert.deepEqual(slots.queued, { statements: 0, tenants: 0 });
  // The two slots are still taken (each release passed one on); two more releases free them.
  assert.ok(slots.acquire("d") instanceof Promise);
  slots.release();
  slots.release();
  slots.release();
  assert.equal(slots.acquire("d"), undefined);
  assert.throws(() => new FairSlots(0), RangeError);
});
