import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ScopeKey } from "@switchyard/protocol";
import { KeyOrdering } from "./key-ordering.js";

const key = "thread:acme:t1" as ScopeKey;
const other = "thread:acme:t2" as ScopeKey;

function deferred() {
  let resolve: (value: string) => void = () => {};
  const promise = new Promise<string>((settle) => (resolve = settle));
  return { promise, resolve };
}

describe("per-key ordering (read-your-writes)", () => {
  test("a read of a key waits for this connection's write to it; reads of other keys do not", async () => {
    const ordering = new KeyOrdering();
    const events: string[] = [];
    const write = deferred();
    void ordering.write(key, () => {
      events.push("write started");
      return write.promise;
    });
    const read = ordering.read(key, async () => {
      events.push("read started");
      return "r";
    });
    const unrelated = ordering.read(other, async () => {
      events.push("other read started");
      return "o";
    });
    await unrelated;
    assert.deepEqual(events, ["write started", "other read started"]);
    write.resolve("w");
    assert.equal(await read, "r");
    assert.deepEqual(events, ["write started", "other read started", "read started"]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ordering.pendingWriteCount, 0);
  });

  test("writes start at once, in arrival order, and a failed write still releases its readers", async () => {
    const ordering = new KeyOrdering();
    const started: number[] = [];
    const first = ordering.write(key, async () => {
      started.push(1);
      throw new Error("refused");
    });
    void ordering.write(key, async () => {
      started.push(2);
      return "ok";
    });
    assert.deepEqual(started, [1, 2], "both were published synchronously, in order");
    await assert.rejects(first);
    assert.equal(await ordering.read(key, async () => "read"), "read");
  });
});
