// Instance failover: the remote-control instance holding a real Codex machine's websocket is killed
// (SIGKILL). The machine reconnects — to the other instance — and the relayed client's session goes
// on: every request sent before, during and after the failover is answered exactly once.
//
// Two instances cannot share one port, so the machine's `chatgpt_base_url` points at a loopback TCP
// proxy this test controls (the stand-in for a load balancer): it forwards to instance A, and once A
// is dead, to instance B. Nothing else is told: the machine finds B by reconnecting.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary } from "./harness/codex-binary.js";
import { infraUrls } from "./harness/infra.js";
import { type CodexMachine, startCodexMachine } from "./harness/machine.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const TENANT = "rc-failover";

/** A TCP proxy whose upstream port can be switched; `cut` drops every proxied connection. */
function startProxy(upstreamPort: number): Promise<{ server: Server; port: number; retarget(port: number): void; cut(): void }> {
  let target = upstreamPort;
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((downstream) => {
    const upstream = tcpConnect(target, "127.0.0.1");
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.pipe(upstream).on("error", end);
    upstream.pipe(downstream).on("error", end);
    downstream.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === "object" && address ? address.port : 0,
        retarget: (port) => {
          target = port;
        },
        cut: () => {
          for (const [downstream, upstream] of pairs) {
            downstream.destroy();
            upstream.destroy();
          }
          pairs.clear();
        },
      });
    }),
  );
}

describe("remote-control instance failover with a real codex app-server", () => {
  let stack: Stack;
  let machine: CodexMachine;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  const redis = new Redis(infraUrls.redis, { lazyConnect: true });

  before(async () => {
    stack = await startStack("remote_control_failover", {
      threads: 0,
      remoteControls: 2,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      remoteControlEnv: { REMOTE_CONTROL_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
    proxy = await startProxy(stack.remoteControls[0]?.port as number);
    machine = await startCodexMachine({
      binary: ensureCodexBinary("0.171.0"),
      baseUrl: `http://127.0.0.1:${proxy.port}/backend-api/`,
      tenant: TENANT,
      subject: "alice",
      secret: TEST_HS256_SECRET,
    });
    await redis.connect();
  });
  after(async () => {
    await machine?.stop();
    proxy?.cut();
    proxy?.server.close();
    redis.disconnect();
    await stack?.stop();
  });

  test("kill -9 of the holding instance: the machine reconnects to the other and no request is lost or doubled", async () => {
    const [instanceA, instanceB] = stack.remoteControls as [Stack["remoteControls"][0], Stack["remoteControls"][0]];
    const token = await hs256Token({ tenant: TENANT, sub: "alice" });
    const lister = await CodexTestClient.open(stack.url, { token });
    let environmentId = "";
    for (let attempt = 0; attempt < 80 && !environmentId; attempt++) {
      const { data } = await lister.call("switchyard/environments/list", {});
      environmentId = data.find((entry: { status: string }) => entry.status === "connected")?.environmentId ?? "";
      if (!environmentId) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(environmentId, "the machine connected");
    const presenceKey = `${stack.infra.busPrefix}:rc:env:${environmentId}`;
    assert.equal(JSON.parse((await redis.get(presenceKey)) as string).instanceId, instanceA.instanceId, "A holds the socket");

    const relayed = await CodexTestClient.connect(`${stack.url.replace(/\/$/, "")}/environments/${environmentId}`, { token });
    const answeredIds: (number | string)[] = [];
    relayed.socket.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.id !== undefined && (frame.result !== undefined || frame.error !== undefined)) answeredIds.push(frame.id);
    });
    await relayed.call("initialize", { clientInfo: { name: "failover", title: null, version: "1" }, capabilities: null });
    const started = await relayed.call("thread/start", {});
    assert.equal(started.thread.cwd, machine.cwd);

    // Requests every 100 ms for ~12 s; A dies after the first second.
    const replies: Promise<{ error?: unknown; result?: unknown }>[] = [];
    const sender = setInterval(() => replies.push(relayed.request("thread/list", { limit: 5 })), 100);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await instanceA.crash();
    proxy.retarget(instanceB.port);
    proxy.cut(); // what a load balancer does when its backend dies: the machine's connection drops
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    clearInterval(sender);
    const settled = await Promise.all(replies);

    assert.ok(settled.length >= 100, `${settled.length} requests sent`);
    const failures = settled.filter((reply) => reply.error !== undefined);
    assert.deepEqual(failures, [], "every request sent across the failover was answered with a result");
    const counts = new Map<number | string, number>();
    for (const id of answeredIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.deepEqual(
      [...counts].filter(([, count]) => count > 1),
      [],
      "no answer was delivered twice (replays through the new instance are de-duplicated)",
    );
    assert.equal(JSON.parse((await redis.get(presenceKey)) as string).instanceId, instanceB.instanceId, "B holds the socket now");
    const after = await relayed.call("thread/list", {});
    assert.ok(Array.isArray(after.data), "the session goes on");
    await relayed.close();
    await lister.close();
  });

  test("every frame received matched the official schema", () => {
    assertConformant();
  });
});
