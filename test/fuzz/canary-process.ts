// The well-behaved connection's own process (started by canary.ts over an IPC channel):
//   node --import tsx test/fuzz/canary-process.ts <gateway url> <token>
// One thread/start, then thread/read and thread/name/set on that thread, one at a time, until told
// to stop; every latency and failure is reported to the parent. If the parent goes away, it exits.
import type { CodexTestClient, RpcReply } from "../harness/client.js";
import { CANARY_METHODS, type CanaryCommand, type CanaryPhase, type CanaryReport } from "./canary.js";
import { openClient } from "./connection.js";
import { after, describeReply } from "./frames.js";

const REQUEST_LIMIT_MS = 15_000;
const [initialUrl, token] = process.argv.slice(2) as [string, string];

/** Undefined until the parent starts the first window: setup traffic is not measured. */
let phase: CanaryPhase | undefined;
let stopping = false;
let reconnectTo: ((url: string | undefined) => void) | undefined;

const report = (message: CanaryReport) => {
  if (process.connected) process.send?.(message);
};

process.on("message", (command: CanaryCommand) => {
  if (command.kind === "phase") phase = command.phase;
  if (command.kind === "reconnect") reconnectTo?.(command.url);
  if (command.kind === "stop") {
    stopping = true;
    reconnectTo?.(undefined);
  }
});
process.on("disconnect", () => process.exit(0));

const connect = (url: string): Promise<CodexTestClient> => openClient(url, { token, name: "fuzz-canary" });

/** Waits for the parent to name a gateway to reconnect to (undefined: stop). */
async function nextGateway(): Promise<CodexTestClient | undefined> {
  while (!stopping) {
    report({ kind: "disconnected" });
    const url = await new Promise<string | undefined>((resolve) => {
      reconnectTo = resolve;
    });
    if (url === undefined) return undefined;
    try {
      return await connect(url);
    } catch (error) {
      report({ kind: "failure", phase: phase ?? "baseline", detail: `reconnecting failed: ${String(error).slice(0, 200)}` });
      await after(500, undefined);
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  let client: CodexTestClient | undefined;
  let threadId: string;
  try {
    client = await connect(initialUrl);
    threadId = (await client.call("thread/start", {})).thread.id;
  } catch (error) {
    report({ kind: "startFailed", detail: String(error).slice(0, 300) });
    return;
  }
  report({ kind: "ready", threadId });
  while (phase === undefined && !stopping) await after(20, undefined);
  let sequence = 0;
  while (!stopping) {
    if (!client || client.closeCode !== undefined) {
      client = await nextGateway();
      if (!client) break;
    }
    for (const method of CANARY_METHODS) {
      if (stopping) break;
      const params = method === "thread/read" ? { threadId } : { threadId, name: `canary#${sequence++}` };
      const requestPhase = phase ?? "baseline";
      const startedAt = performance.now();
      const current: CodexTestClient = client;
      const reply: RpcReply | "closed" | "timeout" = await Promise.race([
        current.request(method, params),
        current.closed.then(() => "closed" as const),
        after(REQUEST_LIMIT_MS, "timeout" as const),
      ]);
      const latencyMs = performance.now() - startedAt;
      if (reply === "closed") {
        report({ kind: "failure", phase: requestPhase, detail: `${method}: connection closed (${current.closeCode})` });
        break;
      }
      // Failed requests count in the latencies too: a deadline error is a 10-second wait.
      report({ kind: "latency", phase: requestPhase, method, latencyMs });
      if (reply === "timeout")
        report({ kind: "failure", phase: requestPhase, detail: `${method}: no reply within ${REQUEST_LIMIT_MS} ms` });
      else if (reply.error) {
        report({
          kind: "failure",
          phase: requestPhase,
          detail: `${method} after ${Math.round(latencyMs)} ms: ${describeReply(reply)}`,
        });
      }
    }
  }
  await client?.close();
}

await main();
process.disconnect?.();
