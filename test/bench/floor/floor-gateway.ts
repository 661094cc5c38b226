// Floor gateway: a bare WebSocket server (the plain `ws` package; @fastify/websocket hands every
// frame to the same `ws` socket, fastify itself only runs at the upgrade) that forwards JSON-RPC
// frames to the bus with nothing in between: no validation, no auth, no admission, no headers
// beyond what each lane needs. thread/read goes out as a core NATS request; thread/name/set (and
// its same-statement variant) as a JetStream publish on its key's partition, answered on this
// process's reply subject.
import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { partitionOf, scopeKey } from "@switchyard/protocol";
import { type WebSocket, WebSocketServer } from "ws";
import {
  FLOOR_PAGE,
  FLOOR_SET_NAME_CTE,
  floorSubjects,
  READY_EVENT,
  REPLY_TO_HEADER,
  readFloorSettings,
  STATEMENT_HEADER,
} from "./floor-contract.js";

const settings = readFloorSettings(process.argv);
const subjects = floorSubjects(settings.busPrefix);
const gatewayId = randomUUID().slice(0, 8);
const nc = await connect({
  servers: settings.natsUrl,
  name: `bench-floor-gateway-${gatewayId}`,
  noAsyncTraces: !settings.natsAsyncTraces,
});
const js = jetstream(nc);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const pendingWrites = new Map<string, (replyText: string) => void>();
nc.subscribe(subjects.replyWildcard(gatewayId), {
  callback: (error, msg) => {
    if (error) return;
    const commandId = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    const answer = pendingWrites.get(commandId);
    if (!answer) return;
    pendingWrites.delete(commandId);
    answer(decoder.decode(msg.data));
  },
});

const reply = (socket: WebSocket, id: unknown, resultText: string) =>
  socket.send(`{"id":${JSON.stringify(id)},"result":${resultText}}`);
const replyError = (socket: WebSocket, id: unknown, message: string) =>
  socket.send(JSON.stringify({ id, error: { code: -32603, message } }));

function onFrame(socket: WebSocket, text: string): void {
  const frame = JSON.parse(text) as { id: unknown; method: string; params: { threadId: string } };
  const body = encoder.encode(JSON.stringify(frame.params));
  if (frame.method === "thread/read") {
    nc.request(subjects.read, body, { timeout: 30_000 }).then(
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
    pendingWrites.set(commandId, (resultText) => reply(socket, frame.id, resultText));
    // Issued synchronously in arrival order, like the gateway's keyed publish.
    js.publish(subjects.keyedPartition(partition), body, { msgID: commandId, headers }).catch((error) => {
      if (pendingWrites.delete(commandId)) replyError(socket, frame.id, String(error));
    });
    return;
  }
  replyError(socket, frame.id, `the floor gateway does not serve ${frame.method}`);
}

const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => {
    if (!isBinary) onFrame(socket, data.toString());
  });
});
await new Promise<void>((resolve) => server.once("listening", () => resolve()));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;

process.once("SIGTERM", () => {
  for (const client of server.clients) client.terminate();
  server.close();
  void nc.drain().finally(() => process.exit(0));
});
console.log(JSON.stringify({ event: READY_EVENT, url: `ws://127.0.0.1:${port}` }));
