import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RequestCancelEvent } from "@switchyard/protocol";
import { EARLY_CANCEL_MEMORY_MS, RequestCancellations } from "./request-cancellations.js";

/** Two instances on one in-memory broadcast (the real one is a NATS subject; see thread-search.test.ts). */
function broadcast() {
  const listeners = new Set<(event: RequestCancelEvent) => void>();
  const published: RequestCancelEvent[] = [];
  return {
    published,
    transport: {
      publish: (event: RequestCancelEvent) => {
        published.push(event);
        for (const listener of listeners) listener(event);
      },
      subscribe: (listener: (event: RequestCancelEvent) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}

describe("request cancellations", () => {
  test("a cancel received by one instance aborts the request another runs; only that connection, kind and id", () => {
    const bus = broadcast();
    const running = new RequestCancellations(bus.transport);
    const receiving = new RequestCancellations(bus.transport);
    const search = running.start("gw/a", "search", 7);
    const stream = running.start("gw/a", "stream", 7);
    const sample = running.start("gw/a", "sample", 7);
    const otherConnection = running.start("gw/b", "search", 7);
    receiving.cancel({ connection: "gw/a", kind: "search", requestId: 7 });
    assert.equal(search.signal.aborted, true);
    assert.equal(stream.signal.aborted, false);
    assert.equal(sample.signal.aborted, false);
    assert.equal(otherConnection.signal.aborted, false);
    receiving.cancel({ connection: "gw/a", kind: "search", requestId: 7 });
    assert.equal(bus.published.length, 2, "idempotent: a second cancel changes nothing");
    for (const registration of [search, stream, sample, otherConnection]) registration.finish();
    running.stop();
    receiving.stop();
  });

  test("a cancel that arrives before its request starts stops it at start, within the memory window", () => {
    const bus = broadcast();
    let now = 1_000;
    const instance = new RequestCancellations(bus.transport, () => now);
    instance.cancel({ connection: "gw/a", kind: "stream", requestId: "r1" });
    assert.equal(instance.start("gw/a", "stream", "r1").signal.aborted, true);
    assert.equal(instance.start("gw/a", "stream", "r1").signal.aborted, false, "consumed once");
    instance.cancel({ connection: "gw/a", kind: "stream", requestId: "r2" });
    now += EARLY_CANCEL_MEMORY_MS + 1;
    assert.equal(instance.start("gw/a", "stream", "r2").signal.aborted, false, "forgotten after the window");
    instance.stop();
  });
});
