// Turn floor: the least a relay of a model's stream to websocket clients can do, with the same
// libraries Switchyard uses (`ws`, nats.js, fetch, the thread service's own `eventsource-parser`) and
// none of its code. A plain `ws` server, no auth, no admission, no storage:
//   turn/start {threadId, input}           fetch the provider's SSE, parse it, send each text delta
//                                          to the asking socket as an `item/agentMessage/delta`
//                                          frame, then `item/completed` and `turn/completed`
//                                          (turn/delta's floor: provider → relay → ws)
//   turn/start {threadId, input, fanout}   the same frames published once each on core NATS
//                                          (`<prefix>.floor.turns.<threadId>`) instead
//   thread/resume {threadId}               this socket gets the thread's frames: one NATS subscription
//                                          per thread per process, each frame written to every
//                                          socket of the thread as is (turn/fanout's floor, two of
//                                          these processes: provider → relay → NATS → 2 × ws broadcast)
// Settings: one JSON argument (FloorTurnSettings); prints READY_EVENT with its url.
import { randomUUID } from "node:crypto";
import { connect, type Subscription } from "@nats-io/transport-node";
import { type WebSocket, WebSocketServer } from "ws";
import { type ResponsesEvent, responsesRequest, streamResponsesOnce } from "../turn-contract.js";
import type { FloorTurnSettings } from "./floor-contract.js";
import { announceAndServe } from "./floor-ws-server.js";

const settings = JSON.parse(process.argv[2] ?? "{}") as FloorTurnSettings;
const nc = await connect({
  servers: settings.natsUrl,
  name: `bench-floor-turns-${randomUUID().slice(0, 8)}`,
  noAsyncTraces: !settings.natsAsyncTraces,
});
const threadSubject = (threadId: string) => `${settings.busPrefix}.floor.turns.${threadId}`;

/** Sockets per thread, and this process's one subscription per thread. */
const threads = new Map<string, { sockets: Set<WebSocket>; subscription: Subscription }>();

function subscribeSocket(socket: WebSocket, threadId: string): void {
  let thread = threads.get(threadId);
  if (!thread) {
    const sockets = new Set<WebSocket>();
    const subscription = nc.subscribe(threadSubject(threadId), {
      callback: (error, msg) => {
        if (error) return;
        const frame = msg.string();
        for (const subscriber of sockets) subscriber.send(frame);
      },
    });
    thread = { sockets, subscription };
    threads.set(threadId, thread);
  }
  thread.sockets.add(socket);
}

function unsubscribeSocket(socket: WebSocket): void {
  for (const [threadId, thread] of threads) {
    if (!thread.sockets.delete(socket) || thread.sockets.size > 0) continue;
    thread.subscription.unsubscribe();
    threads.delete(threadId);
  }
}

const notification = (method: string, params: unknown) => JSON.stringify({ method, params, emittedAtMs: Date.now() });

async function relayTurn(threadId: string, turnId: string, prompt: string, emit: (frame: string) => void): Promise<void> {
  try {
    await streamResponsesOnce(settings.providerBaseUrl, responsesRequest(prompt), (event: ResponsesEvent) => {
      switch (event.type) {
        case "response.output_text.delta":
          emit(notification("item/agentMessage/delta", { threadId, turnId, itemId: event.item_id, delta: event.delta }));
          return;
        case "response.output_item.done": {
          if (event.item?.type !== "message") return;
          const content = (event.item.content ?? []) as { type: string; text?: string }[];
          const text = content.map((part) => (part.type === "output_text" ? (part.text ?? "") : "")).join("");
          emit(notification("item/completed", { threadId, turnId, item: { type: "agentMessage", id: event.item.id, text } }));
          return;
        }
        case "response.completed":
          emit(notification("turn/completed", { threadId, turn: { id: turnId, status: "completed", items: [], error: null } }));
          return;
      }
    });
  } catch (error) {
    const turn = { id: turnId, status: "failed", items: [], error: { message: String(error) } };
    emit(notification("turn/completed", { threadId, turn }));
  }
}

function onFrame(socket: WebSocket, text: string): void {
  const frame = JSON.parse(text) as { id: number; method: string; params?: Record<string, any> };
  const params = frame.params ?? {};
  const threadId = String(params.threadId ?? "");
  if (frame.method === "thread/resume") {
    subscribeSocket(socket, threadId);
    // The subscription is at the server before the client hears it is subscribed.
    void nc.flush().then(() => socket.send(JSON.stringify({ id: frame.id, result: { thread: { id: threadId } } })));
    return;
  }
  if (frame.method === "turn/start") {
    const turnId = randomUUID();
    const prompt = String(params.input?.[0]?.text ?? "");
    socket.send(JSON.stringify({ id: frame.id, result: { turn: { id: turnId, status: "inProgress", items: [], error: null } } }));
    const subject = threadSubject(threadId);
    const emit = params.fanout === true ? (out: string) => nc.publish(subject, out) : (out: string) => socket.send(out);
    void relayTurn(threadId, turnId, prompt, emit);
    return;
  }
  socket.send(
    JSON.stringify({ id: frame.id, error: { code: -32601, message: `the turn floor does not serve ${frame.method}` } }),
  );
}

const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => {
    if (!isBinary) onFrame(socket, data.toString());
  });
  socket.on("close", () => unsubscribeSocket(socket));
});
await announceAndServe(server, nc);
