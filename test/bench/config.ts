// Benchmark settings: every command-line flag `pnpm bench` accepts, parsed here and nowhere else.
import { parseArgs } from "node:util";

export interface BenchConfig {
  /** Length of each measured loaded pass at full concurrency (one per target per round). */
  measureSeconds: number;
  /** Load applied to each target once per scenario (and run) before its passes, not recorded (JIT, pools, consumers warm up). */
  warmupSeconds: number;
  /** Length of each one-at-a-time pass that yields p50/p99 latency (one per target per round). */
  sequentialSeconds: number;
  /** Requests in flight during the concurrent window, spread evenly over `connections`. */
  concurrency: number;
  connections: number;
  /** Threads seeded through the gateway (thread/start); reads cycle over all of them, writes spread over them. */
  threads: number;
  /** Each write connection renames this many threads (overlapping, so threads have several writers). */
  threadsPerWriter: number;
  /** Request scenarios: rounds of one short pass per target, order rotating (S F, F S, …); rows are interquartile means of per-round ratios. */
  rounds: number;
  /** The whole request-scenario measurement is repeated this many times in one invocation, to show cross-run spread. */
  runs: number;
  /**
   * A request-scenario round whose passes saw more CPU outside the bench's processes than this (% of one
   * core) does not count as quiet: each phase runs rounds until `rounds` were quiet (at most 2 × rounds)
   * and scores the least disturbed (background.ts, main.ts).
   */
  maxBackgroundCpuPercent: number;
  /** The request scenarios selected (thread/read, thread/name/set, config/read, thread/start). */
  scenarios: ScenarioName[];
  /** The turn scenarios selected (turn/delta, turn/throughput, turn/fanout; README "Turns"). */
  turnScenarios: TurnScenarioName[];
  /** The turn scenarios' settings (turns.ts). */
  turns: TurnSettings;
  /** Also measure thread/name/set against a keyed floor running thread/name/set's own statement. */
  isCteFloor: boolean;
  /** The gateway's thread/read cache turned off (GATEWAY_READ_CACHE_ENTRIES=0): every read takes the full path. */
  isReadCacheOff: boolean;
  /** Run the floors with nats.js's default per-request async stack traces (off by default). */
  isFloorAsyncTraces: boolean;
  /** Where the gateway, thread service and floor processes write V8 CPU profiles (`--cpu-prof`), if set. */
  cpuProfileDirectory: string | undefined;
  /** A request not answered within this is counted as an error, so a lost reply cannot hang the bench. */
  requestTimeoutMs: number;
}

export const SCENARIOS = ["thread/read", "thread/name/set", "config/read", "thread/start"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export const TURN_SCENARIOS = ["turn/delta", "turn/throughput", "turn/fanout"] as const;
export type TurnScenarioName = (typeof TURN_SCENARIOS)[number];
const ALL_SCENARIOS: readonly string[] = [...SCENARIOS, ...TURN_SCENARIOS];

export interface TurnSettings {
  /** Rounds of the turn scenarios (system and floor alternate who goes first); rows are medians over rounds. */
  rounds: number;
  /** Measured seconds per turn pass (each scenario, target and round). */
  seconds: number;
  /** Seconds of turns run before each measured window and discarded. */
  warmupSeconds: number;
  /** turn/throughput: connections, each running turns back to back on its own thread (= turns in flight). */
  concurrency: number;
  /** turn/fanout: subscribers of the thread, split over two gateways. */
  fanoutClients: number;
  /** Stamped deltas per turn (turn/delta, turn/fanout) and the provider's gap between them. */
  deltas: number;
  deltaGapMs: number;
  /** A turn not completed within this is an error. */
  turnTimeoutMs: number;
}

const USAGE = `usage: pnpm bench -- [options]
  --seconds N           measured seconds of each loaded pass (full concurrency), per target and round (default 1)
  --warmup N            warm-up seconds per target, once per request scenario and run (default 1)
  --seq-seconds N       measured seconds of each sequential (1 in flight) pass, per target and round (default 0.5)
  --concurrency N       requests in flight (default 64)
  --connections N       websocket connections the in-flight requests are spread over (default 8)
  --threads N           threads seeded (default 32)
  --threads-per-writer N  threads each write connection renames (default 8)
  --rounds N            request scenarios: rounds of interleaved system/floor passes (order S F, F S, …);
                        rows report interquartile means of per-round ratios (default 16)
  --runs N              repeat the request scenarios' whole measurement N times in one invocation and
                        print each ratio's spread across runs (stable: within ±10% of the median; default 1)
  --max-background-cpu N  a request-scenario round whose passes saw more than N% of a core busy outside
                        the bench's processes (another user's build, say) is run again; each phase
                        scores the --rounds least disturbed of at most 2 × --rounds (default 30; a
                        large value such as 1000 turns it off)
  --only SCENARIO       thread/read, thread/name/set, config/read, thread/start, turn/delta,
                        turn/throughput or turn/fanout (repeatable; default all seven); fairness/thread-read runs
                        on its own (two tenants, one flooding; its flags: --rounds, --seconds,
                        --flood-rate, --flood-connections, --flood-in-flight, --threads);
                        connections/idle runs on its own (N idle, initialized connections on one
                        gateway: RSS per connection, accept time, thread/read p99 among them; its
                        flags: --connections (10000), --seconds, --warmup, --settle, --threads,
                        --open-concurrency, --client-processes)
  --turn-rounds N       rounds of the turn scenarios, alternating system/floor order (default 2)
  --turn-seconds N      measured seconds per turn pass (default 4)
  --turn-warmup N       warm-up seconds before each turn pass (default 1)
  --turn-concurrency N  turn/throughput: connections, each running turns on its own thread (default 16)
  --fanout-clients N    turn/fanout: subscribers of the thread over two gateways (default 100)
  --deltas N            stamped deltas per turn in turn/delta and turn/fanout (default 20)
  --delta-gap-ms N      the provider's gap between them (default 5)
  --no-read-cache       run the system's gateway without its read cache (every thread/read and config/read takes the whole path)
  --cte-floor           also run a keyed floor with thread/name/set's own CTE (lane cost vs statement cost)
  --floor-async-traces  run the floors with nats.js's per-request async stack traces (default off)
  --peer                Switchyard beside the real codex app-server 0.171.0, same calls (its flags: --peer --help)
  --cpu-prof DIR        write V8 CPU profiles of the gateway, thread service and floor processes into DIR
  --help`;

/**
 * Gateway settings that move its rate limits out of the way: a bench measures the request path, not
 * a tenant's limit (still checked on every request, never reached). The fairness bench keeps its own.
 */
export const UNLIMITED_GATEWAY_ENV: Record<string, string> = {
  GATEWAY_LIMIT_REQUESTS_PER_S: "1000000",
  GATEWAY_LIMIT_REQUEST_BURST: "1000000",
  GATEWAY_LIMIT_TOKEN_REQUESTS_PER_S: "1000000",
  GATEWAY_LIMIT_TOKEN_REQUEST_BURST: "1000000",
};

/** A flag's positive number (its fallback when absent); a bad value is an error naming the flag. */
export function positiveFlag(flag: string, value: string | undefined, fallback: number, isInteger = false, usage = ""): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (isInteger && !Number.isInteger(parsed))) {
    throw new Error(`--${flag} must be a positive ${isInteger ? "integer" : "number"}, got ${value}${usage ? `\n${usage}` : ""}`);
  }
  return parsed;
}

const positiveNumber = (flag: string, value: string | undefined, fallback: number, isInteger: boolean) =>
  positiveFlag(flag, value, fallback, isInteger, USAGE);

function parseFlags(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    options: {
      seconds: { type: "string" },
      warmup: { type: "string" },
      "seq-seconds": { type: "string" },
      concurrency: { type: "string" },
      connections: { type: "string" },
      threads: { type: "string" },
      "threads-per-writer": { type: "string" },
      rounds: { type: "string" },
      runs: { type: "string" },
      "max-background-cpu": { type: "string" },
      "turn-rounds": { type: "string" },
      "turn-seconds": { type: "string" },
      "turn-warmup": { type: "string" },
      "turn-concurrency": { type: "string" },
      "fanout-clients": { type: "string" },
      deltas: { type: "string" },
      "delta-gap-ms": { type: "string" },
      only: { type: "string", multiple: true },
      "cpu-prof": { type: "string" },
      "floor-async-traces": { type: "boolean" },
      "cte-floor": { type: "boolean" },
      "no-read-cache": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
}

export function parseBenchConfig(argv: string[]): BenchConfig {
  // `pnpm bench -- --seconds 5` hands the separator through; drop it so the flags after it count.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const selected = values.only ?? ALL_SCENARIOS;
  for (const name of selected) {
    if (!ALL_SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}; expected one of ${ALL_SCENARIOS.join(", ")}`);
  }
  const scenarios = SCENARIOS.filter((name) => selected.includes(name));
  const turnScenarios = TURN_SCENARIOS.filter((name) => selected.includes(name));
  const concurrency = positiveNumber("concurrency", values.concurrency, 64, true);
  const connections = Math.min(positiveNumber("connections", values.connections, 8, true), concurrency);
  const threads = positiveNumber("threads", values.threads, 32, true);
  return {
    measureSeconds: positiveNumber("seconds", values.seconds, 1, false),
    warmupSeconds: positiveNumber("warmup", values.warmup, 1, false),
    sequentialSeconds: positiveNumber("seq-seconds", values["seq-seconds"], 0.5, false),
    concurrency,
    connections,
    threads,
    threadsPerWriter: Math.min(positiveNumber("threads-per-writer", values["threads-per-writer"], 8, true), threads),
    rounds: positiveNumber("rounds", values.rounds, 16, true),
    runs: positiveNumber("runs", values.runs, 1, true),
    maxBackgroundCpuPercent: positiveNumber("max-background-cpu", values["max-background-cpu"], 30, false),
    scenarios,
    turnScenarios,
    turns: {
      rounds: positiveNumber("turn-rounds", values["turn-rounds"], 2, true),
      seconds: positiveNumber("turn-seconds", values["turn-seconds"], 4, false),
      warmupSeconds: positiveNumber("turn-warmup", values["turn-warmup"], 1, false),
      concurrency: positiveNumber("turn-concurrency", values["turn-concurrency"], 16, true),
      fanoutClients: positiveNumber("fanout-clients", values["fanout-clients"], 100, true),
      deltas: positiveNumber("deltas", values.deltas, 20, true),
      deltaGapMs: positiveNumber("delta-gap-ms", values["delta-gap-ms"], 5, true),
      turnTimeoutMs: 15_000,
    },
    isCteFloor: values["cte-floor"] === true,
    isReadCacheOff: values["no-read-cache"] === true,
    isFloorAsyncTraces: values["floor-async-traces"] === true,
    cpuProfileDirectory: values["cpu-prof"],
    requestTimeoutMs: 15_000,
  };
}
