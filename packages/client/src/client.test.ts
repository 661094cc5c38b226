// The client's local behaviour against a bare WebSocket server that records every frame: params
// checked before sending, server requests answered from handlers (result, thrown error, a result that
// breaks the schema, no handler), results checked against the schema. The real system: test/client.test.ts.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { type WebSocket, WebSocketServer } from "ws";
import { SwitchyardClient, SwitchyardParamsError, SwitchyardRpcError } from "./client.js";

let server: WebSocketServer;
let peer: WebSocket | undefined;
const frames: any[] = [];
const waiters: { predicate: (frame: any) => boolean; resolve: (frame: any) => void }[] = [];
const nextFrame = (predicate: (frame: any) => boolean) =>
  new Promise<any>((resolve) => {
    const found = frames.find(predicate);
    if (found) resolve(found);
    else waiters.push({ predicate, resolve });
  });

before(async () => {
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  server.on("connection", (socket) => {
    peer = socket;
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      for (const waiter of [...waiters])
        if (waiter.predicate(frame)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      if (frame.method === "initialize")
        socket.send(
          JSON.stringify({
            id: frame.id,
            result: { userAgent: "u", codexHome: "/", platformFamily: "unix", platformOs: "linux" },
          }),
        );
      if (frame.method === "thread/list") socket.send(JSON.stringify({ id: frame.id, result: { data: "not an array" } }));
      if (frame.method === "thread/read")
        socket.send(JSON.stringify({ id: frame.id, error: { code: -32600, message: "no such thread", data: { x: 1 } } }));
    });
  });
  await new Promise((resolve) => server.once("listening", resolve));
});
after(async () => {
  for (const socket of server.clients) socket.terminate();
  await new Promise((resolve) => server.close(resolve));
});

test("params, results, errors and server requests are checked locally", async () => {
  const client = await SwitchyardClient.connect({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  const initialize = frames.find((frame) => frame.method === "initialize");
  assert.equal(initialize.params.clientInfo.name, "switchyard-client");

  const sentBefore = frames.length;
  // @ts-expect-error input must be an array
  await assert.rejects(client.request("turn/start", { threadId: "t", input: "text" }), SwitchyardParamsError);
  // @ts-expect-error not a method
  await assert.rejects(client.request("no/such", {}), /unknown method/);
  assert.equal(frames.length, sentBefore, "nothing was sent for invalid calls");

  await assert.rejects(client.request("thread/list", {}), /does not match the schema/);
  await assert.rejects(client.request("thread/read", { threadId: "t" }), (error: unknown) => {
    assert.ok(error instanceof SwitchyardRpcError);
    assert.equal(error.code, -32600);
    assert.deepEqual(error.data, { x: 1 });
    return true;
  });

  const call = (id: string, args: unknown) =>
    peer?.send(
      JSON.stringify({
        id,
        method: "item/tool/call",
        params: { threadId: "t", turnId: "u", callId: "c", namespace: null, tool: "lookup", arguments: args },
      }),
    );
  client.onServerRequest("item/tool/call", (params) => {
    const { mode } = params.arguments as { mode: string };
    if (mode === "throw") throw new Error("the tool broke");
    if (mode === "bad") return { contentItems: "nope" } as never;
    return { contentItems: [{ type: "inputText", text: "ok" }], success: true };
  });
  call("s1", { mode: "ok" });
  assert.deepEqual((await nextFrame((frame) => frame.id === "s1")).result, {
    contentItems: [{ type: "inputText", text: "ok" }],
    success: true,
  });
  call("s2", { mode: "throw" });
  assert.deepEqual((await nextFrame((frame) => frame.id === "s2")).error, { code: -32000, message: "the tool broke" });
  call("s3", { mode: "bad" });
  assert.equal((await nextFrame((frame) => frame.id === "s3")).error.code, -32603);
  peer?.send(JSON.stringify({ id: "s4", method: "item/fileChange/requestApproval", params: {} }));
  assert.equal((await nextFrame((frame) => frame.id === "s4")).error.code, -32601);
  await client.close({ timeoutMs: 100 });
});
