// Limits per tenant and per token, kept in Redis: request rate (-32001 with the limit in `data`, the
// connection stays usable), shared by every gateway, per-token buckets apart from the tenant's,
// concurrent connections (429 at the upgrade), per-tenant overrides, and Redis down (local bounds,
// said once in the log). Real Redis, real gateways; a private redis-server for the outage.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import WebSocket from "ws";
import { CodexTestClient, type RpcReply } from "./harness/client.js";
import { sampleValue, scrape } from "./harness/metrics.js";
import { type PrivateRedis, startPrivateRedis } from "./harness/private-redis.js";
import { runGatewayExpectingExit, type ServiceProcess, startGatewayProcess } from "./harness/processes.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

/**
 * Tenants without an override get 2 requests/s, bursts of 5. A limit command may take up to 2 s
 * before the gateway counts Redis as unavailable (100 ms by default): these suites check the shared
 * buckets, and a busy machine (suites run side by side) must not switch a gateway to its local bounds
 * mid-test. Falling back is checked below with Redis killed.
 */
const DEFAULT_LIMITS = {
  GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
  GATEWAY_LIMIT_REDIS_TIMEOUT_MS: "2000",
  GATEWAY_LIMIT_REQUESTS_PER_S: "2",
  GATEWAY_LIMIT_REQUEST_BURST: "5",
  GATEWAY_LIMIT_TOKEN_REQUESTS_PER_S: "1000",
  GATEWAY_LIMIT_TOKEN_REQUEST_BURST: "1000",
};
/** Slow refills (one request per 5 s) where a test must not see a token come back mid-way. */
const TENANT_LIMITS = {
  "rate-shared": { requestsPerS: 0.2, requestBurst: 5 },
  "rate-paced": { requestsPerS: 0.2, requestBurst: 5 },
  tokens: { requestsPerS: 1000, requestBurst: 1000, tokenRequestsPerS: 0.2, tokenRequestBurst: 3 },
  big: { requestBurst: 30, requestsPerS: 0.2 },
  small: { requestsPerS: 0.2 },
  conns: { connections: 2 },
  "conn-token": { tokenConnections: 1 },
  outage: { requestsPerS: 0.2, requestBurst: 5 },
  batched: { requestsPerS: 10, requestBurst: 2000, tokenRequestsPerS: 10, tokenRequestBurst: 2000 },
  crowd: { requestsPerS: 10, requestBurst: 2000, tokenRequestsPerS: 10, tokenRequestBurst: 2000 },
};
const DEGRADED_LINE = "rate limits degraded: Redis unavailable; enforcing local per-gateway bounds";

const open = async (url: string, tenant: string, sub: string) =>
  CodexTestClient.open(url, { token: await hs256Token({ tenant, sub }) });

/** `count` pipelined thread/list requests; the replies, in order. */
const flood = (client: CodexTestClient, count: number) =>
  Promise.all(Array.from({ length: count }, () => client.request("thread/list", { limit: 1 })));

const limited = (replies: RpcReply[]) => replies.filter((reply) => reply.error?.code === -32001);
const served = (replies: RpcReply[]) => replies.filter((reply) => reply.result !== undefined);

/** An upgrade attempt's status, Retry-After and body (the harness's attemptUpgrade drops headers). */
function upgrade(url: string, token: string): Promise<{ status: number; retryAfter?: string; body: string; socket?: WebSocket }> {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve({ status: 101, body: "", socket }));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers["retry-after"], body }));
    });
    socket.once("error", reject);
  });
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("limits per tenant and per token", () => {
  let stack: Stack;
  let urls: string[];
  const clients: CodexTestClient[] = [];
  const track = (client: CodexTestClient) => {
    clients.push(client);
    return client;
  };

  before(async () => {
    stack = await startStack("limits", {
      gateways: 2,
      gatewayEnv: { ...DEFAULT_LIMITS, GATEWAY_TENANT_LIMITS: JSON.stringify(TENANT_LIMITS) },
    });
    urls = stack.gateways.map((gateway) => `${gateway.url}/`);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await stack?.stop();
  });

  test("over the tenant's request rate: -32001 with the limit in data; the connection works again after the wait", async () => {
    const client = track(await open(urls[0] as string, "rate-one", "alice"));
    const replies = await flood(client, 10); // initialize took 1 of the burst of 5
    const refused = limited(replies);
    assert.ok(served(replies).length >= 4 && served(replies).length <= 5, `served ${served(replies).length}`);
    assert.equal(refused.length + served(replies).length, 10, "every request is answered, served or limited");
    const error = refused[0]?.error;
    assert.equal(error?.message, "Server overloaded; retry later.");
    const data = error?.data as { reason: string; scope: string; limit: number; burst: number; retryAfterMs: number };
    assert.deepEqual(
      { ...data, retryAfterMs: 0 },
      { reason: "rateLimited", scope: "tenant", limit: 2, burst: 5, retryAfterMs: 0 },
    );
    assert.ok(data.retryAfterMs > 0 && data.retryAfterMs <= 500, `retryAfterMs ${data.retryAfterMs}`);
    await new Promise((resolve) => setTimeout(resolve, data.retryAfterMs + 50));
    const again = await client.request("thread/list", { limit: 1 });
    assert.ok(again.result, `served after the wait: ${JSON.stringify(again.error)}`);
    assert.equal(client.closeCode, undefined, "the limited connection stayed open");
  });

  test("a connection that keeps sending past the limit is read no faster than it is served: the gateway stops reading it a while", async () => {
    const client = track(await open(urls[0] as string, "rate-paced", "carol"));
    const first = await flood(client, 16); // initialize took 1 of the burst of 5: about 12 refused in a row
    assert.ok(limited(first).length >= 10, `refused ${limited(first).length}`);
    const sentAt = performance.now();
    const next = await flood(client, 4);
    const waitedMs = performance.now() - sentAt;
    assert.equal(served(next).length + limited(next).length, 4, "every request is answered, served or limited");
    // The pause (at least 1 s) began before the first batch's last answer left.
    assert.ok(waitedMs >= 800, `the next requests were answered ${waitedMs.toFixed(0)} ms after they were sent`);
    assert.equal(client.closeCode, undefined, "the paused connection stayed open");
    // The operator sees it: a counter on the gateway's scrape endpoint and one (rate-limited) log line.
    const gateway = stack.gateways[0] as Stack["gateways"][number];
    const samples = await scrape(`${gateway.url.replace(/^ws/, "http")}/metrics`);
    assert.ok((sampleValue(samples, "switchyard_read_pauses_total", { scope: "tenant" }) ?? 0) >= 1, "the pause is counted");
    const line = gateway
      .output()
      .split("\n")
      .find((entry) => entry.includes("keeps sending past its rate limit"));
    assert.ok(line, "the pause is logged");
    assert.match(line, /"tenant":"rate-paced"/);
    assert.match(line, /"pauseMs":\d+/);
  });

  test("pipelined requests of one principal share one batch fetch: a burst within the limit is all served", async () => {
    // Bursts of 2000 make batches of 20 tokens; 300 requests at once must take about 300, not 300 × 20.
    const connections = await Promise.all([0, 1, 2].map(async () => track(await open(urls[0] as string, "batched", "bob"))));
    const replies = (await Promise.all(connections.map((client) => flood(client, 100)))).flat();
    assert.equal(limited(replies).length, 0, `none refused: ${JSON.stringify(limited(replies)[0]?.error)}`);
    assert.equal(served(replies).length, 300);
  });

  test("a crowd of new users (one request or two each) is served within the tenant's burst", async () => {
    // Batches of 20: if each newcomer took a batch, 300 users would need 6,000 tokens of a 2,000 burst.
    const users = await Promise.all(
      Array.from({ length: 300 }, async (_, index) => track(await open(urls[index % 2] as string, "crowd", `user-${index}`))),
    );
    const replies = await Promise.all(users.map((client) => client.request("thread/list", { limit: 1 })));
    assert.equal(limited(replies).length, 0, `none refused: ${JSON.stringify(limited(replies)[0]?.error)}`);
  });

  test("the tenant's bucket is shared by every gateway (in Redis), and no key names a raw token", async () => {
    const token = await hs256Token({ tenant: "rate-shared", sub: "alice" });
    const onFirst = track(await CodexTestClient.open(urls[0] as string, { token }));
    const onSecond = track(await open(urls[1] as string, "rate-shared", "bob"));
    // Two initializes took 2 of the 5: three more are served on the first gateway, then nothing on the second.
    assert.equal(served(await flood(onFirst, 3)).length, 3);
    const refused = await onSecond.request("thread/list", { limit: 1 });
    assert.equal(
      refused.error?.code,
      -32001,
      `the second gateway served the tenant's sixth request: ${JSON.stringify(refused)}\n` +
        stack.gateways
          .map(
            (gateway) =>
              `${gateway.name}:\n${gateway
                .output()
                .split("\n")
                .filter((line) => !line.includes('"msg":"initialized"'))
                .slice(-20)
                .join("\n")}`,
          )
          .join("\n"),
    );
    assert.equal((refused.error?.data as { scope?: string } | undefined)?.scope, "tenant");
    const redis = new Redis(stack.infra.env.REDIS_URL as string);
    try {
      const keys = await redis.keys(`${stack.infra.busPrefix}:limit:*`);
      assert.ok(keys.includes(`${stack.infra.busPrefix}:limit:rate:tenant:rate-shared`), keys.join(", "));
      assert.ok(keys.some((key) => key.startsWith(`${stack.infra.busPrefix}:limit:rate:token:`)));
      for (const key of keys) assert.ok(!key.includes(token) && !key.includes(token.split(".")[2] as string), key);
    } finally {
      redis.disconnect();
    }
  });

  test("a token's own limit refuses it (scope token) while the tenant's other tokens are served", async () => {
    const alice = track(await open(urls[0] as string, "tokens", "alice"));
    const replies = await flood(alice, 4); // burst 3, initialize took 1
    assert.equal(served(replies).length, 2);
    assert.deepEqual(
      limited(replies).map((reply) => {
        const data = reply.error?.data as Record<string, unknown>;
        return [data.reason, data.scope, data.limit, data.burst];
      }),
      [
        ["rateLimited", "token", 0.2, 3],
        ["rateLimited", "token", 0.2, 3],
      ],
    );
    const bob = track(await open(urls[1] as string, "tokens", "bob"));
    assert.equal(served(await flood(bob, 2)).length, 2, "another token of the tenant is unaffected");
  });

  test("a per-tenant override applies to that tenant only", async () => {
    const big = track(await open(urls[0] as string, "big", "alice"));
    const small = track(await open(urls[0] as string, "small", "alice"));
    assert.equal(limited(await flood(big, 20)).length, 0, "burst 30 for the overridden tenant");
    const smallReplies = await flood(small, 20);
    assert.equal(served(smallReplies).length, 4, "the default burst of 5 for the other");
    assert.equal((limited(smallReplies)[0]?.error?.data as { burst?: number } | undefined)?.burst, 5);
  });

  test("over the connection limit the upgrade is refused 429 with the limit; a closed connection frees its slot", async () => {
    const first = track(await open(urls[0] as string, "conns", "u1"));
    track(await open(urls[1] as string, "conns", "u2"));
    const refused = await upgrade(urls[0] as string, await hs256Token({ tenant: "conns", sub: "u3" }));
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.retryAfter) > 0, `Retry-After ${refused.retryAfter}`);
    assert.deepEqual(JSON.parse(refused.body), { error: "too many connections", scope: "tenant", limit: 2 });
    await first.close();
    const token = await hs256Token({ tenant: "conns", sub: "u3" });
    let admitted: Awaited<ReturnType<typeof upgrade>> | undefined;
    await waitFor(async () => {
      admitted = await upgrade(urls[1] as string, token);
      return admitted.status === 101;
    }, "the freed slot");
    admitted?.socket?.close();

    const tokenFirst = track(await open(urls[0] as string, "conn-token", "alice"));
    const sameToken = await upgrade(urls[1] as string, await hs256Token({ tenant: "conn-token", sub: "alice" }));
    assert.equal(sameToken.status, 429);
    assert.deepEqual(JSON.parse(sameToken.body), { error: "too many connections", scope: "token", limit: 1 });
    track(await open(urls[1] as string, "conn-token", "bob"));
    await tokenFirst.close();
  });

  test("a bad limit setting refuses to start, naming the variable and the problem", async () => {
    const typo = await runGatewayExpectingExit({
      ...stack.infra.env,
      GATEWAY_TENANT_LIMITS: JSON.stringify({ acme: { requestsPerSecond: 5 } }),
    });
    assert.equal(typo.code, 1);
    assert.match(typo.output, /GATEWAY_TENANT_LIMITS: .*acme: Unrecognized key: "requestsPerSecond"/);
    const negative = await runGatewayExpectingExit({ ...stack.infra.env, GATEWAY_LIMIT_REQUESTS_PER_S: "-1" });
    assert.equal(negative.code, 1);
    assert.match(negative.output, /GATEWAY_LIMIT_REQUESTS_PER_S/);
    const missingFile = await runGatewayExpectingExit({
      ...stack.infra.env,
      GATEWAY_TENANT_LIMITS_FILE: "/nonexistent/limits.json",
    });
    assert.equal(missingFile.code, 1);
    assert.match(missingFile.output, /GATEWAY_TENANT_LIMITS_FILE: cannot read \/nonexistent\/limits.json/);
  });
});

describe("limits with Redis down", () => {
  let stack: Stack;
  let redis: PrivateRedis;
  let gateway: ServiceProcess & { url: string };
  const clients: CodexTestClient[] = [];

  before(async () => {
    stack = await startStack("limits-outage");
    redis = await startPrivateRedis();
    const limitsFile = join(mkdtempSync(join(tmpdir(), "sy-limits-")), "tenant-limits.json");
    writeFileSync(limitsFile, JSON.stringify(TENANT_LIMITS));
    gateway = await startGatewayProcess(
      {
        ...stack.infra.env,
        ...DEFAULT_LIMITS,
        REDIS_URL: redis.url,
        // The same overrides from a file (a mounted ConfigMap): `outage` gets its slow refill from here.
        GATEWAY_TENANT_LIMITS_FILE: limitsFile,
      },
      "gateway-private-redis",
    );
  });
  after(async () => {
    try {
      await Promise.all(clients.map((client) => client.close()));
      await gateway?.stop();
    } finally {
      await redis?.dispose(); // a server left running would keep this file's process from exiting
      await stack?.stop();
    }
  });

  test("requests are still served within a local bound, refused beyond it, and the log says so once", async () => {
    const url = `${gateway.url}/`;
    await redis.kill();
    const client = await open(url, "outage", "alice"); // admitted by the local connection bound
    clients.push(client);
    const replies = await flood(client, 10);
    assert.ok(served(replies).length >= 4 && served(replies).length <= 5, `served ${served(replies).length}`);
    const data = limited(replies)[0]?.error?.data as Record<string, unknown>;
    assert.deepEqual([data.reason, data.scope, data.limit, data.burst], ["rateLimited", "tenant", 0.2, 5]);
    const second = await open(url, "outage-other", "bob");
    clients.push(second);
    assert.equal(served(await flood(second, 3)).length, 3, "another tenant has its own local bucket");
    assert.equal(gateway.output().split(DEGRADED_LINE).length - 1, 1, "logged once, not per request");

    await redis.start();
    await waitFor(() => gateway.output().includes("rate limits restored"), "the restored line");
    assert.equal(gateway.output().split(DEGRADED_LINE).length - 1, 1);
  });
});
