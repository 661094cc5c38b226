import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeOccurrenceCursor, encodeOccurrenceCursor, searchTermOf } from "./search-handlers.js";

describe("search input", () => {
  test("terms are trimmed, must not be empty, and are at most 65,536 UTF-8 bytes", () => {
    assert.equal(searchTermOf("thread/search", "  needle \n"), "needle");
    assert.throws(
      () => searchTermOf("thread/search", " \t "),
      /^SwitchyardError: thread\/search requires a non-empty searchTerm$/,
    );
    assert.equal(searchTermOf("thread/search/stream", `  ${"é".repeat(32_768)}  `).length, 32_768);
    assert.throws(() => searchTermOf("thread/search/stream", "é".repeat(32_769)), /exceeds 65536 UTF-8 bytes/);
  });

  test("occurrence cursors hold to their thread and term (case-insensitively)", () => {
    const cursor = encodeOccurrenceCursor("t1", "Needle", { seq: "5", matchIndex: 2 });
    assert.deepEqual(decodeOccurrenceCursor(cursor, "t1", "NEEDLE"), { seq: "5", matchIndex: 2 });
    assert.throws(() => decodeOccurrenceCursor(cursor, "t2", "needle"), /invalid cursor/);
    assert.throws(() => decodeOccurrenceCursor(cursor, "t1", "other"), /invalid cursor/);
    assert.throws(() => decodeOccurrenceCursor("bm9wZQ", "t1", "needle"), /invalid cursor/);
  });
});
