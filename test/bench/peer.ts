// `pnpm bench --peer`: Switchyard side by side with the real Codex app-server 0.171.0, in one run.
//
// The peer is `codex app-server` from `@openai/codex@0.171.0` (installed on first use under
// .switchyard/interop, never committed; harness codex-binary.ts) on its websocket listener,
// `--listen ws://127.0.0.1:<port> --ws-auth capability-token --ws-token-file <file>`, with a temporary
// CODEX_HOME whose only model provider is the bench's scripted Responses server (turn-provider.ts,
// a process of its own). Switchyard is the harness stack (gateway + thread + config) with that same
// provider as every thread's default (scriptedProviderStackEnv, as test/turns.test.ts does). Both are
// driven by the same load generator (load.ts, harness CodexTestClient) with the same calls:
//   thread/start     {cwd}                       (the threads started are unsubscribed after each window)
//   thread/read      {threadId, includeTurns}    over 4 threads with 2 completed turns each
//   thread/list      {limit: 25}
//   thread/name/set  {threadId, name}            over the same 4 threads
//   config/read      {includeLayers: false, cwd}
//   turn             turn/start → turn/completed, 1 in flight, "bench-short" → the scripted "Done."
// Per scenario and round each side gets its own window (loaded: `--concurrency` in flight over
// `--connections` websockets, for throughput and CPU; then sequential: 1 in flight, for p50/p99), then
// everything is drained (the peer keeps working after some calls: we wait until neither side uses CPU)
// before the other side's window. Rounds alternate which side goes first; rows are medians over rounds.
// A scenario the peer answers with an error in its probe is reported as unsupported, not measured.
// Printed, and written to bench/results/<timestamp>.json (`mode: "peer"`). Exit 1 only when
// Switchyard answered with errors or wrong answers; the peer's errors are reported, not fatal.
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CodexTestClient, type RpcReply } from "../harness/client.js";
import { ensureCodexBinary } from "../harness/codex-binary.js";
import { processTree, startCodexListener } from "../harness/codex-listener.js";
import { conformance } from "../harness/conformance.js";
import { type ServiceProcess, startProcess } from "../harness/processes.js";
import { scriptedProviderStackEnv, scriptedProviderToml } from "../harness/scripted-responses.js";
import { type Stack, startStack } from "../harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "../harness/tokens.js";
import { UNLIMITED_GATEWAY_ENV } from "./config.js";
import { type CpuSource, cpuSpentMs, findProcessIds, fixedProcesses, postgresBackends, sampleCpu } from "./cpu.js";
import { type LoadResult, loadResultOf, type PlannedRequest, runLoad } from "./load.js";
import { type LoadedThreadMemory, measureLoadedThreadMemory } from "./peer-memory.js";
import { writeResults } from "./report.js";
import { SHORT_PROMPT, SHORT_REPLY, TURN_PROVIDER_READY } from "./turn-contract.js";

const CODEX_VERSION = "0.171.0";
const TENANT = "bench-peer";
const SWITCHYARD_CWD = "/workspace/bench";
const ITEM_THREADS = 4;
const TURNS_PER_ITEM_THREAD = 2;
const PROBE_TIMEOUT_MS = 10_000;
const OPTED_OUT_NOTIFICATIONS = ["thread/started", "thread/name/updated"];
const log = (text: string) => console.log(`[bench:peer] ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const PEER_SCENARIOS = ["config/read", "thread/list", "thread/read", "thread/name/set", "thread/start", "turn"] as const;
type PeerScenario = (typeof PEER_SCENARIOS)[number];
type Side = "switchyard" | "peer";

interface PeerBenchConfig {
  rounds: number;
  warmupSeconds: number;
  loadedSeconds: number;
  sequentialSeconds: number;
  turnSeconds: number;
  concurrency: number;
  connections: number;
  pauseMs: number;
  requestTimeoutMs: number;
  scenarios: PeerScenario[];
}

const USAGE = `usage: pnpm bench --peer [options]   (Switchyard beside the real codex app-server ${CODEX_VERSION})
  --rounds N         rounds, alternating which side goes first; medians reported (default 2)
  --warmup N         warm-up seconds before each loaded window (default 1)
  --seconds N        loaded window: --concurrency in flight, throughput and CPU (default 4)
  --seq-seconds N    sequential window: 1 in flight, p50/p99 (default 3)
  --turn-seconds N   turn window: turns back to back, 1 in flight (default 5)
  --concurrency N    requests in flight in the loaded window (default 16)
  --connections N    websockets per side the loaded requests are spread over (default 4)
  --pause-ms N       pause after a side's window before draining both sides (default 1000)
  --only SCENARIO    ${PEER_SCENARIOS.join(", ")} (repeatable; default all)`;

function parsePeerConfig(argv: string[]): PeerBenchConfig {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== "--" && arg !== "--peer"),
    strict: true,
    options: {
      rounds: { type: "string" },
      warmup: { type: "string" },
      seconds: { type: "string" },
      "seq-seconds": { type: "string" },
      "turn-seconds": { type: "string" },
      concurrency: { type: "string" },
      connections: { type: "string" },
      "pause-ms": { type: "string" },
      only: { type: "string", multiple: true },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${text}\n${USAGE}`);
    return value;
  };
  const selected = values.only ?? [...PEER_SCENARIOS];
  for (const name of selected) {
    if (!(PEER_SCENARIOS as readonly string[]).includes(name)) throw new Error(`unknown scenario ${name}\n${USAGE}`);
  }
  const concurrency = Math.round(positive("concurrency", values.concurrency, 16));
  return {
    rounds: Math.round(positive("rounds", values.rounds, 2)),
    warmupSeconds: positive("warmup", values.warmup, 1),
    loadedSeconds: positive("seconds", values.seconds, 4),
    sequentialSeconds: positive("seq-seconds", values["seq-seconds"], 3),
    turnSeconds: positive("turn-seconds", values["turn-seconds"], 5),
    concurrency,
    connections: Math.min(concurrency, Math.round(positive("connections", values.connections, 4))),
    pauseMs: positive("pause-ms", values["pause-ms"], 1_000),
    requestTimeoutMs: 10_000,
    scenarios: PEER_SCENARIOS.filter((name) => selected.includes(name)),
  };
}

// ---------------------------------------------------------------------------------------------
// Turns: turn/start, then the turn's turn/completed (watched on the socket, so a completion that
// arrives before the turn/start reply is not missed).

class TurnWatcher {
  private readonly completed = new Map<string, string>();
  private readonly waiters = new Map<string, (status: string) => void>();

  constructor(client: CodexTestClient) {
    client.socket.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (!text.includes('"turn/completed"')) return;
      const message = JSON.parse(text) as { method?: string; params?: { turn?: { id?: string; status?: string } } };
      const turnId = message.params?.turn?.id;
      if (message.method !== "turn/completed" || typeof turnId !== "string") return;
      const status = message.params?.turn?.status ?? "unknown";
      const waiter = this.waiters.get(turnId);
      if (waiter) {
        this.waiters.delete(turnId);
        waiter(status);
      } else this.completed.set(turnId, status);
    });
  }

  wait(turnId: string, timeoutMs: number): Promise<string> {
    const already = this.completed.get(turnId);
    if (already !== undefined) {
      this.completed.delete(turnId);
      return Promise.resolve(already);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(turnId);
        resolve("timedOut");
      }, timeoutMs);
      this.waiters.set(turnId, (status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
  }
}

const shortInput = [{ type: "text", text: SHORT_PROMPT, text_elements: [] }];

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One turn: turn/start's reply and the turn's completion; the status, or an error text. */
async function runTurn(
  client: CodexTestClient,
  watcher: TurnWatcher,
  threadId: string,
  timeoutMs: number,
): Promise<{ ok: boolean; detail: string }> {
  const reply = await withTimeout(client.request("turn/start", { threadId, input: shortInput }), timeoutMs, "turn/start").catch(
    (error: Error): RpcReply => ({ id: -1, error: { code: -1, message: error.message } }),
  );
  if (reply.error) return { ok: false, detail: `turn/start: error ${reply.error.code} ${reply.error.message}` };
  const turnId = (reply.result as { turn?: { id?: string } } | undefined)?.turn?.id;
  if (typeof turnId !== "string") return { ok: false, detail: "turn/start: no turn id" };
  const status = await watcher.wait(turnId, timeoutMs);
  return status === "completed" ? { ok: true, detail: status } : { ok: false, detail: `turn ${turnId}: ${status}` };
}

// ---------------------------------------------------------------------------------------------
// One side: its clients, the calls' params, its processes.

interface SideState {
  side: Side;
  clients: CodexTestClient[];
  watcher: TurnWatcher;
  cwd: string;
  /** Threads with TURNS_PER_ITEM_THREAD completed turns (thread/read, thread/name/set). */
  itemThreads: string[];
  /** Threads thread/start created in the current window, with the connection that started them (unsubscribed after it). */
  startedThreads: { threadId: string; connection: number }[];
  cpuSources: (scenario: PeerScenario) => CpuSource[];
  /** Why the side did not answer a scenario's probe (the scenario is then not measured on it). */
  unsupported: Map<PeerScenario, string>;
  nameCounter: number;
  cursor: number;
}

function plannedRequest(state: SideState, scenario: Exclude<PeerScenario, "turn">, connection = 0): PlannedRequest {
  switch (scenario) {
    case "config/read":
      return {
        method: "config/read",
        params: { includeLayers: false, cwd: state.cwd },
        onReply: (reply) => (isRecord(reply.result) && isRecord(reply.result.config) ? undefined : "no config object"),
      };
    case "thread/list":
      return {
        method: "thread/list",
        params: { limit: 25 },
        onReply: (reply) => (isRecord(reply.result) && Array.isArray(reply.result.data) ? undefined : "no data array"),
      };
    case "thread/read": {
      const threadId = state.itemThreads[state.cursor++ % state.itemThreads.length] as string;
      return {
        method: "thread/read",
        params: { threadId, includeTurns: true },
        onReply: (reply) => {
          const thread = isRecord(reply.result) ? reply.result.thread : undefined;
          if (!isRecord(thread) || thread.id !== threadId) return "another thread";
          const turns = Array.isArray(thread.turns) ? thread.turns.length : 0;
          return turns >= TURNS_PER_ITEM_THREAD ? undefined : `${turns} turns, expected ${TURNS_PER_ITEM_THREAD}`;
        },
      };
    }
    case "thread/name/set": {
      const threadId = state.itemThreads[state.cursor++ % state.itemThreads.length] as string;
      return { method: "thread/name/set", params: { threadId, name: `bench name ${state.nameCounter++}` } };
    }
    case "thread/start":
      return {
        method: "thread/start",
        params: { cwd: state.cwd },
        onReply: (reply) => {
          const id = isRecord(reply.result) && isRecord(reply.result.thread) ? reply.result.thread.id : undefined;
          if (typeof id !== "string") return "no thread id";
          state.startedThreads.push({ threadId: id, connection });
          return undefined;
        },
      };
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

async function startThread(state: SideState): Promise<string> {
  const client = state.clients[0] as CodexTestClient;
  const reply = await withTimeout(client.request("thread/start", { cwd: state.cwd }), PROBE_TIMEOUT_MS, "thread/start");
  if (reply.error) throw new Error(`${state.side} thread/start: ${reply.error.code} ${reply.error.message}`);
  return (reply.result as { thread: { id: string } }).thread.id;
}

/** The threads thread/read and thread/name/set use: each with TURNS_PER_ITEM_THREAD completed turns. */
async function prepareItemThreads(state: SideState): Promise<void> {
  const client = state.clients[0] as CodexTestClient;
  for (let index = 0; index < ITEM_THREADS; index++) {
    const threadId = await startThread(state);
    for (let turn = 0; turn < TURNS_PER_ITEM_THREAD; turn++) {
      const outcome = await runTurn(client, state.watcher, threadId, 30_000);
      if (!outcome.ok) throw new Error(`${state.side}: preparing a thread with items: ${outcome.detail}`);
    }
    state.itemThreads.push(threadId);
  }
}

/** One call of the scenario before measuring; an error or no answer marks the scenario unsupported on that side. */
async function probe(state: SideState, scenario: PeerScenario): Promise<void> {
  if (state.unsupported.has(scenario)) return;
  try {
    if (scenario === "turn") {
      const threadId = await startThread(state);
      state.startedThreads.push({ threadId, connection: 0 });
      const outcome = await runTurn(state.clients[0] as CodexTestClient, state.watcher, threadId, PROBE_TIMEOUT_MS);
      if (!outcome.ok) state.unsupported.set(scenario, outcome.detail);
      return;
    }
    const planned = plannedRequest(state, scenario);
    const reply = await withTimeout(
      (state.clients[0] as CodexTestClient).request(planned.method, planned.params),
      PROBE_TIMEOUT_MS,
      planned.method,
    );
    if (reply.error) state.unsupported.set(scenario, `error ${reply.error.code} ${reply.error.message}`);
    else {
      const problem = planned.onReply?.(reply);
      if (problem) state.unsupported.set(scenario, `unexpected answer: ${problem}`);
    }
  } catch (error) {
    state.unsupported.set(scenario, error instanceof Error ? error.message : String(error));
  }
  await unsubscribeStarted(state);
}

/** Unloads the threads thread/start made (Codex keeps each loaded while a connection is subscribed). */
async function unsubscribeStarted(state: SideState): Promise<void> {
  const started = state.startedThreads.splice(0);
  for (let index = 0; index < started.length; index += 32) {
    await Promise.all(
      started.slice(index, index + 32).map(({ threadId, connection }) => {
        const client = state.clients[connection] as CodexTestClient;
        return withTimeout(client.request("thread/unsubscribe", { threadId }), 10_000, "thread/unsubscribe").catch(() => 0);
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring.

interface WindowResult {
  loaded: LoadResult;
  sequential: LoadResult;
  /** CPU ms per completed request over the loaded window (the turn window for turns), per process group. */
  cpuMsPerRequest: Record<string, number>;
  drainMs: number;
}

async function measureRequests(
  state: SideState,
  scenario: Exclude<PeerScenario, "turn">,
  config: PeerBenchConfig,
): Promise<Omit<WindowResult, "drainMs">> {
  const sources = state.cpuSources(scenario);
  let before = await sampleCpu(sources);
  let spent: Record<string, number> = {};
  const loaded = await runLoad({
    clients: state.clients,
    concurrency: config.concurrency,
    warmupMs: config.warmupSeconds * 1_000,
    measureMs: config.loadedSeconds * 1_000,
    requestTimeoutMs: config.requestTimeoutMs,
    nextRequest: (connectionIndex) => plannedRequest(state, scenario, connectionIndex),
    onWindowStart: async () => {
      before = await sampleCpu(sources);
    },
    onWindowEnd: async () => {
      spent = cpuSpentMs(before, await sampleCpu(sources));
    },
  });
  const sequential = await runLoad({
    clients: [state.clients[0] as CodexTestClient],
    concurrency: 1,
    warmupMs: 300,
    measureMs: config.sequentialSeconds * 1_000,
    requestTimeoutMs: config.requestTimeoutMs,
    nextRequest: (connectionIndex) => plannedRequest(state, scenario, connectionIndex),
  });
  const perRequest: Record<string, number> = {};
  for (const [name, ms] of Object.entries(spent)) perRequest[name] = ms / Math.max(1, loaded.completed);
  return { loaded, sequential, cpuMsPerRequest: perRequest };
}

async function measureTurns(state: SideState, config: PeerBenchConfig): Promise<Omit<WindowResult, "drainMs">> {
  const client = state.clients[0] as CodexTestClient;
  const threadId = await startThread(state);
  // One warm-up turn on the window's thread.
  await runTurn(client, state.watcher, threadId, config.requestTimeoutMs);
  const sources = state.cpuSources("turn");
  const before = await sampleCpu(sources);
  const latencies: number[] = [];
  let errors = 0;
  const examples: string[] = [];
  const startedAt = performance.now();
  const end = startedAt + config.turnSeconds * 1_000;
  while (performance.now() < end) {
    const sentAt = performance.now();
    const outcome = await runTurn(client, state.watcher, threadId, config.requestTimeoutMs);
    if (client.notifications.length > 4096) client.notifications.length = 0;
    if (client.received.length > 4096) client.received.length = 0;
    if (outcome.ok) latencies.push(performance.now() - sentAt);
    else {
      errors++;
      if (examples.length < 5) examples.push(outcome.detail);
    }
  }
  const windowMs = performance.now() - startedAt;
  const spent = cpuSpentMs(before, await sampleCpu(sources));
  state.startedThreads.push({ threadId, connection: 0 });
  const result = loadResultOf(latencies, { concurrency: 1, connections: 1, windowMs, errors, wrongAnswers: 0, examples });
  const perRequest: Record<string, number> = {};
  for (const [name, ms] of Object.entries(spent)) perRequest[name] = ms / Math.max(1, result.completed);
  return { loaded: result, sequential: result, cpuMsPerRequest: perRequest };
}

/** Waits `pauseMs`, then until every process of both sides is quiet (under 10% of a core over 250 ms), at most 15 s. */
async function drain(sources: CpuSource[], pauseMs: number): Promise<number> {
  const startedAt = Date.now();
  await sleep(pauseMs);
  while (Date.now() - startedAt < 15_000) {
    const before = await sampleCpu(sources);
    await sleep(250);
    const spent = Object.values(cpuSpentMs(before, await sampleCpu(sources))).reduce((sum, value) => sum + value, 0);
    if (spent < 25) break;
  }
  return Date.now() - startedAt;
}

// ---------------------------------------------------------------------------------------------
// Rows.

function median(values: number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? (finite[middle] as number) : ((finite[middle - 1] as number) + (finite[middle] as number)) / 2;
}

const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

function medianCpu(windows: WindowResult[]): Record<string, number | null> {
  const names = new Set(windows.flatMap((window) => Object.keys(window.cpuMsPerRequest)));
  const result: Record<string, number | null> = {};
  for (const name of names) result[name] = round(median(windows.map((window) => window.cpuMsPerRequest[name] ?? 0)), 3);
  return result;
}

/** CPU ms per request of a side's own processes (the load generator is listed apart). */
const sideCpuTotal = (cpu: Record<string, number | null>) =>
  Object.entries(cpu)
    .filter(([name]) => name !== "loadgen")
    .reduce((sum, [, value]) => sum + (value ?? 0), 0);

function summarize(windows: WindowResult[]) {
  const cpu = medianCpu(windows);
  return {
    p50_ms: round(median(windows.map((window) => window.sequential.p50Ms)), 3),
    p99_ms: round(median(windows.map((window) => window.sequential.p99Ms)), 3),
    throughput_per_s: round(median(windows.map((window) => window.loaded.throughputPerSecond)), 1),
    loaded_p50_ms: round(median(windows.map((window) => window.loaded.p50Ms)), 3),
    loaded_p99_ms: round(median(windows.map((window) => window.loaded.p99Ms)), 3),
    cpu_ms_per_request: round(sideCpuTotal(cpu), 3),
    cpu_ms_per_request_by_process: cpu,
    requests: windows.reduce((sum, window) => sum + window.loaded.completed, 0),
    sequential_requests: windows.reduce(
      (sum, window) => sum + (window.sequential === window.loaded ? 0 : window.sequential.completed),
      0,
    ),
    errors: windows.reduce(
      (sum, window) => sum + window.loaded.errors + (window.sequential === window.loaded ? 0 : window.sequential.errors),
      0,
    ),
    wrong_answers: windows.reduce(
      (sum, window) =>
        sum + window.loaded.wrongAnswers + (window.sequential === window.loaded ? 0 : window.sequential.wrongAnswers),
      0,
    ),
    examples: [...new Set(windows.flatMap((window) => [...window.loaded.examples, ...window.sequential.examples]))].slice(0, 5),
    drain_ms: windows.map((window) => window.drainMs),
  };
}

type Summary = ReturnType<typeof summarize>;

interface PeerRow {
  scenario: string;
  p50_ms: number | null;
  p99_ms: number | null;
  throughput_per_s: number | null;
  peer_p50_ms: number | null;
  peer_p99_ms: number | null;
  peer_throughput_per_s: number | null;
  /** Switchyard throughput / peer throughput (loaded; for turns, 1 in flight). */
  throughput_ratio: number | null;
  /** peer p50 / Switchyard p50 (sequential): above 1, Switchyard answers faster. */
  p50_ratio: number | null;
  cpu_ms_per_request: number | null;
  peer_cpu_ms_per_request: number | null;
  concurrency: number;
  connections: number;
  rounds: number;
  /** "ok", or why the peer was not measured (its probe's error). */
  peer_status: string;
  switchyard_status: string;
  switchyard: Summary | null;
  peer: Summary | null;
}

function buildPeerRow(
  scenario: PeerScenario,
  config: PeerBenchConfig,
  windows: Record<Side, WindowResult[]>,
  states: Record<Side, SideState>,
): PeerRow {
  const ours = windows.switchyard.length > 0 ? summarize(windows.switchyard) : null;
  const theirs = windows.peer.length > 0 ? summarize(windows.peer) : null;
  const ratio = (numerator: number | null | undefined, denominator: number | null | undefined) =>
    numerator != null && denominator != null && denominator > 0 ? round(numerator / denominator, 2) : null;
  const isTurn = scenario === "turn";
  return {
    scenario: isTurn ? "turn (start→completed)" : scenario,
    p50_ms: ours?.p50_ms ?? null,
    p99_ms: ours?.p99_ms ?? null,
    throughput_per_s: ours?.throughput_per_s ?? null,
    peer_p50_ms: theirs?.p50_ms ?? null,
    peer_p99_ms: theirs?.p99_ms ?? null,
    peer_throughput_per_s: theirs?.throughput_per_s ?? null,
    throughput_ratio: ratio(ours?.throughput_per_s, theirs?.throughput_per_s),
    p50_ratio: ratio(theirs?.p50_ms, ours?.p50_ms),
    cpu_ms_per_request: ours?.cpu_ms_per_request ?? null,
    peer_cpu_ms_per_request: theirs?.cpu_ms_per_request ?? null,
    concurrency: isTurn ? 1 : config.concurrency,
    connections: isTurn ? 1 : config.connections,
    rounds: config.rounds,
    peer_status: states.peer.unsupported.get(scenario) ?? "ok",
    switchyard_status: states.switchyard.unsupported.get(scenario) ?? "ok",
    switchyard: ours,
    peer: theirs,
  };
}

function formatPeerRows(rows: PeerRow[], config: PeerBenchConfig): string {
  const number = (value: number | null, digits: number) => (value === null ? "-" : value.toFixed(digits));
  const header = [
    "scenario",
    "SY p50",
    "SY p99",
    "SY thr/s",
    "peer p50",
    "peer p99",
    "peer thr/s",
    "thr SY/peer",
    "p50 peer/SY",
    "SY cpu ms/req",
    "peer cpu ms/req",
  ];
  const lines = rows.map((row) => [
    row.scenario,
    number(row.p50_ms, 3),
    number(row.p99_ms, 3),
    number(row.throughput_per_s, 0),
    number(row.peer_p50_ms, 3),
    number(row.peer_p99_ms, 3),
    number(row.peer_throughput_per_s, 0),
    number(row.throughput_ratio, 2),
    number(row.p50_ratio, 2),
    number(row.cpu_ms_per_request, 3),
    number(row.peer_cpu_ms_per_request, 3),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? "").length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number)))
      .join("  ");
  const notes = rows.flatMap((row) => [
    ...(row.peer_status === "ok" ? [] : [`${row.scenario}: peer not measured (${row.peer_status})`]),
    ...(row.switchyard_status === "ok" ? [] : [`${row.scenario}: Switchyard not measured (${row.switchyard_status})`]),
    ...(["switchyard", "peer"] as const).flatMap((side) => {
      const summary = row[side];
      return summary && summary.errors + summary.wrong_answers > 0
        ? [
            `${row.scenario} ${side}: ${summary.errors} errors, ${summary.wrong_answers} wrong answers (${summary.examples.join("; ")})`,
          ]
        : [];
    }),
  ]);
  return [
    `codex app-server ${CODEX_VERSION} (peer) beside Switchyard (SY): ${config.concurrency} in flight over ${config.connections} websockets ` +
      `for ${config.loadedSeconds} s (thr/s, CPU), then 1 in flight for ${config.sequentialSeconds} s (p50/p99 ms); turns 1 in flight ` +
      `for ${config.turnSeconds} s; ${config.rounds} round(s), sides alternating, medians`,
    "CPU ms/req: the side's processes over the loaded window (SY: gateway, thread, config, nats-server, redis-server, its Postgres " +
      "backends; peer: the codex process tree; both: the scripted provider for turns), load generator apart",
    "",
    render(header),
    render(widths.map((width) => "-".repeat(width))),
    ...lines.map(render),
    ...(notes.length > 0 ? ["", ...notes] : []),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------

export async function runPeerBench(argv: string[]): Promise<number> {
  const config = parsePeerConfig(argv);
  const startedAt = Date.now();
  const cleanups: (() => Promise<unknown>)[] = [];
  let isTornDown = false;
  const teardown = async () => {
    if (isTornDown) return;
    isTornDown = true;
    for (const cleanup of cleanups.reverse()) {
      await withTimeout(cleanup(), 20_000, "teardown").catch((error) => console.error(`[bench:peer] teardown: ${String(error)}`));
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`[bench:peer] ${signal}: stopping`);
    void teardown().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const windowSeconds = config.warmupSeconds + config.loadedSeconds + config.sequentialSeconds + config.pauseMs / 1_000 + 3;
  const expectedSeconds = 120 + config.rounds * config.scenarios.length * 2 * Math.max(windowSeconds, config.turnSeconds + 5);
  const watchdog = setTimeout(
    () => {
      console.error(`[bench:peer] still running after ${Math.round(expectedSeconds + 120)} s; giving up`);
      void teardown().finally(() => process.exit(2));
    },
    (expectedSeconds + 120) * 1_000,
  );
  try {
    const binary = ensureCodexBinary(CODEX_VERSION);
    const provider: ServiceProcess & { readyLine: string } = await startProcess(
      "turn provider",
      "test/bench/turn-provider.ts",
      {},
      (line) => line.includes(TURN_PROVIDER_READY),
    );
    cleanups.push(() => provider.stop());
    const providerBaseUrl = (JSON.parse(provider.readyLine) as { baseUrl: string }).baseUrl;
    log(`scripted provider at ${providerBaseUrl} ("${SHORT_PROMPT}" → "${SHORT_REPLY}")`);

    // Every Switchyard process can be made to collect its garbage before the memory row reads it.
    const collectable = { NODE_OPTIONS: `--expose-gc --import ${fileURLToPath(new URL("./gc-preload.mjs", import.meta.url))}` };
    const stackEnv = scriptedProviderStackEnv(scriptedProviderToml(providerBaseUrl));
    const stack: Stack = await startStack("bench_peer", {
      threads: 1,
      gatewayEnv: {
        GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
        GATEWAY_AUTH_DEFAULT_TENANT: TENANT,
        ...UNLIMITED_GATEWAY_ENV,
        ...collectable,
      },
      configEnv: { ...stackEnv.configEnv, ...collectable },
      threadEnv: { ...stackEnv.threadEnv, ...collectable },
    });
    cleanups.push(() => stack.stop());
    log(`Switchyard stack up at ${stack.url}`);

    const peer = await startCodexListener(binary, { providerBaseUrl });
    cleanups.push(() => peer.stop());
    log(`peer codex app-server ${CODEX_VERSION} at ${peer.url} (--ws-auth capability-token), cwd ${peer.cwd}`);

    // Switchyard: connection i is user bench-peer-user-<i> of one tenant (as `pnpm bench` does); the
    // peer serves one user, the capability token's holder, on every connection.
    const switchyardClients = await Promise.all(
      Array.from({ length: config.connections }, async (_, index) =>
        CodexTestClient.open(stack.url, {
          name: `switchyard-bench-peer-${index}`,
          optOut: OPTED_OUT_NOTIFICATIONS,
          token: await hs256Token({ tenant: TENANT, sub: `bench-peer-user-${index}` }, { expiresInS: 86_400 }),
        }),
      ),
    );
    const peerClients = await Promise.all(
      Array.from({ length: config.connections }, (_, index) =>
        CodexTestClient.open(peer.url, {
          name: `switchyard-bench-peer-${index}`,
          optOut: OPTED_OUT_NOTIFICATIONS,
          token: peer.token,
        }),
      ),
    );
    cleanups.push(() => Promise.all([...switchyardClients, ...peerClients].map((client) => client.close().catch(() => 0))));

    const shared = (name: string) => fixedProcesses(name, findProcessIds(name));
    const providerSource = fixedProcesses("provider", [provider.child.pid]);
    const loadgen = fixedProcesses("loadgen", [process.pid]);
    const switchyardSources = (scenario: PeerScenario): CpuSource[] => [
      fixedProcesses(
        "gateway",
        stack.gateways.map((gateway) => gateway.child.pid),
      ),
      fixedProcesses(
        "thread",
        stack.threads.map((thread) => thread.child.pid),
      ),
      fixedProcesses(
        "config",
        stack.configs.map((configService) => configService.child.pid),
      ),
      shared("nats-server"),
      shared("redis-server"),
      postgresBackends(stack.infra.pool),
      ...(scenario === "turn" ? [providerSource] : []),
      loadgen,
    ];
    const peerTree: CpuSource = { name: "codex", processIds: async () => processTree(peer.child.pid) };
    const peerSources = (scenario: PeerScenario): CpuSource[] => [
      peerTree,
      ...(scenario === "turn" ? [providerSource] : []),
      loadgen,
    ];
    const states: Record<Side, SideState> = {
      switchyard: {
        side: "switchyard",
        clients: switchyardClients,
        watcher: new TurnWatcher(switchyardClients[0] as CodexTestClient),
        cwd: SWITCHYARD_CWD,
        itemThreads: [],
        startedThreads: [],
        cpuSources: switchyardSources,
        unsupported: new Map(),
        nameCounter: 0,
        cursor: 0,
      },
      peer: {
        side: "peer",
        clients: peerClients,
        watcher: new TurnWatcher(peerClients[0] as CodexTestClient),
        cwd: peer.cwd,
        itemThreads: [],
        startedThreads: [],
        cpuSources: peerSources,
        unsupported: new Map(),
        nameCounter: 0,
        cursor: 0,
      },
    };
    const everything = [...switchyardSources("turn").filter((source) => source !== loadgen), peerTree];

    log(`preparing ${ITEM_THREADS} threads with ${TURNS_PER_ITEM_THREAD} turns each on both sides`);
    for (const side of ["switchyard", "peer"] as const) {
      await prepareItemThreads(states[side]).catch((error: unknown) => {
        const reason = `no thread with items: ${error instanceof Error ? error.message : String(error)}`;
        for (const scenario of ["thread/read", "thread/name/set"] as const) states[side].unsupported.set(scenario, reason);
      });
    }
    for (const scenario of config.scenarios) {
      for (const side of ["switchyard", "peer"] as const) await probe(states[side], scenario);
    }
    for (const side of ["switchyard", "peer"] as const) {
      for (const [scenario, reason] of states[side].unsupported) log(`${side} does not answer ${scenario}: ${reason}`);
    }
    await drain(everything, config.pauseMs);

    const rows: PeerRow[] = [];
    const passes: Record<string, Record<Side, WindowResult[]>> = {};
    for (const scenario of config.scenarios) {
      const windows: Record<Side, WindowResult[]> = { switchyard: [], peer: [] };
      passes[scenario] = windows;
      for (let index = 0; index < config.rounds; index++) {
        const order: Side[] = index % 2 === 0 ? ["peer", "switchyard"] : ["switchyard", "peer"];
        for (const side of order) {
          const state = states[side];
          if (state.unsupported.has(scenario)) continue;
          conformance.failures.length = 0; // the peer's frames are not Switchyard's to conform
          let measured: Omit<WindowResult, "drainMs">;
          try {
            measured = scenario === "turn" ? await measureTurns(state, config) : await measureRequests(state, scenario, config);
          } catch (error) {
            state.unsupported.set(scenario, `window failed: ${error instanceof Error ? error.message : String(error)}`);
            log(`${scenario} round ${index + 1} ${side}: ${state.unsupported.get(scenario)}`);
            await unsubscribeStarted(state);
            await drain(everything, config.pauseMs);
            continue;
          }
          await unsubscribeStarted(state);
          const drainMs = await drain(everything, config.pauseMs);
          windows[side].push({ ...measured, drainMs });
          const cpuTotal = sideCpuTotal(measured.cpuMsPerRequest);
          log(
            `${scenario} round ${index + 1} ${side}: p50 ${measured.sequential.p50Ms.toFixed(3)} ms, p99 ${measured.sequential.p99Ms.toFixed(3)} ms, ` +
              `${measured.loaded.throughputPerSecond.toFixed(1)}/s, ${cpuTotal.toFixed(3)} CPU ms/req, ` +
              `${measured.loaded.errors + (scenario === "turn" ? 0 : measured.sequential.errors)} errors; drained in ${drainMs} ms`,
          );
        }
      }
      rows.push(buildPeerRow(scenario, config, windows, states));
    }

    const memory = await measureMemoryRow(states, {
      switchyard: () => [
        { name: "gateway", pids: stack.gateways.map((service) => service.child.pid as number) },
        { name: "thread", pids: stack.threads.map((service) => service.child.pid as number) },
        { name: "config", pids: stack.configs.map((service) => service.child.pid as number) },
      ],
      peer: () => [{ name: "codex", pids: processTree(peer.child.pid) }],
      settle: () => drain(everything, config.pauseMs),
      collect: { switchyard: collectGarbage, peer: async () => {} },
    });

    console.log(`\n${formatPeerRows(rows, config)}\n`);
    console.log(`${formatMemoryRow(memory)}\n`);
    const path = writeResults({
      mode: "peer",
      startedAt: new Date(startedAt).toISOString(),
      peer: { codexVersion: CODEX_VERSION, transport: "websocket", auth: "capability-token" },
      config,
      rows,
      memory,
      passes,
    });
    log(`results written to ${path}`);
    const failures = rows.flatMap((row) =>
      row.switchyard && row.switchyard.errors + row.switchyard.wrong_answers > 0
        ? [`${row.scenario}: ${row.switchyard.errors} errors, ${row.switchyard.wrong_answers} wrong answers`]
        : row.switchyard_status !== "ok"
          ? [`${row.scenario}: ${row.switchyard_status}`]
          : [],
    );
    if (failures.length > 0) {
      console.error(`[bench:peer] Switchyard FAILED: ${failures.join("; ")}`);
      return 1;
    }
    return 0;
  } finally {
    await teardown();
    clearTimeout(watchdog);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory per loaded thread (peer-memory.ts).

/** Below this (kB per loaded thread) RSS cannot tell a cost from noise. */
const MEMORY_RESOLUTION_KB = 0.1;

/** How long a Switchyard process is given to run its collections after SIGUSR2 (gc-preload.mjs). */
const COLLECT_WAIT_MS = 1_000;

/**
 * Full garbage collections in Switchyard's processes (started with gc-preload.mjs), so that their
 * RSS is what they keep. The peer is Rust: it frees as it goes, and has nothing to collect.
 */
async function collectGarbage(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGUSR2");
    } catch {
      // gone: it counts 0
    }
  }
  await new Promise((resolve) => setTimeout(resolve, COLLECT_WAIT_MS));
}

/** Threads each side loads for the memory row: the peer is slow to start threads (about 8/s). */
const MEMORY_THREADS: Record<Side, number> = { switchyard: 5_000, peer: 40 };

interface MemoryRow {
  scenario: "memory/loaded-thread";
  rss_per_loaded_thread_kb: number | null;
  peer_rss_per_loaded_thread_kb: number | null;
  /** peer per-thread RSS / Switchyard per-thread RSS: above 1, a loaded thread costs Switchyard less. */
  ratio: number | null;
  switchyard: LoadedThreadMemory | { failed: string };
  peer: LoadedThreadMemory | { failed: string };
}

async function measureMemoryRow(
  states: Record<Side, SideState>,
  sides: {
    switchyard: () => { name: string; pids: number[] }[];
    peer: () => { name: string; pids: number[] }[];
    settle: () => Promise<unknown>;
    /** Brings each side's processes to what they keep before their RSS is read. */
    collect: Record<Side, (pids: number[]) => Promise<void>>;
  },
): Promise<MemoryRow> {
  const measured: Partial<Record<Side, LoadedThreadMemory | { failed: string }>> = {};
  for (const side of ["peer", "switchyard"] as const) {
    const state = states[side];
    try {
      const unload = async (threadIds: string[]) => {
        state.startedThreads.push(...threadIds.map((threadId) => ({ threadId, connection: 0 })));
        await unsubscribeStarted(state);
      };
      const result = await measureLoadedThreadMemory({
        client: state.clients[0] as CodexTestClient,
        cwd: state.cwd,
        count: MEMORY_THREADS[side],
        inFlight: side === "peer" ? 4 : 16,
        groups: sides[side],
        settle: sides.settle,
        collect: sides.collect[side],
        unload,
        timeoutMs: 30_000,
      });
      const { threadIds, byGroupKb, ...figures } = result;
      measured[side] = figures;
      const breakdown = Object.entries(byGroupKb)
        .map(([name, kb]) => `${name} ${kb.toFixed(1)}`)
        .join(", ");
      log(
        `memory ${side}: ${figures.threads} loaded threads, RSS ${figures.rssBeforeKb} → ${figures.rssAfterKb} kB, ` +
          `${figures.perThreadKb.toFixed(1)} kB per loaded thread (${breakdown}), ${figures.errors} errors`,
      );
      await unload(threadIds);
    } catch (error) {
      measured[side] = { failed: error instanceof Error ? error.message : String(error) };
      log(`memory ${side}: failed: ${(measured[side] as { failed: string }).failed}`);
    }
  }
  const perThread = (side: Side) => {
    const figures = measured[side];
    return figures && "perThreadKb" in figures && Number.isFinite(figures.perThreadKb) ? figures.perThreadKb : null;
  };
  const own = perThread("switchyard");
  const theirs = perThread("peer");
  return {
    scenario: "memory/loaded-thread",
    rss_per_loaded_thread_kb: own,
    peer_rss_per_loaded_thread_kb: theirs,
    // A per-thread cost under 0.1 kB is below what RSS can tell apart: the ratio uses 0.1 kB then,
    // and there is no ratio when the peer's own cost is below that too (nothing was measured).
    ratio:
      own !== null && theirs !== null && theirs >= MEMORY_RESOLUTION_KB ? theirs / Math.max(own, MEMORY_RESOLUTION_KB) : null,
    switchyard: measured.switchyard ?? { failed: "not measured" },
    peer: measured.peer ?? { failed: "not measured" },
  };
}

function formatMemoryRow(row: MemoryRow): string {
  const kb = (value: number | null) => (value === null ? "-" : value.toFixed(1));
  const unresolved =
    row.peer_rss_per_loaded_thread_kb !== null && row.peer_rss_per_loaded_thread_kb < MEMORY_RESOLUTION_KB
      ? "not measured: the peer's RSS did not grow with its loaded threads this run (below what RSS tells apart)"
      : "-";
  const verdict = row.ratio === null ? unresolved : row.ratio >= 100 ? ">=100x ok" : ">=100x MISS";
  // Switchyard's growth below the resolution: the ratio was taken against the resolution, a lower bound.
  const atLeast = row.rss_per_loaded_thread_kb !== null && row.rss_per_loaded_thread_kb < MEMORY_RESOLUTION_KB ? "at least " : "";
  return [
    "memory per loaded thread (RSS of the side's processes, kB)",
    `  Switchyard ${kb(row.rss_per_loaded_thread_kb)} kB (${MEMORY_THREADS.switchyard} threads), ` +
      `peer ${kb(row.peer_rss_per_loaded_thread_kb)} kB (${MEMORY_THREADS.peer} threads), ` +
      `peer/Switchyard ${row.ratio === null ? "-" : `${atLeast}${row.ratio.toFixed(0)}`}x  target ${verdict}`,
  ].join("\n");
}
