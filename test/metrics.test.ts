// Metrics end to end: requests through a real gateway and thread service move the Prometheus
// counters on both (scraped from the gateway's port and the thread service's health port), the
// keyed lane reports a depth per partition and the connections gauge follows the open sockets.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { sampleValue, scrape } from "./harness/metrics.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

describe("metrics", () => {
  let stack: Stack;
  let gatewayMetrics: string;
  let threadMetrics: string;
  const open = async (tenant: string) =>
    CodexTestClient.open(stack.url, { token: await hs256Token({ tenant, sub: "user" }), experimentalApi: true });

  before(async () => {
    stack = await startStack("metrics", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
    gatewayMetrics = `${(stack.gateways[0]?.url ?? "").replace(/^ws/, "http")}/metrics`;
    threadMetrics = `${stack.threads[0]?.healthUrl.replace(/\/$/, "")}/metrics`;
  });
  after(async () => stack?.stop());

  test("requests are counted by method and outcome on the gateway and the thread service", async () => {
    const client = await open("t-metrics");
    const started = await client.call("thread/start", { cwd: "/work/repo" });
    await client.call("thread/read", { threadId: started.thread.id });
    const invalid = await client.request("thread/read", { threadId: 42 });
    assert.ok(invalid.error, "a thread/read with a numeric threadId is refused");
    const unknown = await client.request("no/suchMethod", {});
    assert.ok(unknown.error, "an unknown method is refused");

    const gateway = await scrape(gatewayMetrics);
    const counted = (method: string, outcome: string) =>
      sampleValue(gateway, "switchyard_requests_total", { service: "gateway", method, outcome }) ?? 0;
    assert.ok(counted("initialize", "ok") >= 1, "initialize counted");
    assert.equal(counted("thread/start", "ok"), 1);
    assert.equal(counted("thread/read", "ok"), 1);
    assert.equal(counted("thread/read", "invalid_request"), 1);
    assert.equal(counted("unknown", "invalid_request"), 1, "an unknown method is counted as `unknown`");
    assert.equal(
      gateway.filter((sample) => sample.labels.method === "no/suchMethod").length,
      0,
      "a method the registry does not know never becomes a label",
    );
    assert.equal(
      sampleValue(gateway, "switchyard_request_duration_seconds_count", {
        service: "gateway",
        method: "thread/start",
        outcome: "ok",
      }),
      1,
      "the latency histogram saw thread/start",
    );

    const thread = await scrape(threadMetrics);
    const handled = (method: string, outcome: string) =>
      sampleValue(thread, "switchyard_requests_total", { service: "thread", method, outcome }) ?? 0;
    assert.equal(handled("thread/start", "ok"), 1, "the thread service counted the thread/start it handled");
    assert.equal(handled("thread/read", "ok"), 1);
    assert.equal(handled("thread/read", "invalid_request"), 0, "the gateway refused the invalid read before the bus");
    assert.equal(sampleValue(thread, "switchyard_turns_running", {}), 0, "no turn is running");
    assert.equal(sampleValue(thread, "switchyard_db_waiting", { of: "statements" }), 0, "no statement waits for a connection");
    assert.equal(sampleValue(thread, "switchyard_db_waiting", { of: "tenants" }), 0);
    await client.close();
  });

  test("the keyed lane reports depth and oldest age for every partition", async () => {
    const thread = await scrape(threadMetrics);
    const depths = thread.filter((sample) => sample.name === "switchyard_keyed_lane_depth" && sample.labels.service === "thread");
    assert.deepEqual(
      depths.map((sample) => Number(sample.labels.partition)).sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, partition) => partition),
      "one depth series per partition",
    );
    for (const sample of depths) assert.ok(sample.value >= 0 && Number.isInteger(sample.value));
    const ages = thread.filter((sample) => sample.name === "switchyard_keyed_lane_oldest_age_seconds");
    assert.equal(ages.length, 16, "one oldest-age series per partition");
  });

  test("the connections gauge follows the open client sessions", async () => {
    const clientsNow = async () => sampleValue(await scrape(gatewayMetrics), "switchyard_connections", { kind: "client" });
    /** Closing is seen by the gateway a moment after the client's close resolves. */
    const expectClients = async (expected: number, message: string) => {
      const deadline = Date.now() + 5_000;
      let count = await clientsNow();
      while (count !== expected && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        count = await clientsNow();
      }
      assert.equal(count, expected, message);
    };
    await expectClients(0, "no session is open");
    const first = await open("t-metrics-a");
    const second = await open("t-metrics-b");
    assert.equal(await clientsNow(), 2, "both sessions are counted");
    await first.close();
    await expectClients(1, "the closed session is no longer counted");
    assert.equal(sampleValue(await scrape(gatewayMetrics), "switchyard_connections", { kind: "relayed" }), 0);
    await second.close();
  });
});
