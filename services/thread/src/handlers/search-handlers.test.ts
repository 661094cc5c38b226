import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SearchCancelEvent } from "@switchyard/protocol";
import {
  decodeOccurrenceCursor,
  EARLY_CANCEL_MEMORY_MS,
  encodeOccurrenceCursor,
  SearchCancellations,
  searchTermOf,
} from "./search-handlers.js";

/** Two instances on one in-memory broadcast (the real one is a NATS subject; see thread-search.test.ts). */
function broadcast() {
  const listeners = new Set<(event: SearchCancelEvent) => void>();
  const published: SearchCancelEvent[] = [];
  return {
    published,
    transport: {
      publish: (event: SearchCancelEvent) => {
        published.push(event);
        for (const listener of listeners) listener(event);
      },
      subscribe: (listener: (event: SearchCancelEvent) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}

describe("search cancellations", () => {
  test("a cancel received by one instance aborts the search another runs; only that connection, kind and id", () => {
    const bus = broadcast();
    const running = new SearchCancellations(bus.transport);
    const receiving = new SearchCancellations(bus.transport);
    const search = running.start("gw/a", "search", 7);
    const stream = running.start("gw/a", "stream", 7);
    const otherConnection = running.start("gw/b", "search", 7);
    receiving.cancel({ connection: "gw/a", kind: "search", requestId: 7 });
    assert.equal(search.signal.aborted, true);
    assert.equal(stream.signal.aborted, false);
    assert.equal(otherConnection.signal.aborted, false);
    receiving.cancel({ connection: "gw/a", kind: "search", requestId: 7 });
    assert.equal(bus.published.length, 2, "idempotent: a second cancel changes nothing");
    for (const registration of [search, stream, otherConnection]) registration.finish();
    running.stop();
    receiving.stop();
  });

  test("a cancel that arrives before its search starts stops it at start, within the memory window", () => {
    const bus = broadcast();
    let now = 1_000;
    const instance = new SearchCancellations(bus.transport, () => now);
    instance.cancel({ connection: "gw/a", kind: "stream", requestId: "r1" });
    assert.equal(instance.start("gw/a", "stream", "r1").signal.aborted, true);
    assert.equal(instance.start("gw/a", "stream", "r1").signal.aborted, false, "consumed once");
    instance.cancel({ connection: "gw/a", kind: "stream", requestId: "r2" });
    now += EARLY_CANCEL_MEMORY_MS + 1;
    assert.equal(instance.start("gw/a", "stream", "r2").signal.aborted, false, "forgotten after the window");
    instance.stop();
  });
});

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
