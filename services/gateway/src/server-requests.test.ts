import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ServerRequestAnswer } from "@switchyard/protocol";
import { OutgoingNotification } from "./fanout.js";
import { answerOf, type IncomingServerRequest, parseServerRequestEvent, ServerRequestBook } from "./server-requests.js";
import { openConnection } from "./testing/open-connection.js";

const toolCall = {
  threadId: "th-1",
  turnId: "turn-1",
  callId: "call-1",
  namespace: null,
  tool: "lookup",
  arguments: { q: "x" },
};
const request = (token: string, threadId = "th-1"): IncomingServerRequest => {
  const parsed = parseServerRequestEvent(token, JSON.stringify({ method: "item/tool/call", params: toolCall, threadId }));
  assert.ok(!("invalid" in parsed));
  return parsed;
};
const goodResult = { contentItems: [{ type: "inputText", text: "42" }], success: true };
const roomy = { byteLength: 100, limitBytes: 1_000_000 };

describe("server request bookkeeping", () => {
  test("ids count from 0 per book and are never reused; a token already pending is not asked twice", () => {
    const book = new ServerRequestBook();
    const first = JSON.parse(book.issue(request("a")) ?? "null");
    assert.deepEqual(first, { id: 0, method: "item/tool/call", params: toolCall });
    assert.equal(book.issue(request("a")), undefined);
    assert.equal(book.take(0)?.token, "a");
    assert.equal(JSON.parse(book.issue(request("b")) ?? "null").id, 1, "an answered id is not reused");
    assert.equal(JSON.parse(new ServerRequestBook().issue(request("a")) ?? "null").id, 0, "another connection counts its own");
  });

  test("take: only the integer id issued, once", () => {
    const book = new ServerRequestBook();
    book.issue(request("a"));
    assert.equal(book.take("0"), undefined, "a string id is another id");
    assert.equal(book.take(5), undefined);
    assert.deepEqual(book.take(0), { token: "a", method: "item/tool/call", threadId: "th-1" });
    assert.equal(book.take(0), undefined);
    assert.equal(book.resolve("a", 1), undefined, "an answered request is not announced resolved to its answerer");
  });

  test("resolve gives this connection's id once; an unknown token nothing", () => {
    const book = new ServerRequestBook();
    book.issue(request("a"));
    book.issue(request("b", "th-2"));
    assert.equal(book.resolve("zzz", 1), undefined);
    assert.deepEqual(JSON.parse(book.resolve("b", 7) ?? "null"), {
      method: "serverRequest/resolved",
      params: { threadId: "th-2", requestId: 1 },
      emittedAtMs: 7,
    });
    assert.equal(book.resolve("b", 8), undefined);
    assert.equal(book.take(1), undefined, "a resolved request can no longer be answered");
    assert.equal(book.pendingCount, 1);
  });

  test("past the bound the oldest pending request is forgotten", () => {
    const book = new ServerRequestBook(2);
    for (const token of ["a", "b", "c"]) book.issue(request(token));
    assert.equal(book.pendingCount, 2);
    assert.equal(book.take(0), undefined);
    assert.equal(book.take(2)?.token, "c");
  });

  test("events that are not a ServerRequestEvent are refused with a reason", () => {
    assert.deepEqual(parseServerRequestEvent("t", "{"), { invalid: "body is not JSON" });
    assert.deepEqual(parseServerRequestEvent("t", "7"), { invalid: "body is not an object" });
    assert.deepEqual(parseServerRequestEvent("t", '{"threadId":"x"}'), { invalid: "method is not a string" });
    assert.deepEqual(parseServerRequestEvent("t", '{"method":"m"}'), { invalid: "threadId is not a string" });
  });
});

describe("server request answers", () => {
  const pending = { token: "a", method: "item/tool/call", threadId: "th-1" };

  test("a valid result and a well-formed error are passed on as the client sent them", () => {
    const result = { ...goodResult, extra: "kept" };
    assert.deepEqual(answerOf(pending, { id: 0, result }, "c1", roomy), { connection: "c1", result });
    assert.deepEqual(answerOf(pending, { id: 0, error: { code: -1, message: "declined", data: { why: 1 } } }, "c1", roomy), {
      connection: "c1",
      error: { code: -1, message: "declined", data: { why: 1 } },
    });
  });

  test("what the turn could not use becomes -32600 Invalid response", () => {
    const messageOf = (answer: ServerRequestAnswer) => ("error" in answer ? answer.error.message : "a result");
    assert.equal(
      messageOf(answerOf(pending, { id: 0, result: { contentItems: [] } }, "c1", roomy)),
      "Invalid response: missing field `success`",
    );
    assert.equal(
      messageOf(answerOf(pending, { id: 0, result: { contentItems: "no", success: true } }, "c1", roomy)),
      'Invalid response: invalid type: string "no", expected a sequence',
    );
    assert.equal(
      messageOf(answerOf(pending, { id: 0, error: { message: "no code" } }, "c1", roomy)),
      "Invalid response: `error` must have a numeric `code` and a string `message`",
    );
    assert.equal(
      messageOf(answerOf(pending, { id: 0, result: goodResult }, "c1", { byteLength: 2_000, limitBytes: 1_000 })),
      "Invalid response: response too large (2000 bytes; the limit is 1000 bytes)",
    );
    const nul = { contentItems: [{ type: "inputText", text: "a\u0000b" }], success: true };
    assert.equal(
      messageOf(answerOf(pending, { id: 0, result: nul }, "c1", roomy)),
      "Invalid response: string at `result.contentItems[0].text` contains a NUL character (\\u0000), which cannot be stored",
    );
    let deep: unknown = 1;
    for (let depth = 0; depth < 200; depth++) deep = [deep];
    const tooDeep = answerOf(pending, { id: 0, result: { ...goodResult, extra: deep } }, "c1", roomy);
    assert.deepEqual(tooDeep, {
      connection: "c1",
      error: {
        code: -32600,
        message: "Invalid response: recursion limit exceeded (JSON nested deeper than 128 levels)",
        data: { reason: "invalidResponse" },
      },
    });
  });

  test("a method without a registered result schema passes any result on", () => {
    const other = { ...pending, method: "item/other/request" };
    assert.deepEqual(answerOf(other, { id: 0, result: "anything" }, "c1", roomy), { connection: "c1", result: "anything" });
  });
});

describe("server requests on a connection (fake socket)", () => {
  test("sent under the connection's ids; the answer goes to the token once; unknown ids are ignored", () => {
    const { socket, connection, answers, text } = openConnection();
    connection.deliverServerRequest(request("tok-a"));
    connection.deliverServerRequest(request("tok-b"));
    assert.deepEqual(
      socket.take().map((frame) => [frame.id, frame.method]),
      [
        [0, "item/tool/call"],
        [1, "item/tool/call"],
      ],
    );
    text({ id: 1, result: goodResult });
    text({ id: 1, result: goodResult }); // answered already
    text({ id: 99, result: goodResult });
    text({ id: 0, result: { contentItems: [] } });
    assert.deepEqual(answers, [
      { token: "tok-b", answer: { connection: "gw1/conn1", result: goodResult } },
      {
        token: "tok-a",
        answer: {
          connection: "gw1/conn1",
          error: { code: -32600, message: "Invalid response: missing field `success`", data: { reason: "invalidResponse" } },
        },
      },
    ]);
    assert.deepEqual(socket.take(), [], "a response is never answered on the socket");
    text({ id: 5, method: "account/read", params: {} });
    assert.equal(socket.take()[0]?.id, 5, "the connection stays usable");
  });

  test("resolution: a notification with the connection's own id, only while pending; opt-out honoured", () => {
    const { socket, connection } = openConnection();
    connection.deliverServerRequest(request("tok-a"));
    socket.take();
    connection.serverRequestResolved("tok-a");
    connection.serverRequestResolved("tok-a");
    connection.serverRequestResolved("never-had-it");
    const frames = socket.take();
    assert.equal(frames.length, 1);
    assert.equal(frames[0].method, "serverRequest/resolved");
    assert.deepEqual(frames[0].params, { threadId: "th-1", requestId: 0 });
    assert.equal(typeof frames[0].emittedAtMs, "number");

    const optedOut = openConnection({ optOut: ["serverRequest/resolved", "item/tool/call"] });
    optedOut.connection.deliverServerRequest(request("tok-c"));
    assert.equal(optedOut.socket.take()[0]?.method, "item/tool/call", "opt-outs apply to notifications only");
    optedOut.connection.serverRequestResolved("tok-c");
    assert.deepEqual(optedOut.socket.take(), []);
    assert.equal(optedOut.connection.pendingServerRequestCount, 0, "forgotten though not announced");
  });

  test("back-pressure as for notifications; a closed connection forgets its requests and sends nothing", () => {
    const { socket, connection } = openConnection({ maxOutboundBytes: 150 });
    socket.bufferedAmount = 100; // a client that stopped reading
    connection.deliverServerRequest(request("tok-a"));
    assert.equal(socket.closedWith?.[0], 1013);
    assert.equal(connection.pendingServerRequestCount, 0);
    connection.deliverServerRequest(request("tok-b"));
    assert.deepEqual(socket.take(), []);
  });

  test("a connection without the experimentalApi capability is asked a dynamic tool call, but never hears experimental notifications", () => {
    // As Codex 0.171.0 (probed with several websocket clients): item/tool/call goes to every
    // subscriber, while thread/settings/updated, thread/queue/changed, thread/readState/changed,
    // project/changed and thread/project/updated never reach a connection without the capability.
    const stable = openConnection();
    const experimental = openConnection({ experimentalApi: true });
    const frame = (method: string) =>
      new OutgoingNotification(method, JSON.stringify({ method, params: { threadId: "th-1" }, emittedAtMs: 1 }));
    const experimentalMethods = [
      "thread/settings/updated",
      "thread/queue/changed",
      "thread/readState/changed",
      "project/changed",
      "thread/project/updated",
    ];
    for (const { connection } of [stable, experimental]) {
      connection.deliverServerRequest(request("tok-a"));
      for (const method of [...experimentalMethods, "thread/status/changed"]) connection.deliverNotification(frame(method));
    }
    assert.deepEqual(
      stable.socket.take().map((sent) => sent.method),
      ["item/tool/call", "thread/status/changed"],
      "a stable client hears only what is not experimental",
    );
    assert.deepEqual(
      experimental.socket.take().map((sent) => sent.method),
      ["item/tool/call", ...experimentalMethods, "thread/status/changed"],
    );
  });

  test("nothing is asked before initialize", () => {
    const { socket, connection, answers, text } = openConnection({ initialize: false });
    connection.deliverServerRequest(request("tok-a"));
    text({ id: 0, result: goodResult });
    assert.deepEqual(socket.sent, []);
    assert.deepEqual(answers, []);
  });
});

describe("events lost while a turn runs", () => {
  const frame = (method: string) =>
    new OutgoingNotification(method, JSON.stringify({ method, params: { threadId: "th-1" }, emittedAtMs: 1 }));

  test("a connection waiting on a turn is closed (1013) when the bus drops: its turn/completed may be gone", () => {
    const { socket, connection } = openConnection({ optOut: ["turn/started"] });
    connection.deliverNotification(frame("turn/started"));
    assert.equal(connection.onEventsLost(), true);
    assert.equal(socket.closedWith?.[0], 1013);
    assert.match(socket.closedWith?.[1] ?? "", /reconnect/);
  });

  test("a connection with no turn running, or whose turns all ended, keeps its connection", () => {
    const idle = openConnection();
    assert.equal(idle.connection.onEventsLost(), false);
    assert.equal(idle.socket.closedWith, undefined);
    const finished = openConnection();
    finished.connection.deliverNotification(frame("turn/started"));
    finished.connection.deliverNotification(frame("turn/completed"));
    // A client that subscribed mid-turn sees a completion without a start: never below zero.
    finished.connection.deliverNotification(frame("turn/completed"));
    assert.equal(finished.connection.onEventsLost(), false);
    assert.equal(finished.socket.closedWith, undefined);
  });
});
