// The relayed connection through a socket interface, against the real NATS (loopback): this test
// plays the remote-control instance holding the machine.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { NatsConnection } from "@nats-io/nats-core";
import { busSubjects, type RelayToClient, type RelayToMachine } from "@switchyard/protocol";
import { connectNats, createLogger, decodeJson, encodeJson, LogLimiter } from "@switchyard/runtime";
import { RelayConnection } from "./relay-connection.js";
import { FakeSocket } from "./testing/fake-socket.js";

const log = createLogger({ service: "test", instanceId: "relay", level: "silent" });
const principal = { tenant: "acme", subject: "alice", roles: [] };
const until = async (condition: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("relayed connection", () => {
  let nc: NatsConnection;
  const subjects = busSubjects(`t${randomBytes(4).toString("hex")}`);
  before(async () => {
    nc = (await connectNats({ url: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "relay-test", log })).nc;
  });
  after(() => nc.close());

  const open = (environmentId: string, graceMs = 5_000) => {
    const socket = new FakeSocket();
    const relay = new RelayConnection(
      `rc-test-${randomBytes(4).toString("hex")}`,
      "stream-1",
      socket,
      principal,
      environmentId,
      { maxOutboundBytes: 1 << 20, reconnectGraceMs: graceMs, requestLimitBytes: () => 1 << 20 },
      { nc, subjects, log, badInputLog: new LogLimiter(log), onClosed: () => {} },
    );
    return { socket, relay };
  };

  test("client messages reach the machine in order with their seq ids; malformed frames are dropped", async () => {
    const received: RelayToMachine[] = [];
    const machine = nc.subscribe(subjects.relayToMachine("acme", "env-1"), {
      callback: (_error, msg) => {
        received.push(decodeJson(msg.data) as RelayToMachine);
        msg.respond(encodeJson({ ok: true }));
      },
    });
    const { relay } = open("env-1");
    relay.onText('{"id":1,"method":"initialize","params":{}}', 40);
    relay.onText("not json", 8);
    relay.onText('{"weird":true}', 14);
    relay.onText('{"id":2,"method":"thread/list","params":{}}', 40);
    relay.onText('{"id":"s1","result":{"decision":"accept"}}', 40); // a response to the machine's request
    await until(() => received.length === 3);
    assert.deepEqual(
      received.map((frame) =>
        frame.type === "message" ? [frame.seqId, frame.streamId, (frame.message as { id: unknown }).id] : [],
      ),
      [
        [1, "stream-1", 1],
        [2, "stream-1", 2],
        [3, "stream-1", "s1"],
      ],
    );
    relay.closed();
    await until(() => received.length === 4);
    assert.equal(received[3]?.type, "close", "closing the client closes its virtual connection on the machine");
    machine.unsubscribe();
  });

  test("machine messages are delivered once each: a replay after a failover is confirmed, not resent; parts are joined", async () => {
    const { socket, relay } = open("env-2");
    const deliver = (frame: RelayToClient) =>
      nc.request(subjects.relayToClient(relay.clientId), encodeJson(frame), { timeout: 2_000 });
    await deliver({ type: "message", streamId: "stream-1", seqId: 1, part: 0, parts: 1, text: '{"id":1,"result":{}}' });
    await deliver({ type: "message", streamId: "stream-1", seqId: 2, part: 0, parts: 2, text: '{"method":"x",' });
    assert.equal(socket.sent.length, 1, "half a message is not delivered");
    await deliver({ type: "message", streamId: "stream-1", seqId: 2, part: 1, parts: 2, text: '"params":{}}' });
    await deliver({ type: "message", streamId: "stream-1", seqId: 1, part: 0, parts: 1, text: '{"id":1,"result":{}}' });
    await deliver({ type: "message", streamId: "stream-1", seqId: 2, part: 0, parts: 1, text: '{"method":"x","params":{}}' });
    await deliver({ type: "message", streamId: "other-stream", seqId: 9, part: 0, parts: 1, text: "{}" });
    assert.deepEqual(socket.sent, ['{"id":1,"result":{}}', '{"method":"x","params":{}}']);
    nc.publish(
      subjects.relayToClient(relay.clientId),
      encodeJson({ type: "closed", reason: "machine restarted" } satisfies RelayToClient),
    );
    await until(() => socket.closedWith !== undefined);
    assert.deepEqual(socket.closedWith, [1001, "machine restarted"]);
  });

  test("a machine nobody holds: requests wait out the grace, then are answered environmentOffline and the client is closed", async () => {
    const { socket, relay } = open("env-offline", 300);
    relay.onText('{"id":7,"method":"thread/list","params":{}}', 40);
    relay.onText('{"method":"initialized"}', 24);
    await until(() => socket.closedWith !== undefined);
    assert.equal(socket.sent.length, 1, "the notification gets no answer");
    const answer = JSON.parse(socket.sent[0] as string);
    assert.equal(answer.id, 7);
    assert.equal(answer.error.data.reason, "environmentOffline");
    assert.match(answer.error.message, /env-offline is not connected/);
    assert.deepEqual(socket.closedWith, [1001, "environment is offline"]);
  });

  test("a machine that comes back within the grace gets the queued message", async () => {
    const { relay } = open("env-back", 5_000);
    relay.onText('{"id":1,"method":"thread/list","params":{}}', 40);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const received: RelayToMachine[] = [];
    const machine = nc.subscribe(subjects.relayToMachine("acme", "env-back"), {
      callback: (_error, msg) => {
        received.push(decodeJson(msg.data) as RelayToMachine);
        msg.respond(encodeJson({ ok: true }));
      },
    });
    nc.publish(
      subjects.relayStatus("acme", "env-back"),
      encodeJson({ status: "connected", instanceId: "b", socketId: "s", atMs: Date.now() }),
    );
    await until(() => received.length === 1);
    assert.equal(received[0]?.type, "message");
    relay.closed();
    machine.unsubscribe();
  });
});
