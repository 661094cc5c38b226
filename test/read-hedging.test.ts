// A read whose thread instance dies with it is asked again of the other instances (hedged reads,
// lane-client.ts). Each scenario adds a second thread instance, stops it (SIGSTOP: it keeps its
// place in the queue group, so it takes about half the requests sent next, and answers none), sends
// a burst of requests, and kills it while they wait. Through a gateway that hedges after 300 ms every
// read is answered soon after that; through one that does not, the reads the dead instance took are
// answered only at their deadline. A write is never asked again: a thread/start the dead instance
// took is answered at its deadline, "it may still be applied".
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { sampleValue, scrape } from "./harness/metrics.js";
import { startGatewayProcess } from "./harness/processes.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const HEDGE_MS = 300;
const DEADLINE_MS = 4_000;
const READS = 24;

interface Timed {
  ok: boolean;
  ms: number;
  error?: string;
}

async function timed(client: CodexTestClient, method: string, params: unknown): Promise<Timed> {
  const startedAt = performance.now();
  const reply = await client.request(method, params);
  return { ok: reply.error === undefined, ms: performance.now() - startedAt, error: reply.error?.message };
}

describe("hedged reads", () => {
  let stack: Stack;
  let unhedgedUrl: string;
  let threadId: string;

  before(async () => {
    stack = await startStack("read_hedging", {
      threads: 2,
      gatewayEnv: {
        GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
        GATEWAY_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
        SWITCHYARD_READ_HEDGE_MS: String(HEDGE_MS),
      },
    });
    const unhedged = await startGatewayProcess(
      {
        ...stack.infra.env,
        GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
        GATEWAY_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
        SWITCHYARD_READ_HEDGE_MS: "0",
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

  /** Sends `burst` while a second thread instance is stopped, then kills that instance under it. */
  async function withInstanceDyingUnder(burst: () => Promise<Timed[]>): Promise<Timed[]> {
    const victim = await stack.addThreadService();
    victim.child.kill("SIGSTOP");
    const results = burst();
    await new Promise((resolve) => setTimeout(resolve, 100));
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
    assert.ok(hedged < READS, "the others were answered at the first ask");
    const lines =
      stack.gateways[0]
        ?.output()
        .split("\n")
        .filter((line) => line.includes("read unanswered; asking again")) ?? [];
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

  test("a write is not asked again: starts the dead instance took are answered at their deadline", async () => {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "t-hedge", sub: "u" }) });
    const hedgesBefore = await hedgeCount("thread/start");
    const results = await withInstanceDyingUnder(() =>
      Promise.all(Array.from({ length: 12 }, () => timed(client, "thread/start", { cwd: "/w" }))),
    );
    const late = results.filter((result) => !result.ok);
    assert.ok(late.length > 0, "some starts went to the dead instance");
    assert.equal(await hedgeCount("thread/start"), hedgesBefore, "no start was asked again");
    for (const result of late) assert.match(result.error ?? "", /did not complete within .*it may still be applied/);
    assert.ok(
      results.some((result) => result.ok),
      "the running instance answered the others",
    );
    client.socket.close();
  });

  async function hedgeCount(method: string): Promise<number> {
    const url = `${(stack.gateways[0]?.url ?? "").replace(/^ws/, "http")}/metrics`;
    return sampleValue(await scrape(url), "switchyard_read_hedges_total", { service: "thread", method }) ?? 0;
  }
});
