import assert from "node:assert/strict";
import { test } from "node:test";
import { clip, findJsonDefect, MAX_JSON_DEPTH } from "./frame-limits.js";

const nestedArrays = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth));
const nestedObjects = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);

test("values up to the depth limit pass; one level deeper is refused", () => {
  assert.equal(findJsonDefect(nestedArrays(MAX_JSON_DEPTH)), undefined);
  assert.equal(findJsonDefect(nestedObjects(MAX_JSON_DEPTH)), undefined);
  assert.deepEqual(findJsonDefect(nestedArrays(MAX_JSON_DEPTH + 1)), { kind: "tooDeep", maxDepth: MAX_JSON_DEPTH });
  assert.deepEqual(findJsonDefect(nestedObjects(MAX_JSON_DEPTH + 1)), { kind: "tooDeep", maxDepth: MAX_JSON_DEPTH });
});

test("100,000 levels are walked without exhausting the stack", () => {
  assert.equal(findJsonDefect(nestedObjects(100_000))?.kind, "tooDeep");
  assert.equal(findJsonDefect(nestedArrays(100_000))?.kind, "tooDeep");
});

test("a NUL character in a string or a key is found, with its path", () => {
  assert.deepEqual(findJsonDefect({ params: { name: "a\u0000b" } }), { kind: "nulCharacter", path: "params.name" });
  assert.deepEqual(findJsonDefect({ params: { list: ["ok", "x\u0000"] } }), {
    kind: "nulCharacter",
    path: "params.list[1]",
  });
  assert.equal(findJsonDefect({ params: { "k\u0000": 1 } })?.kind, "nulCharacter");
  assert.equal(findJsonDefect({ params: { name: "fine", n: 1, b: null, t: true } }), undefined);
});

test("clip keeps short text and bounds long text", () => {
  assert.equal(clip("short"), "short");
  const clipped = clip("x".repeat(10_000_000));
  assert.ok(clipped.length < 260);
  assert.match(clipped, /10000000 characters/);
});
