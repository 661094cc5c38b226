import assert from "node:assert/strict";
import { test } from "node:test";
import { newId } from "./ids.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("thread and turn ids are UUIDv7s stamped with the current millisecond", () => {
  const before = Date.now();
  const id = newId();
  const after = Date.now();
  assert.match(id, UUID_V7);
  const stamped = Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
  assert.ok(stamped >= before && stamped <= after + 1, `${stamped} within [${before}, ${after}]`);
});

test("ids from one process strictly increase and never repeat, across refills of the random pool", () => {
  // 20,000 ids: many per millisecond, and 80 refills of the 4 KiB pool.
  const ids = Array.from({ length: 20_000 }, () => newId());
  for (const [index, id] of ids.entries()) {
    assert.match(id, UUID_V7);
    if (index > 0) assert.ok(id > (ids[index - 1] as string), `${id} after ${ids[index - 1]}`);
  }
  assert.equal(new Set(ids).size, ids.length);
  // The random tails differ (drawn from the pool, not reused): no two ids share their last 12 hex digits.
  assert.equal(new Set(ids.map((id) => id.slice(-12))).size, ids.length);
});
