// The project patches pg (patches/, applied by pnpm install): a query's config, when it is a plain
// object (every query the services send), is copied by spreading it. pg copied it through its
// property descriptors, which leaves a dictionary-mode object that every later read of the query's
// fields pays for: a few µs per query, 3–6% of the thread service's CPU per rename. This fails if
// the patch is lost (a version bump); the copy must still leave the caller's object untouched.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";

const require = createRequire(import.meta.url);
const { normalizeQueryConfig } = require("pg/lib/utils.js") as {
  normalizeQueryConfig(config: object, values?: unknown[]): Record<string, unknown>;
};

test("a plain query config is copied as data (the patch), and the caller's object is left as it was", () => {
  let reads = 0;
  const config = {
    name: "sy_1",
    get text() {
      reads++;
      return "SELECT 1";
    },
  };
  const normalized = normalizeQueryConfig(config, [1]);
  assert.notEqual(normalized, config);
  assert.deepEqual(normalized.values, [1]);
  assert.equal(normalized.name, "sy_1");
  // Copied through descriptors, the getter would have been copied as a getter, not read.
  assert.equal(reads, 1, "the copy reads each field once (pg without the patch copies the getter itself)");
  assert.equal(Object.getOwnPropertyDescriptor(normalized, "text")?.get, undefined);
  assert.equal(normalized.text, "SELECT 1");
  assert.equal("values" in config, false, "the caller's object gains nothing");
});

test("a config of another class keeps its prototype", () => {
  class Statement {
    text = "SELECT 2";
  }
  const normalized = normalizeQueryConfig(new Statement());
  assert.ok(normalized instanceof Statement);
  assert.equal(normalized.text, "SELECT 2");
});
