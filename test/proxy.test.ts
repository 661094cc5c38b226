// `switchyard proxy` against the real system: a stdio client (JSON lines) drives the gateway through
// the proxy process — initialize, thread/start, a whole turn with the scripted provider, a malformed
// line that gets no reply, exit 0 when stdin closes (after the replies), exit 1 with the 401 text for a
// bad token, with the close code when the gateway closes the socket, and when nothing listens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { type Stack, startStack } from "./harness/stack.js";
import { StdioAppServer } from "./harness/stdio-app-server.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const text = (value: string) => ({ type: "text", text: value, text_elements: [] });

function spawnProxy(url: string, token: string): StdioAppServer {
  return StdioAppServer.spawn(
    process.execPath,
    ["--import", "tsx", "packages/cli/src/main.ts", "proxy", "--url", url, "--token", token],
    // Neither variable from the caller's environment may stand in for the flags under test.
    { cwd: repoRoot, env: { ...process.env, SWITCHYARD_URL: "", SWITCHYARD_TOKEN: "" } },
  );
}

/** Every stdout line is one JSON message: nothing else is ever written there. */
function assertOnlyJsonLines(proxy: StdioAppServer): void {
  for (const line of proxy.lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON on stdout: ${line}`);
}

describe("switchyard proxy", () => {
  let stack: Stack;
  let provider: ScriptedResponses;

  before(async () => {
    provider = await startScriptedResponses();
    stack = await startStack("proxy", {
      // A small frame cap, so that a test can make the gateway close the socket (1009).
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET, GATEWAY_MAX_FRAME_BYTES: String(64 * 1024) },
      ...scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl)),
    });
  });
  after(async () => {
    await stack?.stop();
    await provider?.close();
  });

  test("a stdio client runs a whole turn through the proxy; closing stdin exits 0", async () => {
    const proxy = spawnProxy(stack.url, await hs256Token({ tenant: "proxy-t", sub: "proxy-user" }));
    try {
      const init = await proxy.request("initialize", {
        clientInfo: { name: "proxy-test", title: null, version: "0.0.0" },
        capabilities: { experimentalApi: true },
      });
      assert.equal(init.error, undefined, proxy.log);
      assert.ok(init.result && typeof init.result === "object");
      proxy.writeLine(JSON.stringify({ method: "initialized" }));

      const started = await proxy.request("thread/start", {});
      assert.equal(started.error, undefined, proxy.log);
      const threadId = started.result.thread.id as string;
      assert.equal(typeof threadId, "string");

      provider.script({ text: "Proxied reply, in parts.", chunks: 3 });
      const turn = await proxy.request("turn/start", { threadId, input: [text("hello through the proxy")] });
      assert.equal(turn.error, undefined, proxy.log);
      const turnId = turn.result.turn.id as string;
      const completed = await proxy.waitForNotification(
        (n) => n.method === "turn/completed" && n.params.turn.id === turnId,
        30_000,
      );
      assert.equal(completed.params.turn.status, "completed");
      const ofTurn = proxy.notifications.filter((n) => n.params?.threadId === threadId && n.params?.turnId === turnId);
      const agentMessage = ofTurn.find((n) => n.method === "item/completed" && n.params.item.type === "agentMessage");
      assert.equal(agentMessage?.params.item.text, "Proxied reply, in parts.");
      const deltas = ofTurn.filter((n) => n.method === "item/agentMessage/delta").map((n) => n.params.delta);
      assert.equal(deltas.join(""), "Proxied reply, in parts.");
      assert.ok(proxy.notifications.some((n) => n.method === "turn/started" && n.params.turn.id === turnId));

      // A malformed line and a blank line: no reply, and the session goes on.
      const before = proxy.lines.length;
      proxy.writeLine("{this is not json");
      proxy.writeLine("");
      const read = await proxy.request("thread/read", { threadId, includeTurns: false });
      assert.equal(read.error, undefined, proxy.log);
      assert.equal(read.result.thread.id, threadId);
      assert.deepEqual(proxy.unmatchedReplies, [], "nothing answered the malformed line");
      const after = proxy.lines.slice(before).map((line) => JSON.parse(line));
      assert.ok(
        after.every((message) => message.id === undefined || message.id === read.id),
        `unexpected replies after the malformed line: ${JSON.stringify(after)}`,
      );
      assert.match(proxy.log, /not JSON/);

      assertOnlyJsonLines(proxy);
      proxy.closeStdin();
      const exit = await proxy.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, proxy.log);
    } finally {
      await proxy.stop();
    }
  });

  test("requests written before the connection opens are queued and answered; stdin closing flushes them", async () => {
    const proxy = spawnProxy(stack.url, await hs256Token({ tenant: "proxy-t", sub: "proxy-user" }));
    try {
      // Written at once, then stdin ends: the proxy must send them when the socket opens and wait for
      // the replies before it closes.
      proxy.writeLine(
        JSON.stringify({
          id: 1,
          method: "initialize",
          params: { clientInfo: { name: "proxy-test", title: null, version: "0.0.0" }, capabilities: {} },
        }),
      );
      proxy.writeLine(JSON.stringify({ method: "initialized" }));
      proxy.writeLine(JSON.stringify({ id: 2, method: "thread/start", params: {} }));
      proxy.closeStdin();
      const exit = await proxy.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, proxy.log);
      const replies = proxy.lines.map((line) => JSON.parse(line)).filter((message) => message.id !== undefined);
      assert.deepEqual(
        replies.map((reply) => reply.id),
        [1, 2],
        proxy.log,
      );
      assert.ok(replies[1].result?.thread?.id, JSON.stringify(replies[1]));
      assertOnlyJsonLines(proxy);
    } finally {
      await proxy.stop();
    }
  });

  test("a bad token: exit 1 with the 401 status and body on stderr, nothing on stdout", async () => {
    const proxy = spawnProxy(stack.url, "not-a-jwt");
    try {
      const exit = await proxy.exited;
      assert.deepEqual(exit, { code: 1, signal: null }, proxy.log);
      assert.match(proxy.log, /HTTP 401/);
      assert.match(proxy.log, /invalid websocket jwt/);
      assert.deepEqual(proxy.lines, []);
    } finally {
      await proxy.stop();
    }
  });

  test("the gateway closing the socket while stdin is open: exit 1 with the close code on stderr", async () => {
    const proxy = spawnProxy(stack.url, await hs256Token({ tenant: "proxy-t", sub: "proxy-user" }));
    try {
      const init = await proxy.request("initialize", {
        clientInfo: { name: "proxy-test", title: null, version: "0.0.0" },
        capabilities: {},
      });
      assert.equal(init.error, undefined, proxy.log);
      // One frame over the gateway's cap: it closes the connection with 1009.
      proxy.writeLine(JSON.stringify({ id: 99, method: "thread/start", params: { baseInstructions: "x".repeat(100_000) } }));
      const exit = await proxy.exited;
      assert.deepEqual(exit, { code: 1, signal: null }, proxy.log);
      assert.match(proxy.log, /closed the connection \(code 1009/);
      assertOnlyJsonLines(proxy);
    } finally {
      await proxy.stop();
    }
  });

  test("no gateway at the URL: exit 1 with the reason on stderr", async () => {
    const proxy = spawnProxy("ws://127.0.0.1:1/", await hs256Token({ tenant: "proxy-t", sub: "proxy-user" }));
    try {
      const exit = await proxy.exited;
      assert.deepEqual(exit, { code: 1, signal: null }, proxy.log);
      assert.match(proxy.log, /cannot connect to ws:\/\/127\.0\.0\.1:1\//);
      assert.deepEqual(proxy.lines, []);
    } finally {
      await proxy.stop();
    }
  });
});
