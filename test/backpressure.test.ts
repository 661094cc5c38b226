// Back-pressure and deadlines: a client that stops reading is disconnected (1013) rather than
// silently skipped, and a keyed write that outlives its deadline is answered with an error and,
// once expired, never applied later behind the client's back.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TenantDb } from "@switchyard/runtime";
import pg from "pg";
import WebSocket from "ws";
import { CodexTestClient } from "./harness/client.js";
import { startGatewayProcess } from "./harness/processes.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { appliedWrites, writeName } from "./harness/writes.js";

describe("back-pressure and deadlines", () => {
  let stack: Stack;
  let shortDeadlineUrl: string;
  before(async () => {
    stack = await startStack("backpressure", { gatewayEnv: { GATEWAY_MAX_OUTBOUND_BYTES: String(256 * 1024) } });
    const gateway = await startGatewayProcess(
      { ...stack.infra.env, GATEWAY_REQUEST_TIMEOUT_MS: "1000", GATEWAY_PING_INTERVAL_MS: "200" },
      "gateway-short",
    );
    stack.gateways.push(gateway);
    shortDeadlineUrl = `${gateway.url}/`;
  });
  after(async () => stack?.stop());

  test("a client that stops reading is disconnected with 1013 once its outbound queue overflows", async () => {
    const seeder = await CodexTestClient.open(stack.url);
    const { PgThreadStore } = await import("../services/thread/src/store/thread-store.js");
    const { ThreadChanges } = await import("../services/thread/src/store/thread-changes.js");
    const store = new PgThreadStore(new TenantDb(stack.infra.pool), new ThreadChanges(() => {}));
    for (let index = 0; index < 40; index++) {
      const { thread } = await seeder.call("thread/start", {});
      await store.appendItems(
        "default",
        thread.id,
        [{ turnId: "t", item: { type: "userMessage", id: `i${index}` } }],
        "x".repeat(4000),
      );
    }
    const slow = await CodexTestClient.open(stack.url);
    const rawSocket = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    rawSocket.pause(); // stop reading: TCP buffers fill, then the gateway's queue grows
    const requests = 300; // ~160 KB per answer, far beyond socket buffers plus the 256 KB allowance
    for (let index = 0; index < requests; index++) void slow.request("thread/list", { limit: 40 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    rawSocket.resume();
    const code = await Promise.race([slow.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10_000))]);
    assert.equal(code, 1013, "the gateway closed the slow connection");
    assert.ok(slow.pendingCount > 0, "it was disconnected before every answer was sent");
    // Other connections are unaffected.
    assert.ok((await seeder.call("thread/list", { limit: 1 })).data.length === 1);
    await seeder.close();
  });

  test("a keyed write past its deadline is answered with an error and its expired queue is never applied", async () => {
    const client = await CodexTestClient.open(shortDeadlineUrl);
    const { thread } = await client.call("thread/start", {});
    const locker = new pg.Client({ connectionString: stack.infra.databaseUrl });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query("SELECT 1 FROM thread.threads WHERE id = $1 FOR UPDATE", [thread.id]);
    const replies = await Promise.all(
      Array.from({ length: 4 }, (_, sequence) =>
        client.request("thread/name/set", { threadId: thread.id, name: writeName("late", sequence) }),
      ),
    );
    for (const reply of replies) {
      assert.equal(reply.error?.code, -32603);
      assert.match(reply.error?.message ?? "", /did not complete within 1000 ms/);
      assert.deepEqual(reply.error?.data, { reason: "deadlineExceeded" });
    }
    await locker.query("COMMIT");
    await locker.end();
    // The write that was already running when time ran out may finish; the ones still queued expired.
    assert.deepEqual(await client.call("thread/name/set", { threadId: thread.id, name: "on-time#0" }), {});
    const names = (await appliedWrites(stack.infra.pool)).filter((write) => write.threadId === thread.id).map((w) => w.name);
    assert.ok(names.filter((name) => name.startsWith("late#")).length <= 1, names.join(", "));
    assert.equal(names[names.length - 1], "on-time#0");
    await client.close();
  });

  test("a peer that stops answering pings (half-open) is dropped; one that answers stays", async () => {
    const open = (autoPong: boolean) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(shortDeadlineUrl, { autoPong, perMessageDeflate: false });
        socket.once("open", () => resolve(socket));
        socket.once("error", reject);
      });
    const silent = await open(false);
    const alive = await open(true);
    const silentClosed = new Promise<number>((resolve) => silent.once("close", (code) => resolve(code)));
    const code = await Promise.race([
      silentClosed,
      new Promise<string>((resolve) => setTimeout(() => resolve("still open"), 3_000)),
    ]);
    assert.equal(code, 1006, "the silent peer's socket was terminated");
    assert.equal(alive.readyState, WebSocket.OPEN, "a peer that answers pings is kept");
    alive.close();
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
