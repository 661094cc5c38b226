// The gateway's read cache against the real thread and config services, NATS and Postgres: repeated
// reads are answered by the gateway, and every change the thread service commits is read back at
// once — by the connection that made it, by another connection of the same gateway, and after the
// notification that announced it — on two gateways, with tenants kept apart. The change notices
// themselves: published once a transaction commits, never for one rolled back, and marking a change
// outside an announcing transaction is refused. config/read likewise: a config write is read back at
// once on both gateways, an operator's import (no bus) through the database's notification relay,
// and a relay that lost its database connection makes every gateway start its config answers over.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { busSubjects } from "@switchyard/protocol";
import { TenantDb } from "@switchyard/runtime";
import type { ConfigAdmin } from "../services/config/src/admin.js";
import { ConfigStore } from "../services/config/src/store/config-store.js";
import { ThreadChanges } from "../services/thread/src/store/thread-changes.js";
import { CodexTestClient } from "./harness/client.js";
import { readCacheLookups } from "./harness/metrics.js";
import { openStackConfigAdmin, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

describe("thread/read cache", () => {
  let stack: Stack;
  const open = async (tenant: string, gateway = 0, subject = `${tenant}-user`) =>
    CodexTestClient.open(`${stack.gateways[gateway]?.url}/`, {
      token: await hs256Token({ tenant, sub: subject }),
      experimentalApi: true,
    });
  /** Reads config until `isDone` holds for its answer (a change made outside the bus arrives by relay). */
  const readConfigUntil = async (
    client: CodexTestClient,
    params: object,
    isDone: (read: { config: Record<string, unknown> }) => boolean,
  ) => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const read = await client.call("config/read", params);
      if (isDone(read)) return read;
      assert.ok(Date.now() < deadline, `config/read still answers ${JSON.stringify(read.config)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  before(async () => {
    stack = await startStack("read-cache", {
      gateways: 2,
      configs: 2,
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

  test("renames committed together (one statement, one notice, notifications batched) are each read back and announced once", async () => {
    const [writer, reader] = await Promise.all([open("t-cache-batch"), open("t-cache-batch", 1)]);
    const threads = await Promise.all(Array.from({ length: 8 }, () => writer.call("thread/start", {})));
    const ids = threads.map(({ thread }) => thread.id as string);
    for (const client of [writer, reader]) await Promise.all(ids.map((threadId) => client.call("thread/read", { threadId })));
    for (let round = 0; round < 5; round++) {
      // Sent together, they reach the thread service together and are written by one statement.
      await Promise.all(ids.map((threadId, index) => writer.call("thread/name/set", { threadId, name: `r${round}-${index}` })));
      for (const client of [writer, reader]) {
        const names = await Promise.all(
          ids.map(async (threadId) => (await client.call("thread/read", { threadId })).thread.name),
        );
        assert.deepEqual(
          names,
          ids.map((_, index) => `r${round}-${index}`),
        );
      }
    }
    // Their notifications, emitted together and sent on the bus together, reached both connections
    // once each, every thread's in rename order.
    for (const client of [writer, reader]) {
      for (const [index, threadId] of ids.entries()) {
        await client.waitForNotification((n) => n.method === "thread/name/updated" && n.params.threadName === `r4-${index}`);
        const ofThread = client.notifications
          .filter((n) => n.method === "thread/name/updated" && n.params.threadId === threadId)
          .map((n) => n.params.threadName);
        assert.deepEqual(
          ofThread,
          Array.from({ length: 5 }, (_, round) => `r${round}-${index}`),
        );
      }
    }
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
        `thread not loaded: ${thread.id}`,
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
    assert.equal(refused.error?.message, `thread not loaded: ${thread.id}`);
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

  test("config/read: repeated reads are answered by the gateway; writes are read back at once on both gateways", async () => {
    const gateway = stack.gateways[0]?.url as string;
    const [writer, sameGateway, otherGateway, otherUser] = await Promise.all([
      open("t-cfg-cache", 0, "ann"),
      open("t-cfg-cache", 0, "ann"),
      open("t-cfg-cache", 1, "ann"),
      open("t-cfg-cache", 0, "bob"),
    ]);
    const first = await sameGateway.call("config/read", {});
    const hitsBefore = await readCacheLookups(gateway, "hit", "config/read");
    for (let index = 0; index < 20; index++) assert.deepEqual(await sameGateway.call("config/read", {}), first);
    assert.ok((await readCacheLookups(gateway, "hit", "config/read")) - hitsBefore >= 20, "the repeated reads were cache hits");
    await otherUser.call("config/read", {});

    for (let round = 0; round < 15; round++) {
      const model = `model-${round}`;
      // Reads in flight on the other connections while the write commits must not leave the old value behind.
      const racing = [sameGateway, otherGateway].map((client) => client.call("config/read", { includeLayers: true }));
      await writer.call("config/value/write", { keyPath: "model", value: model, mergeStrategy: "replace" });
      await Promise.all(racing);
      for (const client of [writer, sameGateway, otherGateway]) {
        assert.equal((await client.call("config/read", {})).config.model, model, "every connection reads the write");
        assert.equal((await client.call("config/read", { includeLayers: true })).config.model, model);
      }
    }
    // Pipelined: the read sent right behind the write, without waiting for its answer.
    const written = writer.call("config/value/write", { keyPath: "model", value: "pipelined", mergeStrategy: "replace" });
    const readBehind = writer.call("config/read", {});
    await written;
    assert.equal((await readBehind).config.model, "pipelined");
    // Another user of the tenant keeps their own answer (the user layer is ann's).
    assert.notEqual((await otherUser.call("config/read", {})).config.model, "pipelined");
    // Another tenant never shares an entry.
    const stranger = await open("t-cfg-cache-other", 0, "ann");
    assert.notEqual((await stranger.call("config/read", {})).config.model, "pipelined");
    await Promise.all([writer, sameGateway, otherGateway, otherUser, stranger].map((client) => client.close()));
  });

  test("config/read: an operator's import (no bus) reaches both gateways through the database's notifications", async () => {
    const admin: ConfigAdmin = await openStackConfigAdmin(stack);
    try {
      const clients = await Promise.all([open("t-cfg-admin", 0, "ann"), open("t-cfg-admin", 1, "ann")]);
      for (const client of clients) {
        await client.call("config/read", {});
        await client.call("config/read", {});
      }
      for (const model of ["imported-1", "imported-2"]) {
        await admin.importDocument({ tenant: "t-cfg-admin", target: "system", text: `model = "${model}"\n` });
        for (const client of clients) await readConfigUntil(client, {}, (read) => read.config.model === model);
      }
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      await admin.close();
    }
  });

  test("config/read: a relay that lost its database connection makes every gateway drop its config answers", async () => {
    const gateway = stack.gateways[0]?.url as string;
    const client = await open("t-cfg-reset", 0, "ann");
    await client.call("config/read", {});
    await client.call("config/read", {});
    const before = await readCacheLookups(gateway, "invalidation", "config/read");
    const killed = await stack.infra.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE '%-config-changes' AND datname = current_database()",
    );
    assert.ok(killed.rowCount && killed.rowCount >= 2, "both config instances' listeners were cut");
    const deadline = Date.now() + 10_000;
    while ((await readCacheLookups(gateway, "invalidation", "config/read")) - before < 2) {
      assert.ok(Date.now() < deadline, "each listener announced a reset once it listened again");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const misses = await readCacheLookups(gateway, "miss", "config/read");
    await client.call("config/read", {});
    assert.equal((await readCacheLookups(gateway, "miss", "config/read")) - misses, 1, "the next read went to the service");
    // And the relay works again: an import is read back.
    const admin = await openStackConfigAdmin(stack);
    try {
      await admin.importDocument({ tenant: "t-cfg-reset", target: "system", text: 'model = "after-reset"\n' });
      await readConfigUntil(client, {}, (read) => read.config.model === "after-reset");
    } finally {
      await admin.close();
    }
    await client.close();
  });

  test("config/read: a config service write is announced once it commits and before it answers, never when rolled back", async () => {
    const db = new TenantDb(stack.infra.pool);
    const events: string[] = [];
    const store = new ConfigStore(db, (tenant) => events.push(`announce ${tenant}`));
    const generation = () => store.generation("t-cfg-notice");
    const before = Number(await generation());
    await store.applyOnce("t-cfg-notice", { commandId: "cmd-commit", method: "config/value/write" }, async () => {
      events.push("apply");
      return {};
    });
    events.push("answered");
    assert.deepEqual(events, ["apply", "announce t-cfg-notice", "answered"]);
    assert.equal(Number(await generation()), before + 1, "the announced write bumped the generation");
    // A redelivered command is announced again (its first delivery may have died before announcing).
    await store.applyOnce("t-cfg-notice", { commandId: "cmd-commit", method: "config/value/write" }, async () => ({}));
    assert.equal(events.filter((event) => event.startsWith("announce")).length, 2);
    await assert.rejects(
      store.applyOnce("t-cfg-notice", { commandId: "cmd-rollback", method: "config/value/write" }, async () => {
        throw new Error("roll back");
      }),
      /roll back/,
    );
    assert.equal(events.filter((event) => event.startsWith("announce")).length, 2, "a rolled-back write is not announced");
    assert.equal(Number(await generation()), before + 1);
  });
});
