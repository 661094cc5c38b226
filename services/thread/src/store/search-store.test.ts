import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { findMatches, foldCase, hasTrigram, likePattern, SNIPPET_BEFORE, snippetAround, snippetFor } from "./search-store.js";
import { decodeTurnCursor, encodeTurnCursor, isTurnCursor, turnCursorBounds } from "./turn-cursor.js";

describe("search text matching", () => {
  test("folding keeps UTF-16 offsets, so matches index the original text", () => {
    assert.equal(foldCase("ÀB İx"), "àb İx", "İ lower-cases to two units, so it is kept");
    assert.equal(foldCase("İ").length, "İ".length);
    const text = "😀 Ünïcode and ÜNÏCODE";
    assert.deepEqual(findMatches(text, "ünïcode"), [3, 15]);
    assert.equal(text.slice(3, 10), "Ünïcode");
    assert.deepEqual(findMatches("aaaa", "aa"), [0, 2], "non-overlapping");
    assert.deepEqual(findMatches("abc", ""), []);
  });

  test("snippets keep the match and mark what was cut", () => {
    const text = `${"word ".repeat(40)}the NEEDLE here ${"tail ".repeat(40)}`;
    const start = text.indexOf("NEEDLE");
    const { snippet, range } = snippetAround(text, start, 6);
    assert.ok(snippet.startsWith("…") && snippet.endsWith("…"));
    assert.equal(snippet.slice(range.start, range.end), "NEEDLE");
    assert.ok(snippet.length <= SNIPPET_BEFORE + 6 + 100 + 2);
    const lines = snippetAround("line one\nNeedle\ttwo", 9, 6);
    assert.equal(lines.snippet, "line one Needle two");
    assert.deepEqual(lines.range, { start: 9, end: 15 });
    // Never cuts a surrogate pair in half.
    const emoji = `${"😀".repeat(60)}needle`;
    const cut = snippetAround(emoji, emoji.indexOf("needle"), 6);
    assert.ok(!/^…[\udc00-\udfff]/.test(cut.snippet));
    assert.equal(cut.snippet.slice(cut.range.start, cut.range.end), "needle");
    assert.equal(snippetFor("no match at all", "zzz"), "no match at all");
  });

  test("LIKE wildcards in a term are literal; trigram-less terms are recognised", () => {
    assert.equal(likePattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    assert.equal(hasTrigram("ab"), false);
    assert.equal(hasTrigram("a b c"), false);
    assert.equal(hasTrigram("--"), false);
    assert.equal(hasTrigram("abc"), true);
    assert.equal(hasTrigram("ticket-42"), true);
  });
});

describe("turn cursors", () => {
  const threadId = "0193a0b0-0000-7000-8000-000000000001";
  test("round-trip, name their thread, and open a page at their turn in either direction", () => {
    const cursor = encodeTurnCursor({ threadId, turnId: "turn-7", firstItemSeq: "13" });
    assert.ok(isTurnCursor(cursor));
    assert.deepEqual(decodeTurnCursor(cursor, threadId), { threadId, turnId: "turn-7", firstItemSeq: "13" });
    assert.throws(() => decodeTurnCursor(cursor, "0193a0b0-0000-7000-8000-000000000002"), /invalid cursor/);
    assert.throws(() => decodeTurnCursor("garbage", threadId), /invalid cursor/);
    assert.equal(isTurnCursor("garbage"), false);
    const position = decodeTurnCursor(cursor, threadId);
    assert.deepEqual(turnCursorBounds(position, "asc"), { afterSeq: "12", beforeSeq: null });
    assert.deepEqual(turnCursorBounds(position, "desc"), { afterSeq: null, beforeSeq: "14" });
  });
});
