// A read or a thread/start whose thread instance dies with it is asked again of the other instances
// (hedged requests, lane-client.ts). Each scenario adds a second thread instance, stops it (SIGSTOP:
// it keeps its place in the queue group, so it takes about half the requests sent next, and answers
// none), sends a burst of requests, and kills it while they wait. Through a gateway that hedges after
// 600 ms every request is answered soon after that; through one that does not, those the dead
// instance took are answered only at their deadline. A start asked twice makes one thread, announced
// once. A config instance dying under starts and forks: the thread service asks the config service
// again for their config (after 150 ms here). A thread instance that dies between a start's commit and
// its announcement (a failpoint): the second ask announces it. Secret writes under a dying config
// instance. Which methods are asked again is pinned by the protocol test.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { busSubjects } from "@switchyard/protocol";
import { newId } from "@switchyard/runtime";
import { CodexTestClient } from "./harness/client.js";
import { sampleValue, scrape } from "./harness/metrics.js";
import { startGatewayProcess } from "./harness/processes.js";
import { askedUnkeyed } from "./harness/redelivery.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

// Long enough that the live instance answers its share of a burst first even while another suite
// keeps both cores busy (at 300 ms a CI run once saw every read of a burst asked again).
const HEDGE_MS = 600;
const SERVICE_HEDGE_MS = 150;
const DEADLINE_MS = 4_000;
const READS = 24;

interface Timed {
  ok: boolean;
  ms: number;
  error?: string;
  result?: unknown;
}

async function timed(client: CodexTestClient, method: string, params: unknown): Promise<Timed> {
  const startedAt = performance.now();
  const reply = await client.request(method, params);
  return { ok: reply.error === undefined, ms: performance.now() - startedAt, error: reply.error?.message, result: reply.result };
}

describe("hedged requests", () => {
  let stack: Stack;
  let unhedgedUrl: string;
  let threadId: string;

  before(async () => {
    stack = await startStack("hedged_requests", {
      threads: 2,
      gatewayEnv: {
        GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
        GATEWAY_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
        SWITCHYARD_HEDGE_AFTER_MS: String(HEDGE_MS),
      },
      // The thread service asks the config service again sooner than the gateway would ask it.
      threadEnv: { SWITCHYARD_HEDGE_AFTER_MS: String(SERVICE_HEDGE_MS) },
    });
    const unhedged = await startGatewayProcess(
      {
        ...stack.infra.env,
        GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
        GATEWAY_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
        SWITCHYARD_HEDGE_AFTER_MS: "0",
      },
      "gateway-unhedged",
    );
    stack.gateways.push(unhedged);
    unhedgedUrl = `${unhedged.url}/`;
    // A thread with content, while both instances answer.
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const started = await client.request("thread/start", { cwd: "/w" });
    threadId = (started.result as { thread: { id: string } }).thread.id;
    assert.equal((await client.request("thread/name/set", { threadId, name: "hedged" })).error, undefined);
    client.socket.close();
  });

  after(async () => {
    await stack?.stop();
  });

  /**
   * Sends `burst` while a second thread (or config) instance is stopped, then kills that instance
   * under it: after 100 ms, or, with `heldSome`, once it says the stopped instance held some of the
   * burst (at most 1.5 s: requests that reach the service late, as forks' config calls do on a slow
   * machine, could otherwise all arrive after the kill).
   */
  async function withInstanceDyingUnder(
    burst: () => Promise<Timed[]>,
    kind: "thread" | "config" = "thread",
    heldSome?: () => Promise<boolean>,
  ): Promise<Timed[]> {
    const victim = kind === "thread" ? await stack.addThreadService() : await stack.addConfigService();
    victim.child.kill("SIGSTOP");
    const results = burst();
    const killBy = Date.now() + 1_500;
    await new Promise((resolve) => setTimeout(resolve, 100));
    while (heldSome && Date.now() < killBy && !(await heldSome())) await new Promise((resolve) => setTimeout(resolve, 25));
    victim.child.kill("SIGKILL");
    return results;
  }

  test("reads the dead instance took are answered by the other one, soon after the hedge delay", async () => {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const hedgesBefore = await hedgeCount("thread/turns/list");
    // Not thread/read: the gateway's read cache would answer repeats without the bus.
    const results = await withInstanceDyingUnder(() =>
      Promise.all(Array.from({ length: READS }, () => timed(client, "thread/turns/list", { threadId, limit: 5 }))),
    );
    for (const result of results) assert.ok(result.ok, `answered: ${result.error}`);
    const slowest = Math.max(...results.map((result) => result.ms));
    assert.ok(slowest < DEADLINE_MS / 2, `every read answered well before its deadline (slowest ${slowest.toFixed(0)} ms)`);
    const hedged = (await hedgeCount("thread/turns/list")) - hedgesBefore;
    assert.ok(hedged > 0, "the dead instance took some of the reads, and they were asked again");
    assert.ok(hedged < READS, `the others were answered at the first ask (${hedged} of ${READS} asked again)`);
    const lines =
      stack.gateways[0]
        ?.output()
        .split("\n")
        .filter((line) => line.includes("request unanswered; asking again")) ?? [];
    assert.equal(lines.length, hedged, "each ask again is logged");
    client.socket.close();
    assertConformant();
  });

  test("without hedging, the reads the dead instance took wait for their deadline", async () => {
    const client = await CodexTestClient.open(unhedgedUrl, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const results = await withInstanceDyingUnder(() =>
      Promise.all(Array.from({ length: READS }, () => timed(client, "thread/turns/list", { threadId, limit: 5 }))),
    );
    const late = results.filter((result) => !result.ok);
    assert.ok(late.length > 0, "some reads went to the dead instance");
    for (const result of late) {
      assert.match(result.error ?? "", /did not complete within/);
      assert.ok(result.ms >= DEADLINE_MS - 50, `answered at its deadline (${result.ms.toFixed(0)} ms)`);
    }
    client.socket.close();
  });

  test("starts the dead instance took are asked again: each makes one thread, announced once", async () => {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const observer = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "o" }) });
    const hedgesBefore = await hedgeCount("thread/start");
    const ids: string[] = [];
    const results = await withInstanceDyingUnder(() =>
      Promise.all(
        Array.from({ length: 12 }, async () => {
          const startedAt = performance.now();
          const reply = await client.request("thread/start", { cwd: "/w" });
          const id = (reply.result as { thread?: { id: string } } | undefined)?.thread?.id;
          if (id) ids.push(id);
          return {
            ok: reply.error === undefined,
            ms: performance.now() - startedAt,
            error: reply.error?.message,
            result: reply.result,
          };
        }),
      ),
    );
    for (const result of results) assert.ok(result.ok, `answered: ${result.error}`);
    assert.ok(Math.max(...results.map((result) => result.ms)) < DEADLINE_MS / 2, "every start answered well before its deadline");
    assert.ok(
      (await hedgeCount("thread/start")) - hedgesBefore > 0,
      "the dead instance took some starts, and they were asked again",
    );
    assert.equal(new Set(ids).size, 12, "twelve threads");
    for (const id of ids)
      assert.equal((await client.request("thread/read", { threadId: id })).error, undefined, `${id} is stored`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const announced = observer.notifications
      .filter((notification) => notification.method === "thread/started")
      .map((notification) => (notification.params as { thread: { id: string } }).thread.id)
      .filter((id) => ids.includes(id));
    assert.deepEqual([...announced].sort(), [...ids].sort(), "each thread announced once to the tenant's other connection");
    client.socket.close();
    observer.socket.close();
  });

  test("starts whose config the dead config instance was resolving: the thread service asks for it again", async () => {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const hedgesBefore = await threadServiceHedges("internal/config/resolveThread");
    // A cwd of its own per start: no start reuses an earlier answer, so each asks the config service.
    const results = await withInstanceDyingUnder(
      () => Promise.all(Array.from({ length: 12 }, (_, index) => timed(client, "thread/start", { cwd: `/w/config-${index}` }))),
      "config",
    );
    for (const result of results) assert.ok(result.ok, `answered: ${result.error}`);
    assert.ok(Math.max(...results.map((result) => result.ms)) < DEADLINE_MS / 2, "every start answered well before its deadline");
    const hedged = (await threadServiceHedges("internal/config/resolveThread")) - hedgesBefore;
    assert.ok(hedged > 0, "the dead config instance held some starts' config, and the thread service asked again");
    client.socket.close();
  });

  test("forks whose config the dead config instance was resolving are answered too (thread/fork is keyed: never asked again)", async () => {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    // A source of its own per fork (forks of one source take turns on its key), each with content.
    const sources: string[] = [];
    for (let index = 0; index < 12; index++) {
      const { thread } = await client.call<{ thread: { id: string } }>("thread/start", { cwd: `/w/fork-${index}` });
      await client.call("thread/inject_items", {
        threadId: thread.id,
        items: [{ type: "message", role: "user", content: [{ type: "input_text", text: `source ${index}` }] }],
      });
      sources.push(thread.id);
    }
    // A fork asks the config service twice (its source's snapshot copied, then its session settled):
    // which of the two the dying instance holds depends on how fast the forks get there.
    const forkHedges = async () =>
      (await threadServiceHedges("internal/config/forkThread")) + (await threadServiceHedges("internal/config/resolveThread"));
    const hedgesBefore = await forkHedges();
    const results = await withInstanceDyingUnder(
      () => Promise.all(sources.map((source) => timed(client, "thread/fork", { threadId: source }))),
      "config",
      async () => (await forkHedges()) > hedgesBefore,
    );
    for (const result of results) assert.ok(result.ok, `answered: ${result.error}`);
    const slowest = Math.max(...results.map((result) => result.ms));
    assert.ok(slowest < DEADLINE_MS / 2, `every fork answered well before its deadline (slowest ${slowest.toFixed(0)} ms)`);
    assert.ok((await forkHedges()) - hedgesBefore > 0, "some forks' config was asked again");
    // Each answer is a new thread forked from its source, stored with its source's content (the
    // injected message: model history only, so read from the store, not from thread/read).
    for (const [index, result] of results.entries()) {
      const fork = (result.result as { thread: { id: string; forkedFromId: string } }).thread;
      assert.equal(fork.forkedFromId, sources[index]);
      const stored = await stack.infra.pool.query<{ text: string }>(
        "SELECT response_item->'content'->0->>'text' AS text FROM thread.items WHERE thread_id = $1",
        [fork.id],
      );
      assert.deepEqual(
        stored.rows.map((row) => row.text),
        [`source ${index}`],
        "the fork holds its source's content",
      );
    }
    client.socket.close();
  });

  test("lockfile exports the dead config instance took are asked again: each saves and answers the same lockfile", async () => {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const hedgesBefore = await hedgeCount("switchyard/configLock/export", "config");
    const results = await withInstanceDyingUnder(
      () => Promise.all(Array.from({ length: 12 }, () => timed(client, "switchyard/configLock/export", { threadId }))),
      "config",
    );
    for (const result of results) assert.ok(result.ok, `answered: ${result.error}`);
    const slowest = Math.max(...results.map((result) => result.ms));
    assert.ok(slowest < DEADLINE_MS / 2, `every export answered well before its deadline (slowest ${slowest.toFixed(0)} ms)`);
    assert.ok((await hedgeCount("switchyard/configLock/export", "config")) - hedgesBefore > 0, "some were asked again");
    const answers = new Set(results.map((result) => JSON.stringify(result.result)));
    assert.equal(answers.size, 1, "every ask answers the same lockfile");
    client.socket.close();
  });

  test("a start asked twice (the first ask answered, the second late) answers the same thread; the tenant hears of it once", async () => {
    const observer = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "o" }) });
    const threadId = newId();
    // What the bus carries for the tenant: both asks announce the thread (the first may have died before it could).
    const onBus: string[] = [];
    const tap = stack.infra.nc.subscribe(busSubjects(stack.infra.busPrefix).tenantEvents("t-hedge"), {
      callback: (_error, msg) => {
        if (msg.string().includes(threadId)) onBus.push(msg.string());
      },
    });
    const ask = () =>
      askedUnkeyed(stack, {
        commandId: `twice-${threadId}`,
        method: "thread/start",
        params: { cwd: "/w" },
        caller: { tenant: "t-hedge", subject: "u" },
        extra: { newThreadId: threadId },
      });
    const first = await ask();
    const second = await ask();
    assert.ok(first.ok && second.ok, JSON.stringify({ first, second }));
    const threadOf = (outcome: typeof first) => (outcome.ok ? (outcome.result as { thread: { id: string } }).thread : undefined);
    assert.equal(threadOf(first)?.id, threadId);
    assert.deepEqual(threadOf(second), threadOf(first), "the second ask answers the thread the first made");
    await new Promise((resolve) => setTimeout(resolve, 300));
    tap.unsubscribe();
    assert.equal(onBus.length, 2, "each ask announced the thread on the bus");
    const announced = observer.notifications.filter(
      (notification) =>
        notification.method === "thread/started" && (notification.params as { thread: { id: string } }).thread.id === threadId,
    );
    assert.equal(announced.length, 1, "the gateway passed on one of them");
    observer.socket.close();
  });

  test("a start whose instance died between its commit and its announcement is announced by the second ask, once", async () => {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const observer = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "o" }) });
    // An instance that kills itself right after committing a start, before announcing it.
    const armed = await stack.addThreadService({ SWITCHYARD_FAILPOINTS: "thread.start.committed" });
    assert.match(armed.output(), /failpoints armed/);
    const isAlive = () => armed.child.exitCode === null && armed.child.signalCode === null;
    const ids: string[] = [];
    // Starts one at a time until the armed instance has taken one (it is one of three in the group).
    for (let attempt = 0; attempt < 40 && isAlive(); attempt++) {
      const { thread } = await client.call<{ thread: { id: string } }>("thread/start", { cwd: "/w" });
      ids.push(thread.id);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(armed.child.signalCode, "SIGKILL", "the armed instance took a start and died at the failpoint");
    const announced = observer.notifications
      .filter((notification) => notification.method === "thread/started")
      .map((notification) => (notification.params as { thread: { id: string } }).thread.id)
      .filter((id) => ids.includes(id));
    assert.deepEqual(announced.sort(), [...ids].sort(), "every thread announced, once, the dead instance's too");
    for (const id of ids)
      assert.equal((await client.request("thread/read", { threadId: id })).error, undefined, `${id} is stored`);
    client.socket.close();
    observer.socket.close();
  });

  test("secret writes the dead config instance took are asked again: each answers as if asked once", async () => {
    const orchestrator = await CodexTestClient.open(stack.url, {
      token: await hs256Token({ tenant: "t-hedge-secrets", sub: "orch", roles: ["orchestrator"] }),
    });
    const names = Array.from({ length: 12 }, (_, index) => `HEDGED_KEY_${index}`);
    const setsBefore = await hedgeCount("switchyard/secret/set", "config");
    const sets = await withInstanceDyingUnder(
      () => Promise.all(names.map((name) => timed(orchestrator, "switchyard/secret/set", { name, value: `value of ${name}` }))),
      "config",
    );
    for (const result of sets) assert.ok(result.ok, `answered: ${result.error}`);
    const slowestSet = Math.max(...sets.map((result) => result.ms));
    assert.ok(slowestSet < DEADLINE_MS / 2, `every set answered well before its deadline (slowest ${slowestSet.toFixed(0)} ms)`);
    assert.ok((await hedgeCount("switchyard/secret/set", "config")) - setsBefore > 0, "some sets were asked again");
    const listed = await orchestrator.call<{ data: { name: string; updatedAt: string }[] }>("switchyard/secret/list", {});
    assert.deepEqual(
      listed.data.map((entry) => [entry.name, entry.updatedAt]).sort(),
      sets.map((result) => [(result.result as { name: string }).name, (result.result as { updatedAt: string }).updatedAt]).sort(),
      "each secret stored once, as its answer says",
    );

    const deletesBefore = await hedgeCount("switchyard/secret/delete", "config");
    const deletes = await withInstanceDyingUnder(
      () => Promise.all(names.map((name) => timed(orchestrator, "switchyard/secret/delete", { name }))),
      "config",
    );
    for (const result of deletes) assert.deepEqual(result.result, { deleted: true }, `answered: ${result.error}`);
    assert.ok(
      Math.max(...deletes.map((result) => result.ms)) < DEADLINE_MS / 2,
      "every delete answered well before its deadline",
    );
    assert.ok((await hedgeCount("switchyard/secret/delete", "config")) - deletesBefore > 0, "some deletes were asked again");
    assert.deepEqual((await orchestrator.call<{ data: unknown[] }>("switchyard/secret/list", {})).data, []);
    orchestrator.socket.close();
  });

  /** Asks again of the config service by every thread instance alive, for `method`. */
  async function threadServiceHedges(method: string): Promise<number> {
    let total = 0;
    for (const instance of stack.threads) {
      if (instance.child.exitCode !== null || instance.child.signalCode !== null) continue;
      total +=
        sampleValue(await scrape(`${instance.healthUrl}/metrics`), "switchyard_request_hedges_total", {
          service: "config",
          method,
        }) ?? 0;
    }
    return total;
  }

  async function hedgeCount(method: string, service = "thread"): Promise<number> {
    const url = `${(stack.gateways[0]?.url ?? "").replace(/^ws/, "http")}/metrics`;
    return sampleValue(await scrape(url), "switchyard_request_hedges_total", { service, method }) ?? 0;
  }
});
