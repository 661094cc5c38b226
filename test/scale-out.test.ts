// The scale-out layout: a 3-node NATS cluster with JetStream on loopback (keyed-lane streams kept
// on 3 nodes), 2 gateways, 3 thread and 2 config instances. Per-key order, no lost or doubled
// writes and notification fan-out to both gateways hold — also while one NATS node is killed.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { type NatsCluster, startNatsCluster } from "../packages/cli/src/infra/nats-cluster.js";
import { CodexTestClient, type RpcReply, recordSomething } from "./harness/client.js";
import { freePort } from "./harness/ports.js";
import { type Stack, startStack } from "./harness/stack.js";
import { appliedWrites, orderViolations, writeName } from "./harness/writes.js";

const NATS_SERVER = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find(existsSync);
const replicated = { SWITCHYARD_JETSTREAM_REPLICAS: "3", SWITCHYARD_KEYED_ACK_WAIT_MS: "2000" };

describe("scale-out: a 3-node NATS cluster, 2 gateways, 3 thread and 2 config instances", () => {
  let cluster: NatsCluster;
  let stack: Stack;
  let storeRoot: string;
  const clients: CodexTestClient[] = [];
  const open = async (gateway: number) => {
    const client = await CodexTestClient.open(`${stack.gateways[gateway]?.url}/`);
    clients.push(client);
    return client;
  };

  before(async () => {
    assert.ok(NATS_SERVER, "nats-server is installed");
    storeRoot = mkdtempSync(join(tmpdir(), "sy-nats-cluster-"));
    const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    cluster = await startNatsCluster({
      binary: NATS_SERVER,
      size: 3,
      clientPorts: ports.slice(0, 3),
      clusterPorts: ports.slice(3),
      storeRoot,
    });
    await cluster.waitForJetStream();
    stack = await startStack("scale_out", {
      infraUrls: { nats: cluster.url },
      gateways: 2,
      threads: 3,
      configs: 2,
      threadEnv: replicated,
      configEnv: replicated,
      gatewayEnv: { GATEWAY_REQUEST_TIMEOUT_MS: "20000" },
    });
  });
  after(async () => {
    // Every step runs whatever the one before it did: a cluster left running would keep this file's
    // process (and the suite) from ever exiting.
    try {
      await Promise.all(clients.map((client) => client.close().catch(() => 0)));
      await stack?.stop();
    } finally {
      await cluster?.stop();
      if (storeRoot) rmSync(storeRoot, { recursive: true, force: true });
    }
  });

  /** Pipelined renames from writers spread over both gateways; every reply, with its name. */
  async function writeRound(round: string, threadIds: string[], perWriter: number, midway?: () => Promise<void>) {
    const writers = await Promise.all([0, 1, 0, 1].map((gateway) => open(gateway)));
    const sent: { name: string; threadId: string; reply: Promise<RpcReply> }[] = [];
    let midwayDone: Promise<void> | undefined;
    await Promise.all(
      writers.map(async (writer, index) => {
        const threadId = threadIds[index % threadIds.length] as string;
        for (let sequence = 0; sequence < perWriter; sequence++) {
          const name = writeName(`${round}-w${index}`, sequence);
          sent.push({ name, threadId, reply: writer.request("thread/name/set", { threadId, name }) });
          if (index === 0 && sequence === Math.floor(perWriter / 2) && midway) midwayDone = midway();
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }),
    );
    await midwayDone;
    return Promise.all(sent.map(async (write) => ({ ...write, answer: await write.reply })));
  }

  async function assertExactlyOnceInOrder(round: string, replies: { name: string; answer: RpcReply }[]) {
    const applied = (await appliedWrites(stack.infra.pool)).filter((write) => write.name.startsWith(`${round}-`));
    const counts = new Map<string, number>();
    for (const write of applied) counts.set(write.name, (counts.get(write.name) ?? 0) + 1);
    for (const { name, answer } of replies) {
      if (answer.result !== undefined) assert.equal(counts.get(name), 1, `acknowledged ${name} applied exactly once`);
      else assert.ok(answer.error?.code, `${name} was answered with an error code`);
    }
    for (const [name, count] of counts) assert.equal(count, 1, `${name} applied ${count} times`);
    assert.deepEqual(orderViolations(applied), [], "per-writer order on every thread");
    return { acknowledged: replies.filter((entry) => entry.answer.result !== undefined).length, applied: counts.size };
  }

  /** The distinct error messages among the replies, with how many of each. */
  function errorSummary(replies: { answer: RpcReply }[]) {
    const counts = new Map<string, number>();
    for (const { answer } of replies) {
      if (answer.error) counts.set(answer.error.message, (counts.get(answer.error.message) ?? 0) + 1);
    }
    return JSON.stringify([...counts]);
  }

  /** Both gateways' subscribers heard every acknowledged rename of the watched thread. */
  async function assertFanOut(
    watchers: CodexTestClient[],
    threadId: string,
    replies: { name: string; threadId: string; answer: RpcReply }[],
  ) {
    const expected = replies
      .filter((entry) => entry.threadId === threadId && entry.answer.result !== undefined)
      .map((entry) => entry.name);
    assert.ok(expected.length > 0, "the watched thread was renamed");
    for (const watcher of watchers) {
      const last = expected.at(-1);
      await watcher.waitForNotification((n) => n.method === "thread/name/updated" && n.params.threadName === last, 10_000);
      const heard = new Set(
        watcher.notifications
          .filter((n) => n.method === "thread/name/updated" && n.params.threadId === threadId)
          .map((n) => n.params.threadName),
      );
      assert.deepEqual(
        expected.filter((name) => !heard.has(name)),
        [],
        "every acknowledged rename reached this gateway's subscriber",
      );
    }
  }

  test("keyed-lane streams are kept on 3 nodes", async () => {
    const jsm = await jetstreamManager(stack.infra.nc);
    for await (const stream of jsm.streams.list()) {
      if (!stream.config.name.startsWith(`${stack.infra.busPrefix.toUpperCase()}_`)) continue;
      assert.equal(stream.config.num_replicas, 3, `${stream.config.name} has 3 replicas`);
      assert.equal(stream.cluster?.replicas?.length, 2, `${stream.config.name} has a leader and 2 followers`);
    }
  });

  test("per-key order, exactly once and fan-out to both gateways; the same with one NATS node killed", async () => {
    const owner = await open(0);
    const threadIds: string[] = [];
    for (let index = 0; index < 4; index++) threadIds.push((await owner.call("thread/start", {})).thread.id);
    const watchers = [await open(0), await open(1)];
    await recordSomething(owner, threadIds[0] as string);
    for (const watcher of watchers) await watcher.call("thread/resume", { threadId: threadIds[0] });

    const calm = await writeRound("calm", threadIds, 30);
    const calmCounts = await assertExactlyOnceInOrder("calm", calm);
    assert.equal(
      calmCounts.acknowledged,
      calm.length,
      `with every node up, every write is acknowledged; errors: ${errorSummary(calm)}`,
    );
    await assertFanOut(watchers, threadIds[0] as string, calm);

    const victim = cluster.nodes[0];
    assert.ok(victim);
    const stormy = await writeRound("node-killed", threadIds, 40, () => victim.kill());
    const stormyCounts = await assertExactlyOnceInOrder("node-killed", stormy);
    assert.ok(stormyCounts.acknowledged > 0, "writes were acknowledged while a node was down");
    console.log(`node killed: ${stormyCounts.acknowledged} of ${stormy.length} acknowledged; errors: ${errorSummary(stormy)}`);

    // Two nodes keep the cluster (and every stream) serving; fan-out works through them.
    const after = await writeRound("after-kill", threadIds, 20);
    const afterCounts = await assertExactlyOnceInOrder("after-kill", after);
    assert.equal(
      afterCounts.acknowledged,
      after.length,
      `with two of three nodes, every write is acknowledged; errors: ${errorSummary(after)}`,
    );
    await assertFanOut(watchers, threadIds[0] as string, after);
    // The node rejoins; the test ends once JetStream answers through the whole cluster again, so the
    // clean-up's stream deletions do not meet a cluster still settling.
    await victim.start();
    await cluster.waitForJetStream();
  });
});
