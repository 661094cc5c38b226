// The gateway's thread/read cache against the real thread service, NATS and Postgres: repeated reads
// are answered by the gateway, and every change the thread service commits is read back at once —
// by the connection that made it, by another connection of the same gateway, and after the
// notification that announced it — on two gateways, with tenants kept apart. The change notices
// themselves: published once a transaction commits, never for one rolled back, and marking a change
// outside an announcing transaction is refused.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { busSubjects } from "@switchyard/protocol";
import { TenantDb } from "@switchyard/runtime";
import { ThreadChanges } from "../services/thread/src/store/thread-changes.js";
import { CodexTestClient } from "./harness/client.js";
import { readCacheLookups } from "./harness/metrics.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

describe("thread/read cache", () => {
  let stack: Stack;
  const open = async (tenant: string, gateway = 0) =>
    CodexTestClient.open(`${stack.gateways[gateway]?.url}/`, {
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
      experimentalApi: true,
    });

  before(async () => {
    stack = await startStack("read-cache", {
      gateways: 2,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
  });
  after(async () => stack?.stop());

  test("repeated reads are answered by the gateway; renames are read back at once by every connection of it", async () => {
    const gateway = stack.gateways[0]?.url as string;
    const [writer, reader] = await Promise.all([open("t-cache"), open("t-cache")]);
    const { thread } = await writer.call("thread/start", {});
    const first = await writer.call("thread/read", { threadId: thread.id });
    const hitsBefore = await readCacheLookups(gateway, "hit");
    for (let index = 0; index < 20; index++) {
      assert.deepEqual(await reader.call("thread/read", { threadId: thread.id }), first);
    }
    assert.ok((await readCacheLookups(gateway, "hit")) - hitsBefore >= 20, "the repeated reads were cache hits");

    for (let round = 0; round < 25; round++) {
      const name = `name ${round}`;
      // A read in flight on the other connection while the rename commits must not leave the old name behind.
      const racing = reader.call("thread/read", { threadId: thread.id });
      await writer.call("thread/name/set", { threadId: thread.id, name });
      await racing;
      assert.equal((await writer.call("thread/read", { threadId: thread.id })).thread.name, name, "the writer reads its write");
      assert.equal((await reader.call("thread/read", { threadId: thread.id })).thread.name, name, "so does the reader");
    }
    // Pipelined: the read sent right behind the rename, without waiting for its answer.
    const renamed = writer.call("thread/name/set", { threadId: thread.id, name: "pipelined" });
    const readBehind = writer.call("thread/read", { threadId: thread.id });
    await renamed;
    assert.equal((await readBehind).thread.name, "pipelined");
    await Promise.all([writer.close(), reader.close()]);
  });

  test("lifecycle changes are read back on both gateways after their notification", async () => {
    const [owner, watcher] = await Promise.all([open("t-cache-life", 0), open("t-cache-life", 1)]);
    const { thread } = await owner.call("thread/start", {});
    for (const client of [owner, watcher]) {
      assert.deepEqual((await client.call("thread/read", { threadId: thread.id })).thread.status, { type: "idle" });
    }
    await owner.call("thread/archive", { threadId: thread.id });
    for (const client of [owner, watcher]) {
      await client.waitForNotification((n) => n.method === "thread/archived" && n.params.threadId === thread.id);
      assert.deepEqual((await client.call("thread/read", { threadId: thread.id })).thread.status, { type: "notLoaded" });
    }
    await owner.call("thread/unarchive", { threadId: thread.id });
    await owner.call("thread/resume", { threadId: thread.id });
    await owner.waitForNotification(
      (n) => n.method === "thread/status/changed" && n.params.threadId === thread.id && n.params.status.type === "idle",
    );
    assert.deepEqual((await owner.call("thread/read", { threadId: thread.id })).thread.status, { type: "idle" });
    // The watcher's own write of the thread (on the other gateway) orders its next read after the owner's change.
    await watcher.call("thread/resume", { threadId: thread.id });
    assert.deepEqual((await watcher.call("thread/read", { threadId: thread.id })).thread.status, { type: "idle" });
    await owner.call("thread/delete", { threadId: thread.id });
    await watcher.waitForNotification((n) => n.method === "thread/deleted" && n.params.threadId === thread.id);
    for (const client of [owner, watcher]) {
      assert.equal(
        (await client.request("thread/read", { threadId: thread.id })).error?.message,
        `thread not found: ${thread.id}`,
      );
    }
    await Promise.all([owner.close(), watcher.close()]);
  });

  test("another tenant's read of a cached thread is still refused", async () => {
    const [owner, stranger] = await Promise.all([open("t-cache-own"), open("t-cache-stranger")]);
    const { thread } = await owner.call("thread/start", {});
    await owner.call("thread/read", { threadId: thread.id });
    await owner.call("thread/read", { threadId: thread.id });
    const refused = await stranger.request("thread/read", { threadId: thread.id });
    assert.equal(refused.error?.message, `thread not found: ${thread.id}`);
    await Promise.all([owner.close(), stranger.close()]);
  });

  test("a change is announced once its transaction commits, never for one rolled back; marking outside one is refused", async () => {
    const subjects = busSubjects(stack.infra.busPrefix);
    const heard: string[] = [];
    const subscription = stack.infra.nc.subscribe(subjects.threadChangedWildcard, {
      callback: (_error, msg) => {
        heard.push(msg.subject);
      },
    });
    await stack.infra.nc.flush();
    const changes = ThreadChanges.onBus(stack.infra.nc, subjects);
    const db = new TenantDb(stack.infra.pool);
    const committed = "019a0000-0000-7000-8000-0000000000c1";
    const rolledBack = "019a0000-0000-7000-8000-0000000000c2";
    let heardInside = -1;
    await changes.transaction(db, "t-notice", async (tx) => {
      changes.mark(tx, committed);
      await tx.query("probe", "SELECT 1", []);
      await stack.infra.nc.flush();
      heardInside = heard.length;
    });
    await assert.rejects(
      changes.transaction(db, "t-notice", async (tx) => {
        changes.mark(tx, rolledBack);
        throw new Error("roll back");
      }),
      /roll back/,
    );
    await stack.infra.nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    subscription.unsubscribe();
    assert.equal(heardInside, 0, "nothing is announced before the commit");
    assert.deepEqual(heard, [subjects.threadChanged("t-notice", committed)]);
    await db.transaction("t-notice", async (tx) => {
      assert.throws(() => changes.mark(tx, committed), /outside a transaction that announces it/);
    });
  });
});
