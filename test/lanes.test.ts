// The two lanes' guarantees with several gateways and several thread-service instances:
// per-key FIFO for keyed writes, concurrency for unkeyed reads, read-your-writes on a connection,
// cancellation on disconnect, and idempotent redelivery.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { jetstream } from "@nats-io/jetstream";
import { busSubjects, KEYED_PARTITIONS, partitionOf, scopeKey } from "@switchyard/protocol";
import { decodeOutcome, encodeJson, newId, requestHeaders } from "@switchyard/runtime";
import pg from "pg";
import { CodexTestClient } from "./harness/client.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { appliedWrites, orderViolations, writeName } from "./harness/writes.js";

describe("lanes: ordering, concurrency, cancellation, idempotency", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack("lanes", { threads: 2, gateways: 2 });
  });
  after(async () => stack?.stop());

  /** A request's identity as a publisher on the bus other than a gateway sends it (tenant `default`). */
  const busRequestMeta = (commandId: string, method: string) => ({
    commandId,
    method,
    caller: { tenant: "default", subject: "test", roles: [] },
    deadlineMs: Date.now() + 30_000,
    connection: `test/${commandId}`,
    clientVersion: "test",
  });

  const gatewayUrl = (index: number) => `${stack.gateways[index % stack.gateways.length]?.url}/`;

  /** Holds a thread's row lock so keyed writes to it block in Postgres until released. */
  async function lockThread(threadId: string): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: stack.infra.databaseUrl });
    await client.connect();
    await client.query("BEGIN");
    await client.query("SELECT 1 FROM thread.threads WHERE id = $1 FOR UPDATE", [threadId]);
    return async () => {
      await client.query("COMMIT");
      await client.end();
    };
  }

  test("writes pipelined by many clients through two gateways apply in per-key FIFO order", async () => {
    const owner = await CodexTestClient.open(gatewayUrl(0));
    const threadIds: string[] = [];
    for (let index = 0; index < 4; index++) threadIds.push((await owner.call("thread/start", {})).thread.id);
    const watchers = await Promise.all([0, 1].map((index) => CodexTestClient.open(gatewayUrl(index))));
    const writers = await Promise.all(Array.from({ length: 8 }, (_, index) => CodexTestClient.open(gatewayUrl(index))));
    const writesPerWriter = 40;

    const replies = await Promise.all(
      writers.flatMap((writer, writerIndex) =>
        Array.from({ length: writesPerWriter }, (_, sequence) =>
          writer.request("thread/name/set", {
            threadId: threadIds[(writerIndex + sequence) % threadIds.length],
            name: writeName(`w${writerIndex}`, sequence),
          }),
        ),
      ),
    );
    assert.deepEqual(
      replies.filter((reply) => reply.error),
      [],
      "every write succeeds",
    );

    const total = writers.length * writesPerWriter;
    const applied = await appliedWrites(stack.infra.pool);
    assert.equal(applied.length, total, "each acknowledged write applied exactly once");
    assert.equal(new Set(applied.map((write) => write.commandId)).size, total);
    assert.deepEqual(orderViolations(applied), [], "Postgres applied each writer's writes in the order sent");

    // Every gateway's subscribers observe the same per-key order.
    for (const watcher of watchers) {
      await watcher
        .waitForNotification(
          () => watcher.notifications.filter((n) => n.method === "thread/name/updated").length >= total,
          10_000,
        )
        .catch(() => {});
      const observed = watcher.notifications
        .filter((n) => n.method === "thread/name/updated")
        .map((n) => ({ threadId: n.params.threadId as string, name: n.params.threadName as string }));
      assert.equal(observed.length, total);
      assert.deepEqual(orderViolations(observed), []);
    }
    await Promise.all([owner, ...watchers, ...writers].map((client) => client.close()));
  });

  test("unkeyed reads run concurrently, even while a keyed write to the same thread is blocked", async () => {
    const writer = await CodexTestClient.open(gatewayUrl(0));
    const reader = await CodexTestClient.open(gatewayUrl(1));
    const { thread } = await writer.call("thread/start", {});
    await writer.call("thread/name/set", { threadId: thread.id, name: "before" });
    const release = await lockThread(thread.id);
    try {
      const blockedWrite = writer.request("thread/name/set", { threadId: thread.id, name: "after" });
      // Read-your-writes: the writer's own read waits behind its write...
      let isOwnReadDone = false;
      const ownRead = writer.call("thread/read", { threadId: thread.id }).then((result) => {
        isOwnReadDone = true;
        return result;
      });
      // ...while 32 reads from another connection complete at once, seeing committed state.
      const started = Date.now();
      const reads = await Promise.all(Array.from({ length: 32 }, () => reader.call("thread/read", { threadId: thread.id })));
      assert.ok(reads.every((read) => read.thread.name === "before"));
      assert.ok(Date.now() - started < 5_000);
      assert.equal(isOwnReadDone, false, "the writer's read waits for its own pending write");
      await release();
      assert.deepEqual((await blockedWrite).result, {});
      assert.equal((await ownRead).thread.name, "after");
    } finally {
      await release().catch(() => {});
    }
    await Promise.all([writer.close(), reader.close()]);
  });

  test("a disconnect cancels the connection's queued keyed work", async () => {
    const owner = await CodexTestClient.open(gatewayUrl(0));
    const { thread } = await owner.call("thread/start", {});
    const release = await lockThread(thread.id);
    const leaver = await CodexTestClient.open(gatewayUrl(1));
    for (let sequence = 0; sequence < 6; sequence++) {
      void leaver.request("thread/name/set", { threadId: thread.id, name: writeName("leaver", sequence) });
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // the first write is now blocked in Postgres
    await leaver.close();
    await new Promise((resolve) => setTimeout(resolve, 300)); // services hear about the disconnect
    await release();
    // A later write from another client proves the partition moved on past the dropped commands.
    await owner.call("thread/name/set", { threadId: thread.id, name: "owner#0" });
    const names = (await appliedWrites(stack.infra.pool)).filter((write) => write.threadId === thread.id).map((w) => w.name);
    assert.ok(names.filter((name) => name.startsWith("leaver#")).length <= 1, `queued writes were dropped: ${names.join(", ")}`);
    assert.equal(names[names.length - 1], "owner#0");
    await owner.close();
  });

  test("a command delivered twice is applied once (idempotent by command id)", async () => {
    const client = await CodexTestClient.open(gatewayUrl(0));
    const { thread } = await client.call("thread/start", {});
    const subjects = busSubjects(stack.infra.busPrefix);
    const js = jetstream(stack.infra.nc);
    const subject = subjects.keyedPartition("thread", partitionOf(scopeKey("thread", "default", thread.id), KEYED_PARTITIONS));
    const replies = stack.infra.nc.subscribe(`${stack.infra.busPrefix}.test.replies`, { max: 2 });
    const meta = busRequestMeta("duplicate-command-1", "thread/name/set");
    // Published twice without a de-duplication id: exactly what a redelivery looks like to a worker.
    for (let copy = 0; copy < 2; copy++) {
      await js.publish(subject, encodeJson({ threadId: thread.id, name: "dup#0" }), {
        headers: requestHeaders(meta, `${stack.infra.busPrefix}.test.replies`),
      });
    }
    let answered = 0;
    for await (const _reply of replies) answered++;
    assert.equal(answered, 2, "both deliveries are answered");
    const applied = (await appliedWrites(stack.infra.pool)).filter((write) => write.commandId === "duplicate-command-1");
    assert.equal(applied.length, 1);
    const read = await client.call("thread/read", { threadId: thread.id });
    assert.equal(read.thread.name, "dup#0");
    await client.close();
  });

  test("thread/start creates the thread under the id its request names (the gateway names it)", async () => {
    const subjects = busSubjects(stack.infra.busPrefix);
    const threadId = newId();
    const meta = { ...busRequestMeta("named-start-1", "thread/start"), newThreadId: threadId };
    const reply = await stack.infra.nc.request(subjects.rpc("thread/start"), encodeJson({ cwd: "/w" }), {
      timeout: 30_000,
      headers: requestHeaders(meta),
    });
    const answer = decodeOutcome(reply);
    assert.ok(answer.ok, JSON.stringify(answer));
    assert.equal((answer.result as { thread: { id: string } }).thread.id, threadId);
    const client = await CodexTestClient.open(gatewayUrl(1));
    const read = await client.call("thread/read", { threadId });
    assert.equal(read.thread.id, threadId);
    assert.equal(read.thread.cwd, "/w");
    await client.close();
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
