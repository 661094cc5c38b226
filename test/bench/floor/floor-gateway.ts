// Floor gateway: a bare WebSocket server (the plain `ws` package; @fastify/websocket hands every
// frame to the same `ws` socket, fastify itself only runs at the upgrade) that forwards JSON-RPC
// frames to the bus with nothing in between: no validation, no auth, no admission, no headers
// beyond what each lane needs. thread/read goes out as a core NATS request; thread/name/set (and
// its same-statement variant) as a JetStream publish on its key's partition, answered on this
// process's reply subject; config/read as a JetStream publish on the partition of its caller's
// config key (`config:<tenant>:user:<subject>`, the key the gateway computes), answered the same way.
// The caller is named by the client at the upgrade (FLOOR_USER_HEADER) and taken as is: the real
// gateway authenticates once per connection too, so that cost is not on the per-request path.
import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { partitionOf, scopeKey } from "@switchyard/protocol";
import { type WebSocket, WebSocketServer } from "ws";
import {
  FLOOR_PAGE,
  FLOOR_SET_NAME_CTE,
  FLOOR_USER_HEADER,
  floorConfigSubjects,
  floorSubjects,
  REPLY_TO_HEADER,
  readFloorSettings,
  STATEMENT_HEADER,
  SUBJECT_HEADER,
} from "./floor-contract.js";
import { announceAndServe } from "./floor-ws-server.js";

const settings = readFloorSettings(process.argv);
const subjects = floorSubjects(settings.busPrefix);
const configSubjects = floorConfigSubjects(settings.busPrefix);
const gatewayId = randomUUID().slice(0, 8);
const nc = await connect({
  servers: settings.natsUrl,
  name: `bench-floor-gateway-${gatewayId}`,
  noAsyncTraces: !settings.natsAsyncTraces,
});
const js = jetstream(nc);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const pendingReplies = new Map<string, (replyText: string) => void>();
nc.subscribe(subjects.replyWildcard(gatewayId), {
  callback: (error, msg) => {
    if (error) return;
    const commandId = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    const answer = pendingReplies.get(commandId);
    if (!answer) return;
    pendingReplies.delete(commandId);
    answer(decoder.decode(msg.data));
  },
});

const reply = (socket: WebSocket, id: unknown, resultText: string) =>
  socket.send(`{"id":${JSON.stringify(id)},"result":${resultText}}`);
const replyError = (socket: WebSocket, id: unknown, message: string) =>
  socket.send(JSON.stringify({ id, error: { code: -32603, message } }));

interface FloorConnection {
  /** The connection's user (config/read's caller) and the partition of its config key, fixed at the upgrade. */
  subject: string;
  configPartition: number;
}

function onFrame(socket: WebSocket, connection: FloorConnection, text: string): void {
  const frame = JSON.parse(text) as { id: unknown; method: string; params: { threadId: string } };
  const body = encoder.encode(JSON.stringify(frame.params));
  if (frame.method === "thread/read") {
    nc.request(subjects.read, body, { timeout: 30_000 }).then(
      (msg) => reply(socket, frame.id, decoder.decode(msg.data)),
      (error) => replyError(socket, frame.id, String(error)),
    );
    return;
  }
  if (frame.method === "thread/start") {
    nc.request(subjects.start, body, { timeout: 30_000 }).then(
      (msg) => reply(socket, frame.id, decoder.decode(msg.data)),
      (error) => replyError(socket, frame.id, String(error)),
    );
    return;
  }
  if (frame.method === FLOOR_PAGE) {
    nc.request(subjects.page, body, { timeout: 30_000 }).then(
      (msg) => reply(socket, frame.id, decoder.decode(msg.data)),
      (error) => replyError(socket, frame.id, String(error)),
    );
    return;
  }
  if (frame.method === "thread/name/set" || frame.method === FLOOR_SET_NAME_CTE) {
    const commandId = randomUUID();
    const partition = partitionOf(scopeKey("thread", settings.tenant, frame.params.threadId), settings.partitions);
    const headers = natsHeaders();
    headers.set(REPLY_TO_HEADER, subjects.reply(gatewayId, commandId));
    if (frame.method === FLOOR_SET_NAME_CTE) headers.set(STATEMENT_HEADER, "cte");
    pendingReplies.set(commandId, (resultText) => reply(socket, frame.id, resultText));
    // Issued synchronously in arrival order, like the gateway's keyed publish.
    js.publish(subjects.keyedPartition(partition), body, { msgID: commandId, headers }).catch((error) => {
      if (pendingReplies.delete(commandId)) replyError(socket, frame.id, String(error));
    });
    return;
  }
  if (frame.method === "config/read") {
    const commandId = randomUUID();
    const headers = natsHeaders();
    headers.set(REPLY_TO_HEADER, subjects.reply(gatewayId, commandId));
    headers.set(SUBJECT_HEADER, connection.subject);
    pendingReplies.set(commandId, (resultText) => reply(socket, frame.id, resultText));
    js.publish(configSubjects.partition(connection.configPartition), body, { msgID: commandId, headers }).catch((error) => {
      if (pendingReplies.delete(commandId)) replyError(socket, frame.id, String(error));
    });
    return;
  }
  replyError(socket, frame.id, `the floor gateway does not serve ${frame.method}`);
}

const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
server.on("connection", (socket, request) => {
  const named = request.headers[FLOOR_USER_HEADER];
  const subject = typeof named === "string" && named.length > 0 ? named : "anonymous";
  const connection: FloorConnection = {
    subject,
    configPartition: partitionOf(scopeKey("config", settings.tenant, `user:${subject}`), settings.partitions),
  };
  socket.on("message", (data, isBinary) => {
    if (!isBinary) onFrame(socket, connection, data.toString());
  });
});
await announceAndServe(server, nc);
