// The bus dies under load and comes back: readiness says so while it is down, requests are answered
// promptly instead of at their deadline, and every process recovers by itself (no restarts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CodexTestClient, type RpcReply } from "./harness/client.js";
import { type PrivateNatsServer, startPrivateNatsServer } from "./harness/nats-server.js";
import { type Stack, startStack } from "./harness/stack.js";

const REQUEST_TIMEOUT_MS = 30_000;
/** Far below the deadline: "promptly" means the gateway did not wait for it. */
const PROMPT_MS = 5_000;

async function readiness(url: string): Promise<{ status: number; body: Record<string, boolean> }> {
  const response = await fetch(url).catch(() => undefined);
  if (!response) return { status: 0, body: {} };
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, boolean> };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("bus outage", () => {
  let nats: PrivateNatsServer;
  let stack: Stack;
  let gatewayReadyz: string;
  let threadReadyz: string;

  before(async () => {
    nats = await startPrivateNatsServer();
    const env = { NATS_URL: nats.url };
    stack = await startStack("bus_outage", {
      threadEnv: env,
      configEnv: env,
      gatewayEnv: { ...env, GATEWAY_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
    });
    gatewayReadyz = `${stack.gateways[0]?.url.replace("ws://", "http://")}/readyz`;
    threadReadyz = `${stack.threads[0]?.healthUrl}/readyz`;
  });
  after(async () => {
    try {
      await stack?.stop();
    } finally {
      await nats?.dispose(); // a server left running would keep this file's process from exiting
    }
  });

  test("readiness, prompt answers and recovery without restarts across a nats-server kill -9", async (t) => {
    const client = await CodexTestClient.open(stack.url);
    const threadId: string = (await client.call("thread/start", {})).thread.id;
    await client.call("thread/name/set", { threadId, name: "before the outage" });
    assert.equal((await readiness(gatewayReadyz)).status, 200);
    assert.equal((await readiness(threadReadyz)).status, 200);

    // A burst in flight at the moment the bus dies: every request is answered, none at its deadline.
    const burstSentAt = Date.now();
    const burst: Promise<RpcReply>[] = [];
    for (let index = 0; index < 40; index++) {
      burst.push(client.request("thread/read", { threadId }));
      burst.push(client.request("thread/name/set", { threadId, name: `burst ${index}` }));
    }
    await nats.kill();
    const burstReplies = await Promise.all(burst);
    assert.ok(Date.now() - burstSentAt < PROMPT_MS, `the burst was answered in ${Date.now() - burstSentAt} ms`);
    const unavailable = burstReplies.filter((reply) => reply.error).length;
    t.diagnostic(`burst: ${burstReplies.length - unavailable} answered before the kill, ${unavailable} answered busUnavailable`);
    for (const reply of burstReplies) {
      if (reply.error) assert.equal((reply.error.data as { reason?: string }).reason, "busUnavailable", reply.error.message);
    }

    const gatewayDown = await waitFor("gateway readiness to fail", async () => {
      const ready = await readiness(gatewayReadyz);
      return ready.status === 503 ? ready : undefined;
    });
    assert.equal(gatewayDown.body.nats, false);
    const threadDown = await waitFor("thread-service readiness to fail", async () => {
      const ready = await readiness(threadReadyz);
      return ready.status === 503 ? ready : undefined;
    });
    assert.equal(threadDown.body.nats, false);

    // New requests while the bus is down: a prompt "retry later", for reads and writes alike.
    for (const [method, params] of [
      ["thread/read", { threadId }],
      ["thread/name/set", { threadId, name: "during the outage" }],
      ["thread/list", {}],
    ] as const) {
      const sentAt = Date.now();
      const reply = await client.request(method, params);
      assert.ok(Date.now() - sentAt < 1_000, `${method} answered in ${Date.now() - sentAt} ms`);
      assert.equal(reply.error?.code, -32603);
      assert.equal((reply.error?.data as { reason?: string } | undefined)?.reason, "busUnavailable");
      assert.match(reply.error?.message ?? "", /retry later/);
    }
    assert.equal(client.closeCode, undefined, "the client connection survives the outage");

    const restartedAt = Date.now();
    await nats.start();
    await waitFor("gateway readiness to return", async () =>
      (await readiness(gatewayReadyz)).status === 200 ? true : undefined,
    );
    await waitFor("thread-service readiness to return", async () =>
      (await readiness(threadReadyz)).status === 200 ? true : undefined,
    );

    // Served again, on both lanes, by the same processes.
    const read = await waitFor("thread/read to succeed again", async () => {
      const reply = await client.request("thread/read", { threadId });
      return reply.result ? reply : undefined;
    });
    assert.ok(read.result);
    const rename = await waitFor("thread/name/set to succeed again", async () => {
      const reply = await client.request("thread/name/set", { threadId, name: "after the outage" });
      return reply.result ? reply : undefined;
    });
    assert.deepEqual(rename.result, {});
    t.diagnostic(`served again on both lanes ${Date.now() - restartedAt} ms after nats-server restarted`);
    const after = await client.call("thread/read", { threadId });
    assert.equal(after.thread.name, "after the outage");
    for (const service of [...stack.threads, ...stack.gateways]) {
      assert.equal(service.child.exitCode, null, `${service.name} kept running`);
      assert.equal(service.child.signalCode, null, `${service.name} kept running`);
    }
    await client.close();
  });
});
