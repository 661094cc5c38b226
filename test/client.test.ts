// @switchyard/client against the real system (gateway, thread and config services on NATS, Postgres
// and Redis, the scripted Responses-API provider): typed round trips, local param checks, bounded
// queues both ways (overload, lagged), a bounded close(), server requests answered by handlers, and
// reconnect with resume. close() against a request that is never answered uses a bare WebSocket
// server that holds every answer back.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import { WebSocketServer } from "ws";
import {
  ConnectionClosedError,
  type NotificationEvent,
  OverloadedError,
  SwitchyardClient,
  SwitchyardParamsError,
  SwitchyardRpcError,
} from "../packages/client/src/index.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const text = (value: string) => ({ type: "text" as const, text: value, text_elements: [] });

describe("@switchyard/client", () => {
  let stack: Stack;
  let provider: ScriptedResponses;
  const clients: SwitchyardClient[] = [];
  const connect = async (tenant: string, options: { maxOutboundQueue?: number; maxInboundQueue?: number } = {}) => {
    const client = await SwitchyardClient.connect({
      url: `${stack.url}/`,
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
      experimentalApi: true,
      ...options,
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    provider = await startScriptedResponses();
    stack = await startStack("client", {
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      ...scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl), { THREAD_TOOL_CALL_TIMEOUT_MS: "5000" }),
    });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close({ timeoutMs: 500 }).catch(() => {})));
    await stack?.stop();
    await provider?.close();
  });
  afterEach(() => provider.clearScript());

  test("typed round trip: thread/start, turn/start, turn/completed with the agent's reply", async () => {
    const client = await connect("c-round");
    const started = await client.request("thread/start", {});
    assert.equal(typeof started.thread.id, "string");
    assert.equal(started.modelProvider, "scripted");
    assert.ok(client.threads.has(started.thread.id), "thread/start subscribes: remembered for reconnect");
    provider.script({ text: "Hello from the script.", chunks: 3 });
    const completed = client.waitFor("turn/completed", (params) => params.threadId === started.thread.id, 20_000);
    const turn = await client.request("turn/start", { threadId: started.thread.id, input: [text("hi")] });
    assert.equal(turn.turn.status, "inProgress");
    const done = await completed;
    assert.equal(done.turn.status, "completed");
    const message = done.turn.items.find((item) => item.type === "agentMessage");
    assert.equal(message && "text" in message ? message.text : undefined, "Hello from the script.");
    // An error answer from the server rejects with the code.
    await assert.rejects(
      client.request("thread/read", { threadId: "00000000-0000-4000-8000-000000000000" }),
      (error: unknown) => error instanceof SwitchyardRpcError && typeof error.code === "number" && error.code < 0,
    );
  });

  test("a param error is rejected locally, before anything is sent", async () => {
    const client = await connect("c-params");
    await assert.rejects(
      // @ts-expect-error threadId must be a string: the type says so, and so does the schema at run time.
      client.request("thread/read", { threadId: 42 }),
      (error: unknown) => error instanceof SwitchyardParamsError && /threadId/.test(error.message),
    );
    assert.equal(client.inFlight, 0);
    // The connection is still fine.
    const listed = await client.request("thread/list", {});
    assert.ok(Array.isArray(listed.data));
  });

  test("overload: beyond maxOutboundQueue requests in flight, request rejects at once", async () => {
    const client = await connect("c-overload", { maxOutboundQueue: 2 });
    const first = client.request("thread/list", {});
    const second = client.request("thread/list", {});
    await assert.rejects(client.request("thread/list", {}), OverloadedError);
    assert.equal(client.inFlight, 2);
    await Promise.all([first, second]);
    assert.equal(client.inFlight, 0);
    await client.request("thread/list", {});
  });

  test("lagged: a consumer that does not read gets a lagged event, not unbounded memory", async () => {
    const client = await connect("c-lagged", { maxInboundQueue: 3 });
    const events = client.notifications();
    const laggedByHandler: number[] = [];
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => (release = resolve));
    client.on("item/agentMessage/delta", () => blocked);
    client.onLagged((dropped) => laggedByHandler.push(dropped));
    const { thread } = await client.request("thread/start", {});
    provider.script({ text: "one two three four five six seven eight nine ten eleven twelve", chunks: 12 });
    const completed = client.waitFor("turn/completed", (params) => params.threadId === thread.id, 20_000);
    await client.request("turn/start", { threadId: thread.id, input: [text("many deltas")] });
    await completed;
    const read: NotificationEvent[] = [];
    for (let index = 0; index < 4; index++) read.push((await events.next()).value as NotificationEvent);
    const lagged = read.find((event) => event.type === "lagged");
    assert.ok(lagged && lagged.type === "lagged" && lagged.dropped > 0, JSON.stringify(read.map((event) => event.type)));
    assert.equal(read.filter((event) => event.type === "notification").length, 3, "at most maxInboundQueue kept");
    release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(laggedByHandler.length >= 1 && (laggedByHandler[0] ?? 0) > 0, "the blocked handler learns it lagged");
    await events.return?.();
  });

  test("a dynamic tool: the server's request is answered by the handler and the turn completes", async () => {
    const client = await connect("c-tools");
    const calls: unknown[] = [];
    client.onServerRequest("item/tool/call", async (params) => {
      calls.push(params.arguments);
      return { contentItems: [{ type: "inputText", text: "42" }], success: true };
    });
    const { thread } = await client.request("thread/start", {
      dynamicTools: [
        {
          name: "lookup",
          description: "Looks a thing up",
          inputSchema: { type: "object", properties: { q: { type: "string" } } },
        },
      ],
    });
    provider.script({ toolCall: { name: "lookup", arguments: { q: "answer" } } }, { text: "The tool said 42." });
    const completed = client.waitFor("turn/completed", (params) => params.threadId === thread.id, 20_000);
    await client.request("turn/start", { threadId: thread.id, input: [text("use the tool")] });
    const done = await completed;
    assert.equal(done.turn.status, "completed");
    assert.deepEqual(calls, [{ q: "answer" }]);
    const followUp = provider.requests.at(-1) as { input: Record<string, unknown>[] };
    assert.ok(followUp.input.some((item) => item.type === "function_call_output" && item.output === "42"));
  });

  test("reconnect: a new socket resumes the threads, and their notifications come on it", async () => {
    const client = await connect("c-reconnect");
    const { thread } = await client.request("thread/start", {});
    await client.request("thread/name/set", { threadId: thread.id, name: "recorded" });
    // As in Codex, a thread nothing is recorded about has no rollout to resume: forgotten, reported.
    const { thread: fresh } = await client.request("thread/start", {});
    const outcome = await client.reconnect();
    assert.deepEqual(outcome.resumed, [thread.id]);
    assert.deepEqual(
      outcome.refused.map(({ threadId, error }) => [threadId, error.code, error.message]),
      [[fresh.id, -32600, `thread/resume: no rollout found for thread id ${fresh.id}`]],
    );
    assert.deepEqual([...client.threads], [thread.id]);
    provider.script({ text: "after reconnect" });
    const completed = client.waitFor("turn/completed", (params) => params.threadId === thread.id, 20_000);
    await client.request("turn/start", { threadId: thread.id, input: [text("still there?")] });
    assert.equal((await completed).turn.status, "completed");
  });

  test("close() is bounded: a request never answered is rejected at the timeout", async () => {
    // A server that answers initialize and holds every other answer back; it asks the client for a
    // server request nobody handles, which must be answered -32601.
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    const refused = new Promise<{ id: unknown; error?: { code: number } }>((resolve) => {
      server.on("connection", (socket) => {
        socket.on("message", (data) => {
          const message = JSON.parse(data.toString());
          if (message.method === "initialize") {
            socket.send(
              JSON.stringify({
                id: message.id,
                result: { userAgent: "held/0", codexHome: "/", platformFamily: "unix", platformOs: "linux" },
              }),
            );
            socket.send(JSON.stringify({ id: "srv-1", method: "item/commandExecution/requestApproval", params: {} }));
          } else if (message.id === "srv-1") resolve(message);
        });
      });
    });
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const client = await SwitchyardClient.connect({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/` });
      assert.equal((await refused).error?.code, -32601);
      const held = client.request("thread/list", {});
      const heldOutcome = held.then(
        () => "answered",
        (error: unknown) => error,
      );
      const startedAt = Date.now();
      await client.close({ timeoutMs: 300 });
      const tookMs = Date.now() - startedAt;
      assert.ok(tookMs >= 250 && tookMs < 5_000, `close took ${tookMs} ms`);
      assert.ok((await heldOutcome) instanceof ConnectionClosedError);
      await assert.rejects(client.request("thread/list", {}), ConnectionClosedError);
    } finally {
      for (const socket of server.clients) socket.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
