// `pnpm bench`: Switchyard against its floors, measured in one run on one machine.
//
// Starts a fresh database and bus prefix (harness infra), the real thread service, config service
// (thread/start asks it for the new thread's config) and gateway, and the two floor processes
// (test/bench/floor). Each connection is its own user (an HS256 token per connection on the system
// side, the same user names on the floor side). Seeds threads through the gateway and each user's
// config cache, then per request scenario drives each target with the same load generator: a warm-up
// per target, then rounds of short interleaved passes, one per target per round, order rotating each
// round (S F, F S, …): loaded passes (`concurrency` in flight over `connections` websockets) for
// throughput, then sequential passes (1 in flight) for p50/p99. Rows report medians of per-round
// ratios and their spread; --runs repeats the whole measurement to show the spread across runs.
//   thread/read      unkeyed lane: ws → gateway → core NATS → thread service → Postgres SELECT
//   thread/name/set  keyed lane: ws → gateway → JetStream partition → thread service → Postgres CTE
//   config/read      keyed lane (shared read): ws → gateway → JetStream partition → config service →
//                    Postgres generation SELECT → Redis GET (cache hit)
//   thread/start     unkeyed lane: ws → gateway → core NATS → thread service → one Postgres statement
//                    (config snapshot + thread + subscription; a start with inputs not seen yet asks
//                    the config service first); its floor: ws → NATS → one INSERT
// and the turn scenarios (turns.ts), against a scripted provider process (turn-provider.ts) and the
// turn floor (floor/floor-turns.ts):
//   turn/delta       provider SSE → thread service → NATS → gateway → ws, per delta
//   turn/throughput  turn/start → turn/completed, many threads in flight
//   turn/fanout      one turn's deltas to 100 subscribers over two gateways
// Writes are checked afterwards against Postgres (order per thread and writer, nothing lost or
// doubled); a read answered with the wrong thread, a config/read answered with another shape or
// model than its user's, an error reply, a wrong turn (deltas missing, out of order or not adding up,
// a turn not completed), or a failed write check makes the run exit non-zero.
// Timings never do. Everything started is stopped and the database dropped.
import "./deployed.js";
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KEYED_PARTITIONS } from "@switchyard/protocol";
import { CodexTestClient, type RpcReply } from "../harness/client.js";
import { createTestInfra, type TestInfra } from "../harness/infra.js";
import { readCacheLookups } from "../harness/metrics.js";
import {
  type ServiceProcess,
  startConfigService,
  startGatewayProcess,
  startProcess,
  startThreadService,
} from "../harness/processes.js";
import { hs256Token, TEST_HS256_SECRET } from "../harness/tokens.js";
import { type BackgroundSample, backgroundCpuPercent, sampleBackground } from "./background.js";
import { type BenchConfig, parseBenchConfig, type ScenarioName, UNLIMITED_GATEWAY_ENV } from "./config.js";
import { CONNECTIONS_SCENARIO } from "./connections-contract.js";
import { type CpuSource, cpuSpentMs, findProcessIds, fixedProcesses, postgresBackends, sampleCpu } from "./cpu.js";
import { FAIRNESS_SCENARIO } from "./fairness-contract.js";
import {
  FLOOR_SET_NAME_CTE,
  FLOOR_USER_HEADER,
  type FloorConfigSeed,
  type FloorSettings,
  type FloorTurnSettings,
  floorConfigSubjects,
} from "./floor/floor-contract.js";
import { startFloorProcess } from "./floor-processes.js";
import { type LoadResult, type PlannedRequest, runLoad } from "./load.js";
import { NameWriteLedger, readFloorWrites, readSetNameWrites, type WriteCheck } from "./name-writes.js";
import {
  buildRow,
  formatRows,
  formatRunSpread,
  type ScenarioMeasurements,
  type TargetMeasurement,
  withRunSpread,
  writeResults,
} from "./report.js";
import { BENCH_PROVIDER_ID, benchProviderToml, TURN_PROVIDER_READY } from "./turn-contract.js";
import { buildTurnRows, formatTurnRows, type TurnRow } from "./turn-report.js";
import { TurnBench, type TurnPass, type TurnScenarioMeasurements, type TurnTargetName } from "./turns.js";

const BENCH_TENANT = "bench";
/** The same-statement keyed floor renames copies of the seeded threads under this tenant. */
const CTE_FLOOR_TENANT = "bench-cte-floor";
/** Notifications the bench's clients opt out of: every rename is announced to the whole tenant. */
const OPTED_OUT_NOTIFICATIONS = ["thread/started", "thread/name/updated"];
/** config/read as a client sends it for its project: effective config for the cwd, without layers. */
const CONFIG_READ_PARAMS = { includeLayers: false, cwd: "/workspace/bench" } as const;
/** thread/start as a client sends it for its project (the started threads stay loaded on their connection). */
const THREAD_START_PARAMS = { cwd: "/workspace/bench" } as const;
/** Connection i is user `bench-user-<i>` on both sides (its own config key, so reads spread over partitions). */
const benchUser = (connectionIndex: number) => `bench-user-${connectionIndex}`;

/** What each user's config/read must answer (captured once from the system, before measuring). */
interface ConfigAnswer {
  model: unknown;
  originCount: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
type TargetName = "system" | "floor" | "cteFloor";

interface Target {
  name: TargetName;
  clients: CodexTestClient[];
  /** The method the keyed scenario sends this target. */
  writeMethod: string;
  /** Process groups whose CPU a scenario's loaded window is charged (the service differs per scenario). */
  cpuSources: (scenario: ScenarioName) => CpuSource[];
  ledger: NameWriteLedger;
}

const log = (text: string) => console.log(`[bench] ${text}`);
const STEP_TIMEOUT_MS = 15_000;

/** Teardown steps, run last-registered first, once, however the run ends. */
class Teardown {
  private readonly steps: { name: string; run: () => Promise<unknown>; force?: () => void }[] = [];
  private running: Promise<void> | undefined;

  /** `force` runs if `run` has not finished within STEP_TIMEOUT_MS (a process that will not stop). */
  add(name: string, run: () => Promise<unknown>, force?: () => void): void {
    this.steps.push({ name, run, force });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timedOut">((resolve) => {
          timer = setTimeout(() => resolve("timedOut"), STEP_TIMEOUT_MS);
        });
        try {
          const outcome = await Promise.race([step.run(), timedOut]);
          if (outcome === "timedOut") {
            console.error(`[bench] teardown of ${step.name} took over ${STEP_TIMEOUT_MS} ms; forcing it`);
            step.force?.();
          }
        } catch (error) {
          console.error(`[bench] teardown of ${step.name} failed: ${String(error)}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}

interface Workload {
  threadIds: string[];
  writerThreads: string[][];
  configAnswers: ConfigAnswer[];
}

function checkConfigAnswer(result: unknown, expected: ConfigAnswer): string | undefined {
  if (!isRecord(result) || !isRecord(result.config) || !isRecord(result.origins)) {
    return `config/read answered without config and origins: ${JSON.stringify(result)?.slice(0, 200)}`;
  }
  if (result.config.model !== expected.model) {
    return `config/read answered model ${String(result.config.model)}, expected ${String(expected.model)}`;
  }
  const originCount = Object.keys(result.origins).length;
  if (originCount !== expected.originCount)
    return `config/read answered ${originCount} origins, expected ${expected.originCount}`;
  return undefined;
}

function planRequest(scenario: ScenarioName, target: Target, workload: Workload) {
  const { threadIds, writerThreads, configAnswers } = workload;
  let nextRead = 0;
  const nextWrite = writerThreads.map(() => 0);
  return (connectionIndex: number): PlannedRequest => {
    if (scenario === "config/read") {
      const expected = configAnswers[connectionIndex] as ConfigAnswer;
      return {
        method: "config/read",
        params: CONFIG_READ_PARAMS,
        onReply: (reply: RpcReply) => checkConfigAnswer(reply.result, expected),
      };
    }
    if (scenario === "thread/start") {
      return {
        method: "thread/start",
        params: THREAD_START_PARAMS,
        onReply: (reply: RpcReply) => {
          const started = (reply.result as { thread?: { id?: unknown } } | undefined)?.thread?.id;
          return typeof started === "string" ? undefined : `thread/start answered without a thread id`;
        },
      };
    }
    if (scenario === "thread/read") {
      const threadId = threadIds[nextRead++ % threadIds.length] as string;
      return {
        method: "thread/read",
        params: { threadId },
        onReply: (reply: RpcReply) => {
          const answered = (reply.result as { thread?: { id?: string } } | undefined)?.thread?.id;
          return answered === threadId ? undefined : `asked for thread ${threadId}, got ${String(answered)}`;
        },
      };
    }
    const threads = writerThreads[connectionIndex] as string[];
    const threadId = threads[(nextWrite[connectionIndex] as number) % threads.length] as string;
    nextWrite[connectionIndex] = (nextWrite[connectionIndex] as number) + 1;
    const write = target.ledger.issue(threadId, connectionIndex);
    return {
      method: target.writeMethod,
      params: { threadId, name: write.name },
      onReply: () => {
        target.ledger.acknowledge(threadId, connectionIndex, write.seq);
        return undefined;
      },
    };
  };
}

/**
 * How the system's thread/read and config/read rows were answered: the gateway's cache lookups over
 * the whole run (its scrape endpoint), so a reader of the table knows whether it measured the cache
 * or the full path.
 */
async function readCacheLines(gatewayUrl: string, isOff: boolean): Promise<string[]> {
  if (isOff)
    return ["thread/read, config/read: the gateway's read cache was off (--no-read-cache): every read took the whole path"];
  const lines: string[] = [];
  for (const method of ["thread/read", "config/read"] as const) {
    const [hits, misses] = await Promise.all([
      readCacheLookups(gatewayUrl, "hit", method),
      readCacheLookups(gatewayUrl, "miss", method),
    ]);
    if (hits + misses === 0) continue;
    const share = ((100 * hits) / (hits + misses)).toFixed(2);
    lines.push(
      `${method}: ${share}% of the system's reads were answered by the gateway's cache (${hits} hits, ${misses} misses; ` +
        "no writes to what they read during the scenario); --no-read-cache measures the whole path",
    );
  }
  return lines;
}

/** Each loaded pass's own ramp-up (the closed loop filling, the other target's pass settling), discarded. */
const LOADED_PASS_WARMUP_MS = 200;
/** Each sequential pass's own warm-up, discarded. */
const SEQUENTIAL_PASS_WARMUP_MS = 100;
/** Sequential warm-up per target before the sequential rounds start (after the last loaded pass). */
const SEQUENTIAL_PHASE_WARMUP_MS = 300;

/** A measured pass and what it cost: CPU per process group (loaded passes) and the machine's background CPU. */
interface MeasuredPass {
  result: LoadResult;
  cpuSpent: Record<string, number>;
  backgroundCpuPct: number;
}

/**
 * One request scenario, one run: each target warmed up once, then `rounds` rounds of one short loaded
 * pass per target, then `rounds` rounds of one short sequential pass per target. Each round rotates
 * which target goes first (two targets: S F, F S, S F, … so consecutive rounds form ABBA and drift
 * cancels), and its passes pair up into that round's ratios (report.ts). A round during which the
 * machine was busy beyond the bench's own processes (more than --max-background-cpu of a core in
 * either pass) is followed by another; each phase scores its `rounds` least disturbed of at most 2 × rounds.
 */
async function measureScenario(
  config: BenchConfig,
  scenario: ScenarioName,
  compared: Target[],
  workload: Workload,
  run: number,
  benchSources: CpuSource[],
): Promise<{
  perTarget: Map<TargetName, TargetMeasurement[]>;
  warmups: ScenarioMeasurements["warmups"];
  redone: ScenarioMeasurements["redone"];
}> {
  // One request plan per target for the whole scenario, so read rotation and writers' threads carry on across passes.
  const plans = new Map(compared.map((target) => [target.name, planRequest(scenario, target, workload)] as const));
  const planOf = (target: Target) => plans.get(target.name) as (connectionIndex: number) => PlannedRequest;
  const orderOf = (round: number) => compared.map((_, index) => compared[(index + round) % compared.length] as Target);
  const pass = async (
    target: Target,
    options: { sequential: boolean; warmupMs: number; measureMs: number },
  ): Promise<MeasuredPass> => {
    const isMeasured = options.measureMs > 0;
    const cpuSources = isMeasured ? target.cpuSources(scenario) : [];
    let cpuAtStart: Awaited<ReturnType<typeof sampleCpu>> | undefined;
    let cpuSpent: Record<string, number> = {};
    let backgroundAtStart: BackgroundSample | undefined;
    let backgroundCpuPct = Number.NaN;
    const result = await runLoad({
      clients: options.sequential ? target.clients.slice(0, 1) : target.clients,
      concurrency: options.sequential ? 1 : config.concurrency,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      requestTimeoutMs: config.requestTimeoutMs,
      nextRequest: planOf(target),
      ...(isMeasured
        ? {
            onWindowStart: async () => {
              if (cpuSources.length > 0) cpuAtStart = await sampleCpu(cpuSources);
              backgroundAtStart = await sampleBackground(benchSources);
            },
            onWindowEnd: async () => {
              const backgroundAtEnd = await sampleBackground(benchSources);
              if (backgroundAtStart) backgroundCpuPct = backgroundCpuPercent(backgroundAtStart, backgroundAtEnd);
              if (cpuAtStart) cpuSpent = cpuSpentMs(cpuAtStart, await sampleCpu(cpuSources));
            },
          }
        : {}),
    });
    return { result, cpuSpent, backgroundCpuPct };
  };

  const warmups: ScenarioMeasurements["warmups"] = [];
  const redone: ScenarioMeasurements["redone"] = [];
  /** `rounds` scored rounds of one pass per target: the quietest of those attempted (see above). */
  const phase = async (sequential: boolean) => {
    const phaseName = sequential ? "sequential" : "loaded";
    const attempts: { attempt: number; background: number; round: [Target, MeasuredPass][] }[] = [];
    const isQuiet = (background: number) => background <= config.maxBackgroundCpuPercent;
    // Attempt rounds until `rounds` of them were quiet, or 2 × rounds attempts were made.
    for (let attempt = 0; attempt < 2 * config.rounds; attempt++) {
      if (attempts.filter((made) => isQuiet(made.background)).length >= config.rounds) break;
      const round: [Target, MeasuredPass][] = [];
      for (const target of orderOf(attempt)) {
        round.push([
          target,
          await pass(target, {
            sequential,
            warmupMs: sequential ? SEQUENTIAL_PASS_WARMUP_MS : LOADED_PASS_WARMUP_MS,
            measureMs: (sequential ? config.sequentialSeconds : config.measureSeconds) * 1000,
          }),
        ]);
      }
      const background = Math.max(
        ...round.map(([, measured]) => measured.backgroundCpuPct).filter((value) => !Number.isNaN(value)),
        0,
      );
      attempts.push({ attempt, background, round });
      if (!isQuiet(background)) {
        log(
          `run ${run + 1} ${scenario} ${phaseName} attempt ${attempt + 1}: ${background.toFixed(0)}% of a core busy ` +
            `outside the bench (over ${config.maxBackgroundCpuPercent}%); another round`,
        );
      }
    }
    // Score the `rounds` least disturbed attempts (all quiet ones first), in the order they ran; the rest were redone.
    const scored = new Set(
      [...attempts]
        .sort((a, b) => a.background - b.background)
        .slice(0, config.rounds)
        .map((made) => made.attempt),
    );
    const accepted = new Map<TargetName, MeasuredPass[]>(compared.map((target) => [target.name, []]));
    for (const made of attempts) {
      for (const [target, measured] of made.round) {
        if (scored.has(made.attempt)) {
          accepted.get(target.name)?.push(measured);
          continue;
        }
        redone.push({
          target: target.name,
          run,
          phase: phaseName,
          attempt: made.attempt,
          backgroundCpuPct: Number(measured.backgroundCpuPct.toFixed(1)),
          result: measured.result,
        });
      }
    }
    return accepted;
  };

  for (const target of orderOf(1)) {
    const { result } = await pass(target, { sequential: false, warmupMs: config.warmupSeconds * 1000, measureMs: 0 });
    warmups.push({ target: target.name, run, result });
  }
  const loaded = await phase(false);
  for (const target of orderOf(1)) {
    const { result } = await pass(target, { sequential: true, warmupMs: SEQUENTIAL_PHASE_WARMUP_MS, measureMs: 0 });
    warmups.push({ target: target.name, run, result });
  }
  const sequential = await phase(true);

  const perTarget = new Map<TargetName, TargetMeasurement[]>();
  for (const target of compared) {
    const sequentialPasses = sequential.get(target.name) ?? [];
    perTarget.set(
      target.name,
      (loaded.get(target.name) ?? []).map((loadedPass, round) => {
        const sequentialPass = sequentialPasses[round] as MeasuredPass;
        const cpuMicrosPerRequest: Record<string, number> = {};
        for (const [name, spentMs] of Object.entries(loadedPass.cpuSpent)) {
          cpuMicrosPerRequest[name] = loadedPass.result.completed > 0 ? (spentMs * 1000) / loadedPass.result.completed : 0;
        }
        return {
          run,
          round,
          loaded: loadedPass.result,
          sequential: sequentialPass.result,
          cpuMicrosPerRequest,
          cpuSpentMs: loadedPass.cpuSpent,
          sequentialCpuSpentMs: sequentialPass.cpuSpent,
          backgroundCpuPct: {
            loaded: Number(loadedPass.backgroundCpuPct.toFixed(1)),
            sequential: Number(sequentialPass.backgroundCpuPct.toFixed(1)),
          },
        };
      }),
    );
  }
  const system = perTarget.get("system") ?? [];
  for (const other of compared.filter((target) => target.name !== "system")) {
    const passes = perTarget.get(other.name) ?? [];
    for (const [round, measurement] of system.entries()) {
      const paired = passes[round] as TargetMeasurement;
      const background = Math.max(
        measurement.backgroundCpuPct.loaded,
        measurement.backgroundCpuPct.sequential,
        paired.backgroundCpuPct.loaded,
        paired.backgroundCpuPct.sequential,
      );
      log(
        `run ${run + 1} round ${round + 1} ${scenario} system/${other.name}: ` +
          `loaded ${describePass(measurement.loaded)} vs ${describePass(paired.loaded)} ` +
          `(thr ratio ${(measurement.loaded.throughputPerSecond / paired.loaded.throughputPerSecond).toFixed(2)}); ` +
          `sequential ${describePass(measurement.sequential)} vs ${describePass(paired.sequential)} ` +
          `(ratio ${(measurement.sequential.p50Ms / paired.sequential.p50Ms).toFixed(2)}); background CPU ≤ ${background.toFixed(0)}%`,
      );
    }
  }
  return { perTarget, warmups, redone };
}

const describeTurnPass = (pass: TurnPass) =>
  [
    `${pass.turns} turns`,
    ...(pass.throughputPerSecond === undefined ? [] : [`${pass.throughputPerSecond.toFixed(1)}/s`]),
    ...Object.entries(pass.metrics).map(
      ([name, metric]) => `${name} p50 ${metric.p50.toFixed(2)} ms p99 ${metric.p99.toFixed(2)} ms`,
    ),
  ].join(", ") + (pass.problems > 0 ? ` (${pass.problems} wrong or failed: ${pass.examples[0]})` : "");

const describePass = (result: LoadResult) =>
  `${result.throughputPerSecond.toFixed(0)}/s p50 ${result.p50Ms.toFixed(2)} ms p99 ${result.p99Ms.toFixed(2)} ms` +
  (result.errors + result.wrongAnswers > 0 ? ` (${result.errors} errors, ${result.wrongAnswers} wrong)` : "");

async function seedThreads(clients: CodexTestClient[], count: number): Promise<string[]> {
  const started = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      (clients[index % clients.length] as CodexTestClient).call<{ thread: { id: string } }>("thread/start", {
        cwd: "/workspace/bench",
      }),
    ),
  );
  return started.map((result) => result.thread.id);
}

/**
 * Reads each user's config once through the gateway (the config service computes it and fills its
 * cache, so the measured reads are its steady state: generation SELECT + cache hit), and hands the
 * floor the same answer for the same user, which the floor caches under its own key.
 */
async function seedConfig(clients: CodexTestClient[], nc: TestInfra["nc"], busPrefix: string): Promise<ConfigAnswer[]> {
  const seedSubject = floorConfigSubjects(busPrefix).seed;
  return Promise.all(
    clients.map(async (client, index) => {
      const result = await client.call<unknown>("config/read", CONFIG_READ_PARAMS);
      if (!isRecord(result) || !isRecord(result.config) || !isRecord(result.origins)) {
        throw new Error(`config/read for ${benchUser(index)} answered without config and origins: ${JSON.stringify(result)}`);
      }
      const seed: FloorConfigSeed = { subject: benchUser(index), cwd: CONFIG_READ_PARAMS.cwd, result: JSON.stringify(result) };
      const reply = await nc.request(seedSubject, JSON.stringify(seed), { timeout: 10_000 });
      const seeded = JSON.parse(reply.string()) as { error?: string };
      if (seeded.error) throw new Error(`seeding the config floor for ${benchUser(index)} failed: ${seeded.error}`);
      return { model: result.config.model, originCount: Object.keys(result.origins).length };
    }),
  );
}

/** Each writer renames `perWriter` threads starting at its own offset, so threads have several writers. */
function assignWriterThreads(threadIds: string[], writers: number, perWriter: number): string[][] {
  const stride = Math.max(1, Math.ceil(threadIds.length / writers));
  return Array.from({ length: writers }, (_, writer) =>
    Array.from({ length: perWriter }, (_, index) => threadIds[(writer * stride + index) % threadIds.length] as string),
  );
}

async function run(config: BenchConfig, teardown: Teardown): Promise<number> {
  const runStartedAt = Date.now();
  log(`infra: fresh database and bus prefix`);
  const infra: TestInfra = await createTestInfra("bench");
  teardown.add("infra", () => infra.dispose());

  const profileEnv: Record<string, string> = {};
  if (config.cpuProfileDirectory) {
    const directory = resolve(config.cpuProfileDirectory);
    mkdirSync(directory, { recursive: true });
    profileEnv.NODE_OPTIONS = `--import ${fileURLToPath(new URL("./cpu-profile-preload.mjs", import.meta.url))}`;
    profileEnv.BENCH_CPU_PROFILE_DIR = directory;
    log(`CPU profiles of the gateway, thread service and floor processes go to ${directory}`);
  }
  const floorSettings: FloorSettings = {
    natsUrl: infra.env.NATS_URL as string,
    databaseUrl: infra.databaseUrl,
    busPrefix: infra.busPrefix,
    tenant: BENCH_TENANT,
    partitions: KEYED_PARTITIONS,
    poolSize: 16,
    redisUrl: infra.env.REDIS_URL,
    configPoolSize: 8, // the config service's CONFIG_PG_POOL_SIZE default
    natsAsyncTraces: config.isFloorAsyncTraces,
    cteTenant: CTE_FLOOR_TENANT,
  };
  const hasTurns = config.turnScenarios.length > 0;
  const hasFanout = config.turnScenarios.includes("turn/fanout");
  // The turn scenarios' provider, in a process of its own, is every thread's default provider.
  let provider: (ServiceProcess & { baseUrl: string }) | undefined;
  const providerEnv: { config: Record<string, string>; thread: Record<string, string> } = { config: {}, thread: {} };
  if (hasTurns) {
    const started = await startProcess("turn provider", "test/bench/turn-provider.ts", profileEnv, (line) =>
      line.includes(TURN_PROVIDER_READY),
    );
    provider = { ...started, baseUrl: (JSON.parse(started.readyLine) as { baseUrl: string }).baseUrl };
    const running = provider;
    teardown.add(
      "turn provider",
      () => running.stop(),
      () => running.child.kill("SIGKILL"),
    );
    providerEnv.config = {
      CONFIG_DEFAULT_MODEL_PROVIDERS: benchProviderToml(provider.baseUrl),
      SWITCHYARD_DEFAULT_MODEL_PROVIDER: BENCH_PROVIDER_ID,
    };
    providerEnv.thread = { SWITCHYARD_DEFAULT_MODEL_PROVIDER: BENCH_PROVIDER_ID };
    log(`turn provider at ${provider.baseUrl}`);
  }
  log("starting thread service, config service, gateway and floor processes");
  const threadService: ServiceProcess = await startThreadService({ ...infra.env, ...profileEnv, ...providerEnv.thread });
  teardown.add(
    "thread service",
    () => threadService.stop(),
    () => threadService.child.kill("SIGKILL"),
  );
  // Started after the thread service (each migrates its own schema; one at a time, as the harness's
  // stack does). thread/start asks it for the new thread's config, so every run needs it.
  const configService: ServiceProcess = await startConfigService({
    ...infra.env,
    ...profileEnv,
    ...providerEnv.config,
    CONFIG_GRPC_PORT_BASE: String(20_000 + Math.floor(Math.random() * 400) * 50),
  });
  teardown.add(
    "config service",
    () => configService.stop(),
    () => configService.child.kill("SIGKILL"),
  );
  // Each process is registered for teardown as soon as it is up, even if a sibling fails to start.
  const started = <T extends { stop(): Promise<unknown>; child: ChildProcess }>(name: string, launching: Promise<T>) =>
    launching.then((handle) => {
      teardown.add(
        name,
        () => handle.stop(),
        () => handle.child.kill("SIGKILL"),
      );
      return handle;
    });
  const gatewayEnv = {
    ...infra.env,
    ...profileEnv,
    GATEWAY_AUTH_DEFAULT_TENANT: BENCH_TENANT,
    GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
    ...UNLIMITED_GATEWAY_ENV,
    ...(config.isReadCacheOff ? { GATEWAY_READ_CACHE_ENTRIES: "0" } : {}),
  };
  const starting = [
    started("gateway", startGatewayProcess(gatewayEnv)),
    started("floor service", startFloorProcess("floor-service", "floor-service.ts", floorSettings, profileEnv)),
    started("floor gateway", startFloorProcess("floor-gateway", "floor-gateway.ts", floorSettings, profileEnv)),
  ] as const;
  // turn/fanout's second gateway, and the turn floor (two processes for turn/fanout).
  const floorTurnSettings: FloorTurnSettings | undefined = provider && {
    natsUrl: floorSettings.natsUrl,
    busPrefix: infra.busPrefix,
    providerBaseUrl: provider.baseUrl,
    natsAsyncTraces: config.isFloorAsyncTraces,
  };
  const startingTurnProcesses = [
    ...(hasFanout ? [started("gateway 2", startGatewayProcess(gatewayEnv, "gateway-2"))] : []),
    ...(floorTurnSettings
      ? Array.from({ length: hasFanout ? 2 : 1 }, (_, index) =>
          started(
            `floor turns ${index + 1}`,
            startFloorProcess(`floor-turns-${index + 1}`, "floor-turns.ts", floorTurnSettings, profileEnv),
          ),
        )
      : []),
  ];
  await Promise.allSettled([...starting, ...startingTurnProcesses]);
  const [gateway, floorService, floorGateway] = await Promise.all(starting);
  const turnProcesses = await Promise.all(startingTurnProcesses);
  const secondGateway = hasFanout ? (turnProcesses[0] as ServiceProcess & { url: string }) : undefined;
  const floorTurns = turnProcesses.slice(hasFanout ? 1 : 0) as Awaited<ReturnType<typeof startFloorProcess>>[];

  // One user per connection: a deployment's connections are its users' clients, each reading its own
  // config (so config/read keys, and their partitions, differ per connection, on both sides alike).
  // Authentication happens once, at the upgrade; nothing of it is on the measured path.
  const systemClients = await Promise.all(
    Array.from({ length: config.connections }, async (_, index) =>
      CodexTestClient.open(gateway.url, {
        name: `switchyard-bench-${index}`,
        optOut: OPTED_OUT_NOTIFICATIONS,
        token: await hs256Token({ tenant: BENCH_TENANT, sub: benchUser(index) }, { expiresInS: 86_400 }),
      }),
    ),
  );
  const floorClients = await Promise.all(
    Array.from({ length: config.connections }, (_, index) =>
      CodexTestClient.connect(floorGateway.ready.url as string, { headers: { [FLOOR_USER_HEADER]: benchUser(index) } }),
    ),
  );
  teardown.add("clients", () => Promise.all([...systemClients, ...floorClients].map((client) => client.close())));

  const shared: CpuSource[] = [
    fixedProcesses("loadgen", [process.pid]),
    fixedProcesses("nats-server", findProcessIds("nats-server")),
    fixedProcesses("redis-server", findProcessIds("redis-server")),
    postgresBackends(infra.pool),
  ];
  const floorSources = (): CpuSource[] => [
    fixedProcesses("gateway", [floorGateway.child.pid]),
    fixedProcesses("service", [floorService.child.pid]),
    ...shared,
  ];
  const targets: Record<TargetName, Target> = {
    system: {
      name: "system",
      clients: systemClients,
      writeMethod: "thread/name/set",
      cpuSources: (scenario) => [
        fixedProcesses("gateway", [gateway.child.pid]),
        // thread/start's thread service asks the config service for the new thread's settings: both count.
        fixedProcesses(
          "service",
          scenario === "config/read"
            ? [configService.child.pid]
            : scenario === "thread/start"
              ? [threadService.child.pid, configService.child.pid]
              : [threadService.child.pid],
        ),
        ...shared,
      ],
      ledger: new NameWriteLedger(),
    },
    floor: {
      name: "floor",
      clients: floorClients,
      writeMethod: "thread/name/set",
      cpuSources: floorSources,
      ledger: new NameWriteLedger(),
    },
    cteFloor: {
      name: "cteFloor",
      clients: floorClients,
      writeMethod: FLOOR_SET_NAME_CTE,
      cpuSources: floorSources,
      ledger: new NameWriteLedger(),
    },
  };

  // Every process of the bench's own, for telling its CPU from the machine's background load (background.ts).
  const benchSources: CpuSource[] = [
    fixedProcesses("bench processes", [
      gateway.child.pid,
      secondGateway?.child.pid,
      threadService.child.pid,
      configService.child.pid,
      floorGateway.child.pid,
      floorService.child.pid,
      provider?.child.pid,
      ...floorTurns.map((floor) => floor.child.pid),
    ]),
    ...shared,
  ];
  const turnBench =
    provider &&
    new TurnBench({
      settings: config.turns,
      gatewayUrls: [gateway.url, ...(secondGateway ? [secondGateway.url] : [])],
      floorUrls: floorTurns.map((floor) => floor.ready.url as string),
      providerBaseUrl: provider.baseUrl,
      token: (tenant, user) => hs256Token({ tenant, sub: user }, { expiresInS: 86_400 }),
      cpuSources: (target: TurnTargetName) =>
        target === "system"
          ? [
              fixedProcesses("gateway", [gateway.child.pid, secondGateway?.child.pid]),
              fixedProcesses("thread", [threadService.child.pid]),
              fixedProcesses("config", [configService.child.pid]),
              fixedProcesses("provider", [provider?.child.pid]),
              ...shared,
            ]
          : [fixedProcesses("provider", [provider?.child.pid]), ...shared],
      log,
    });
  if (turnBench) teardown.add("turn clients", () => turnBench.close());

  const threadIds = config.scenarios.length > 0 ? await seedThreads(systemClients, config.threads) : [];
  if (threadIds.length > 0) log(`seeded ${config.threads} threads through the gateway`);
  const writerThreads = assignWriterThreads(threadIds, config.connections, config.threadsPerWriter);
  const configAnswers = config.scenarios.includes("config/read")
    ? await seedConfig(systemClients, infra.nc, infra.busPrefix)
    : [];
  if (configAnswers.length > 0) log(`seeded ${configAnswers.length} users' config (system cache and floor cache)`);
  const workload: Workload = { threadIds, writerThreads, configAnswers };
  if (config.isCteFloor) {
    // The same-statement floor needs the same rows to update, under a tenant of its own.
    await infra.pool.query(
      `INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, model, source, source_kind, thread_source,
         history_mode, is_ephemeral, cli_version, project_id, settings, created_by)
       SELECT $2, id, session_id, cwd, model_provider, model, source, source_kind, thread_source,
         history_mode, is_ephemeral, cli_version, project_id, settings, created_by
         FROM thread.threads WHERE tenant = $1`,
      [BENCH_TENANT, CTE_FLOOR_TENANT],
    );
  }

  // Request scenarios: each scenario's rounds back to back (interleaved short passes, measureScenario),
  // the whole set repeated --runs times; rows pool every run's rounds, and each run's own rows give the spread across runs.
  const runMeasurements: ScenarioMeasurements[][] = [];
  for (let run = 0; run < config.runs; run++) {
    const thisRun: ScenarioMeasurements[] = [];
    for (const scenario of config.scenarios) {
      const compared: TargetName[] =
        scenario === "thread/name/set" && config.isCteFloor ? ["system", "floor", "cteFloor"] : ["system", "floor"];
      const { perTarget, warmups, redone } = await measureScenario(
        config,
        scenario,
        compared.map((name) => targets[name]),
        workload,
        run,
        benchSources,
      );
      thisRun.push({
        scenario,
        system: perTarget.get("system") ?? [],
        floor: perTarget.get("floor") ?? [],
        cteFloor: perTarget.get("cteFloor") ?? [],
        warmups,
        redone,
      });
    }
    runMeasurements.push(thisRun);
    if (config.runs > 1 && thisRun.length > 0) {
      console.log(`\nrun ${run + 1} of ${config.runs}\n${formatRows(thisRun.map(buildRow))}\n`);
    }
  }
  const measurements: ScenarioMeasurements[] = config.scenarios.map((scenario, index) => {
    const ofScenario = runMeasurements.map((thisRun) => thisRun[index] as ScenarioMeasurements);
    return {
      scenario,
      system: ofScenario.flatMap((measured) => measured.system),
      floor: ofScenario.flatMap((measured) => measured.floor),
      cteFloor: ofScenario.flatMap((measured) => measured.cteFloor),
      warmups: ofScenario.flatMap((measured) => measured.warmups),
      redone: ofScenario.flatMap((measured) => measured.redone),
    };
  });

  const turnMeasurements: TurnScenarioMeasurements[] = config.turnScenarios.map((scenario) => ({
    scenario,
    system: [],
    floor: [],
  }));
  for (let round = 0; round < config.turns.rounds; round++) {
    for (const scenarioMeasurements of turnMeasurements) {
      if (!turnBench) break;
      const compared: TurnTargetName[] = ["system", "floor"];
      for (const targetName of compared.map((_, index) => compared[(index + round) % compared.length] as TurnTargetName)) {
        const pass = await turnBench.measure(scenarioMeasurements.scenario, targetName);
        scenarioMeasurements[targetName].push(pass);
        log(`round ${round + 1} ${scenarioMeasurements.scenario} ${targetName}: ${describeTurnPass(pass)}`);
      }
    }
  }

  const failures: string[] = [];
  for (const scenarioMeasurements of measurements) {
    for (const targetName of ["system", "floor", "cteFloor"] as const) {
      for (const measurement of scenarioMeasurements[targetName]) {
        for (const pass of [measurement.loaded, measurement.sequential]) {
          if (pass.errors + pass.wrongAnswers === 0) continue;
          failures.push(
            `${scenarioMeasurements.scenario} (${targetName}): ${pass.errors} error replies, ${pass.wrongAnswers} wrong answers; ` +
              pass.examples.join("; "),
          );
        }
      }
    }
    for (const { target, result, kind } of [
      ...scenarioMeasurements.warmups.map((warmup) => ({ ...warmup, kind: "warm-up" })),
      ...scenarioMeasurements.redone.map((redone) => ({ ...redone, kind: "redone round" })),
    ]) {
      if (result.errors + result.wrongAnswers === 0) continue;
      failures.push(
        `${scenarioMeasurements.scenario} (${target}, ${kind}): ${result.errors} error replies, ${result.wrongAnswers} wrong answers; ` +
          result.examples.join("; "),
      );
    }
  }
  for (const scenarioMeasurements of turnMeasurements) {
    for (const targetName of ["system", "floor"] as const) {
      for (const pass of scenarioMeasurements[targetName]) {
        if (pass.problems === 0) continue;
        failures.push(
          `${scenarioMeasurements.scenario} (${targetName}): ${pass.problems} wrong turns or errors; ${pass.examples.join("; ")}`,
        );
      }
    }
  }
  const writeChecks: Partial<Record<TargetName, WriteCheck & { revisionMismatches?: string[] }>> = {};
  if (config.scenarios.includes("thread/name/set")) {
    const switchyardWrites = await readSetNameWrites(infra.pool, BENCH_TENANT);
    writeChecks.system = {
      ...targets.system.ledger.check(switchyardWrites.rows),
      revisionMismatches: switchyardWrites.revisionMismatches,
    };
    writeChecks.floor = targets.floor.ledger.check(await readFloorWrites(infra.pool));
    if (config.isCteFloor) {
      const cteFloorWrites = await readSetNameWrites(infra.pool, CTE_FLOOR_TENANT);
      writeChecks.cteFloor = {
        ...targets.cteFloor.ledger.check(cteFloorWrites.rows),
        revisionMismatches: cteFloorWrites.revisionMismatches,
      };
    }
    for (const [targetName, check] of Object.entries(writeChecks)) {
      log(
        `write check (${targetName}): ${check.applied} applied, ${check.acknowledged} acknowledged, ${check.orderViolations} order violations, ` +
          `${check.lost} lost, ${check.duplicates} duplicates, ${check.unknown} unknown, ${check.appliedWithoutAck} applied without ack`,
      );
      if (!check.isCorrect) failures.push(`thread/name/set (${targetName}) write check failed: ${check.examples.join("; ")}`);
      for (const mismatch of check.revisionMismatches ?? []) failures.push(`thread/name/set (${targetName}): ${mismatch}`);
    }
  }

  const rows = measurements.map((scenarioMeasurements, index) =>
    withRunSpread(
      buildRow(scenarioMeasurements),
      runMeasurements.map((thisRun) => buildRow(thisRun[index] as ScenarioMeasurements)),
    ),
  );
  if (rows.length > 0) {
    const pooled = config.runs > 1 ? `all ${config.runs} runs pooled (rows over every run's rounds)\n` : "";
    console.log(`\n${pooled}${formatRows(rows)}\n`);
    if (config.runs > 1) console.log(`${formatRunSpread(rows)}\n`);
    const cacheLines = await readCacheLines(gateway.url, config.isReadCacheOff);
    if (cacheLines.length > 0) console.log(`${cacheLines.join("\n")}\n`);
  }
  const turnRows: TurnRow[] = turnMeasurements.flatMap((scenarioMeasurements) =>
    buildTurnRows(scenarioMeasurements, config.turns),
  );
  if (turnRows.length > 0) console.log(`\n${formatTurnRows(turnRows, config.turns)}\n`);
  const path = writeResults({
    startedAt: new Date(runStartedAt).toISOString(),
    elapsedS: (Date.now() - runStartedAt) / 1000,
    config,
    layout:
      "closed loop; slot i on connection i mod connections, connection i = user bench-user-i; floor = plain ws server → " +
      "core NATS / JetStream → bare responder (same SELECT) / partition consumers (one INSERT) / config partition " +
      "consumers acking each read as it starts (generation SELECT + Redis GET of a seeded entry); p50/p99 sequential, throughput loaded",
    method:
      `per request scenario and run: ${config.warmupSeconds} s warm-up per target, then ${config.rounds} rounds of one ` +
      `${config.measureSeconds} s loaded pass per target (+${LOADED_PASS_WARMUP_MS} ms ramp-up each), then ${config.rounds} rounds ` +
      `of one ${config.sequentialSeconds} s sequential pass per target (+${SEQUENTIAL_PASS_WARMUP_MS} ms each); target order ` +
      "rotates each round (S F, F S, …); ratio / throughput_ratio = medians of per-round ratios, *_iqr_pct = half IQR / median; " +
      `${config.runs} run(s)` +
      (config.runs > 1 ? ", rows pool every run's rounds, *_spread_pct = max |run ratio − median| / median" : ""),
    rows,
    turnRows,
    writeChecks,
    failures,
    passes: measurements,
    turnPasses: turnMeasurements,
  });
  log(`results written to ${path}`);
  if (failures.length > 0) {
    console.error(`\nFAILED (correctness):\n  ${failures.join("\n  ")}`);
    for (const target of [targets.system, targets.floor]) {
      const closed = target.clients.flatMap((client, index) =>
        client.closeCode === undefined ? [] : [`#${index}: ${client.closeCode}`],
      );
      if (closed.length > 0) console.error(`[bench] ${target.name} websockets closed during the run: ${closed.join(", ")}`);
    }
    const closedTurnClients = turnBench?.closedClients() ?? [];
    if (closedTurnClients.length > 0)
      console.error(`[bench] turn websockets closed during the run: ${closedTurnClients.join(", ")}`);
    const turnDiagnostics = [provider, secondGateway, ...floorTurns].filter((process) => process !== undefined);
    for (const process of [threadService, configService, gateway, floorService, floorGateway, ...turnDiagnostics]) {
      const { exitCode, signalCode } = process.child;
      const state = exitCode === null && signalCode === null ? "running" : `exited (${exitCode ?? signalCode})`;
      const tail = process.output().trimEnd().split("\n").slice(-15).join("\n    ");
      console.error(`\n[bench] ${process.name}: ${state}; last output:\n    ${tail}`);
    }
    return 1;
  }
  return 0;
}

async function main(): Promise<void> {
  if (process.argv.includes("--scale")) {
    // The scale rows (thread/list and thread/search over a seeded database) have their own runner.
    const { runScaleBench } = await import("./scale.js");
    process.exit(
      await runScaleBench(process.argv.slice(2)).catch((error) => {
        console.error(`[bench:scale] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return 1;
      }),
    );
  }
  if (process.argv.includes("--peer")) {
    // Switchyard beside the real codex app-server 0.171.0, same calls, same run: a runner of its own (peer.ts).
    const { runPeerBench } = await import("./peer.js");
    process.exit(
      await runPeerBench(process.argv.slice(2)).catch((error) => {
        console.error(`[bench:peer] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return 1;
      }),
    );
  }
  if (process.argv.includes(FAIRNESS_SCENARIO)) {
    // Two tenants on one gateway and thread service, one flooding: a runner of its own (fairness.ts).
    const { runFairnessBench } = await import("./fairness.js");
    process.exit(
      await runFairnessBench(process.argv.slice(2)).catch((error) => {
        console.error(`[bench:fairness] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return 1;
      }),
    );
  }
  if (process.argv.includes(CONNECTIONS_SCENARIO)) {
    // 10,000 idle connections on one gateway: its memory per connection, accept rate, read latency (connections.ts).
    const { runConnectionsBench } = await import("./connections.js");
    process.exit(
      await runConnectionsBench(process.argv.slice(2)).catch((error) => {
        console.error(`[bench:connections] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return 1;
      }),
    );
  }
  let config: BenchConfig;
  try {
    config = parseBenchConfig(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const teardown = new Teardown();
  // However the run ends, tear down first and exit after: on a signal, on a hang, on an error.
  const targetsPerScenario =
    config.scenarios.length * 2 + (config.isCteFloor && config.scenarios.includes("thread/name/set") ? 1 : 0);
  // Per target, scenario and run: the warm-ups, then per round a loaded and a sequential pass, each with its
  // ramp-up (+ slack), and as many rounds again at most when rounds are redone for background CPU.
  const secondsPerTarget =
    config.warmupSeconds +
    SEQUENTIAL_PHASE_WARMUP_MS / 1000 +
    2 *
      config.rounds *
      (config.measureSeconds + config.sequentialSeconds + (LOADED_PASS_WARMUP_MS + SEQUENTIAL_PASS_WARMUP_MS) / 1000 + 0.25);
  const turnSeconds = config.turns.seconds + config.turns.warmupSeconds + 3; // + thread setup and the last turns
  const turnSetupSeconds = config.turnScenarios.includes("turn/fanout") ? 60 : 10;
  const expectedSeconds =
    config.runs * targetsPerScenario * secondsPerTarget +
    config.turns.rounds * config.turnScenarios.length * 2 * turnSeconds +
    (config.turnScenarios.length > 0 ? turnSetupSeconds : 0);
  const watchdog = setTimeout(
    () => {
      console.error(`[bench] still running after ${Math.round(expectedSeconds + 120)} s; giving up`);
      const hardStop = setTimeout(() => process.exit(2), 4 * STEP_TIMEOUT_MS);
      hardStop.unref();
      void teardown.run().finally(() => process.exit(2));
    },
    (expectedSeconds + 120) * 1000,
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`[bench] ${signal}: stopping`);
      void teardown.run().finally(() => process.exit(130));
    });
  }
  let exitCode = 1;
  try {
    exitCode = await run(config, teardown);
  } catch (error) {
    console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    await teardown.run();
    clearTimeout(watchdog);
  }
  process.exit(exitCode);
}

await main();
