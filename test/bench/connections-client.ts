// The idle-connections scenario's clients, in a process of their own (so their memory and CPU are
// not the gateway's or the measuring process's): opens `count` WebSocket connections to the gateway,
// each with its own HS256 bearer token, sends `initialize` on each and waits for its answer, at most
// `openConcurrency` at a time. Then prints one ready line (ClientReport) and holds them open, idle
// (`ws` answers the gateway's pings by itself), until SIGTERM: then prints how many the gateway
// closed meanwhile (ClientDone), drops every socket and exits.
// Argument: one JSON object (ConnectionsClientSettings).
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { hs256Token } from "../harness/tokens.js";
import {
  CLIENT_DONE,
  CLIENT_READY,
  type ClientDone,
  type ClientReport,
  type ConnectionsClientSettings,
  IDLE_TENANT,
  idleUser,
} from "./connections-contract.js";

const settings = JSON.parse(process.argv[2] ?? "{}") as ConnectionsClientSettings;
const INITIALIZE = JSON.stringify({
  id: 1,
  method: "initialize",
  params: {
    clientInfo: { name: "switchyard-bench-idle", title: null, version: "0.169.0" },
    capabilities: { experimentalApi: false, optOutNotificationMethods: null },
  },
});

const sockets: WebSocket[] = [];
let isStopping = false;
let closedWhileIdle = 0;
const closeCodes: Record<string, number> = {};

/** Upgrade with the bearer token, then initialize; resolves once the initialize answer arrived. */
function open(token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(settings.url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no initialize answer within ${settings.openTimeoutMs} ms`));
    }, settings.openTimeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    };
    socket.once("error", fail);
    socket.once("unexpected-response", (_request, response) => fail(new Error(`upgrade refused: ${response.statusCode}`)));
    socket.once("open", () => socket.send(INITIALIZE));
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as { id?: unknown; error?: { message?: string } };
      if (message.id !== 1) return; // remoteControl/status/changed and the like
      clearTimeout(timer);
      socket.off("message", onMessage);
      socket.off("error", fail);
      if (message.error) {
        socket.terminate();
        reject(new Error(`initialize failed: ${message.error.message}`));
        return;
      }
      // Idle from here on: nothing is read but pings (answered by ws) and the odd notification.
      socket.on("error", () => {});
      socket.once("close", (code) => {
        if (isStopping) return;
        closedWhileIdle++;
        closeCodes[code] = (closeCodes[code] ?? 0) + 1;
      });
      resolve(socket);
    };
    socket.on("message", onMessage);
  });
}

const tokens = await Promise.all(
  Array.from({ length: settings.count }, (_, offset) =>
    hs256Token({ tenant: IDLE_TENANT, sub: idleUser(settings.firstIndex + offset) }, { expiresInS: 86_400 }),
  ),
);
const openMs: number[] = [];
const failures: string[] = [];
let failed = 0;
let next = 0;
const startedAtMs = Date.now();
const worker = async () => {
  while (next < tokens.length) {
    const token = tokens[next++] as string;
    const begunAt = performance.now();
    try {
      sockets.push(await open(token));
      openMs.push(performance.now() - begunAt);
    } catch (error) {
      failed++;
      if (failures.length < 5) failures.push(error instanceof Error ? error.message : String(error));
    }
  }
};
await Promise.all(Array.from({ length: Math.min(settings.openConcurrency, tokens.length) }, worker));
const finishedAtMs = Date.now();
tokens.length = 0;

const sorted = Float64Array.from(openMs).sort();
const at = (fraction: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number);
const report: ClientReport = {
  event: CLIENT_READY,
  opened: sockets.length,
  failed,
  failures,
  startedAtMs,
  finishedAtMs,
  openP50Ms: at(0.5),
  openP99Ms: at(0.99),
  rssKb: Math.round(process.memoryUsage().rss / 1024),
};

process.once("SIGTERM", () => {
  isStopping = true;
  const done: ClientDone = { event: CLIENT_DONE, closedWhileIdle, closeCodes };
  console.log(JSON.stringify(done));
  // Dropped, not closed one by one: the gateway sees every socket end (its close path runs either way).
  for (const socket of sockets) socket.terminate();
  setTimeout(() => process.exit(0), 200).unref();
});
console.log(JSON.stringify(report));
