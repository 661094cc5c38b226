// Turns measured passes into result rows (interquartile means of per-round ratios, with their spread within a run
// and, with --runs, across runs), prints them with their targets, and writes the JSON record to
// bench/results/. Targets are printed, never enforced: timings on a shared 2-core machine are evidence,
// not a verdict.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioName } from "./config.js";
import type { LoadResult } from "./load.js";
import {
  halfIqrPercent,
  interquartileMean,
  maxDeviationPercent,
  median,
  perRoundRatios,
  STABLE_SPREAD_PERCENT,
} from "./stats.js";

/** One target's measurements in one round: the loaded pass, the sequential pass, CPU per request. */
export interface TargetMeasurement {
  /** Which run (0-based, --runs) and round within it the passes belong to; rounds pair targets by index. */
  run: number;
  round: number;
  loaded: LoadResult;
  sequential: LoadResult;
  /** CPU microseconds per completed request in the loaded window, per process group. */
  cpuMicrosPerRequest: Record<string, number>;
  /** CPU milliseconds spent in the loaded window, per process group (rows pool these over rounds). */
  cpuSpentMs: Record<string, number>;
  /** CPU milliseconds spent in the sequential window (1 in flight), per process group. */
  sequentialCpuSpentMs: Record<string, number>;
  /** CPU busy outside the bench's processes during each window, % of one core (background.ts). */
  backgroundCpuPct: { loaded: number; sequential: number };
}

export interface ScenarioMeasurements {
  scenario: ScenarioName;
  system: TargetMeasurement[];
  floor: TargetMeasurement[];
  /** thread/name/set only, with --cte-floor: the keyed floor running thread/name/set's own statement. */
  cteFloor: TargetMeasurement[];
  /** Each target's discarded warm-up (once per scenario and run); only its errors and wrong answers count. */
  warmups: { target: string; run: number; result: LoadResult }[];
  /** Rounds attempted but not scored (more disturbed by background CPU than the scored ones); their errors still count. */
  redone: {
    target: string;
    run: number;
    phase: "loaded" | "sequential";
    attempt: number;
    backgroundCpuPct: number;
    result: LoadResult;
  }[];
}

interface Targets {
  maxLatencyRatio?: number;
  minThroughputRatio: number;
}

export const TARGETS: Record<ScenarioName, Targets> = {
  "thread/read": { maxLatencyRatio: 1.25, minThroughputRatio: 0.8 },
  "thread/name/set": { minThroughputRatio: 0.7 },
  "config/read": { maxLatencyRatio: 1.25, minThroughputRatio: 0.8 },
  // Against its own floor (ws → NATS → one INSERT): the thread service also asks the config service
  // for the new thread's settings and announces thread/started, which the floor does not.
  "thread/start": { maxLatencyRatio: 1.5, minThroughputRatio: 0.7 },
};

export interface ResultRow {
  scenario: ScenarioName;
  /** Sequential pass (1 in flight): p50/p99 latency. */
  p50_ms: number;
  p99_ms: number;
  /** Loaded pass (`concurrency` in flight): completions per second. */
  throughput_per_s: number;
  floor_p50_ms: number;
  floor_p99_ms: number;
  floor_throughput_per_s: number;
  /** Median over rounds of each round's p50 / floor p50 (sequential passes). */
  ratio: number;
  /** Median over rounds of each round's throughput / floor throughput (loaded passes). */
  throughput_ratio: number;
  /** Each round's ratios (sequential p50 and loaded throughput, system / floor), in round order. */
  ratio_rounds: number[];
  throughput_ratio_rounds: number[];
  /** Spread of the per-round ratios within the run: half the interquartile range / median, in %. */
  ratio_iqr_pct: number;
  throughput_ratio_iqr_pct: number;
  /** With --runs N > 1: each run's ratios, and the spread across runs (max |r − median| / median, %). */
  runs?: {
    ratio: number;
    throughput_ratio: number;
    ratio_iqr_pct: number;
    throughput_ratio_iqr_pct: number;
    background_cpu_pct: number;
    redone_rounds: number;
  }[];
  ratio_spread_pct?: number;
  throughput_ratio_spread_pct?: number;
  /** Both spreads across runs within ±10%. */
  stable?: boolean;
  loaded_p50_ms: number;
  loaded_p99_ms: number;
  floor_loaded_p50_ms: number;
  floor_loaded_p99_ms: number;
  concurrency: number;
  connections: number;
  duration_s: number;
  sequential_duration_s: number;
  /** Rounds the row's medians are over (all runs' rounds, when rows pool several runs). */
  rounds: number;
  /** Rounds attempted but not scored for background CPU (both phases, all runs). */
  redone_rounds: number;
  /** Median over the scored rounds of the busiest pass's background CPU (% of one core, outside the bench's processes). */
  background_cpu_pct: number;
  counts: {
    requests: number;
    sequential_requests: number;
    errors: number;
    floor_requests: number;
    floor_sequential_requests: number;
    floor_errors: number;
  };
  cpu_us_per_request: { system: Record<string, number>; floor: Record<string, number>; cte_floor?: Record<string, number> };
  /** The same, over the sequential passes (1 in flight): what one request alone costs each process group. */
  cpu_us_per_request_sequential: { system: Record<string, number>; floor: Record<string, number> };
  /** With --cte-floor: the same pipeline as the floor, running thread/name/set's statement (not a target). */
  cte_floor?: {
    p50_ms: number;
    throughput_per_s: number;
    ratio: number;
    throughput_ratio: number;
    ratio_iqr_pct: number;
    throughput_ratio_iqr_pct: number;
  };
  targets: { max_ratio: number | null; min_throughput_ratio: number };
  meets_targets: boolean;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * CPU µs per request pooled over one phase's passes (loaded, or 1 in flight): all their CPU over all
 * their completions (short passes, coarse ticks).
 */
function pooledCpu(measurements: TargetMeasurement[], phase: "loaded" | "sequential" = "loaded"): Record<string, number> {
  const spentOf = (measurement: TargetMeasurement) =>
    phase === "loaded" ? measurement.cpuSpentMs : measurement.sequentialCpuSpentMs;
  const names = new Set(measurements.flatMap((measurement) => Object.keys(spentOf(measurement))));
  const completed = sum(measurements.map((measurement) => measurement[phase].completed));
  const result: Record<string, number> = {};
  for (const name of names) {
    const spentMs = sum(measurements.map((measurement) => spentOf(measurement)[name] ?? 0));
    result[name] = round(completed > 0 ? (spentMs * 1000) / completed : 0, 1);
  }
  return result;
}

/** Per-round ratios of `system` over `other` (sequential p50, loaded throughput), rounds paired by index. */
function roundRatios(system: TargetMeasurement[], other: TargetMeasurement[]) {
  const latency = perRoundRatios(
    system.map((m) => m.sequential.p50Ms),
    other.map((m) => m.sequential.p50Ms),
  );
  const throughput = perRoundRatios(
    system.map((m) => m.loaded.throughputPerSecond),
    other.map((m) => m.loaded.throughputPerSecond),
  );
  return { latency, throughput };
}

export function buildRow(measurements: ScenarioMeasurements): ResultRow {
  const { system, floor, scenario } = measurements;
  const of = (list: TargetMeasurement[], pick: (measurement: TargetMeasurement) => number) => median(list.map(pick));
  const p50 = of(system, (m) => m.sequential.p50Ms);
  const floorP50 = of(floor, (m) => m.sequential.p50Ms);
  const throughput = of(system, (m) => m.loaded.throughputPerSecond);
  const floorThroughput = of(floor, (m) => m.loaded.throughputPerSecond);
  const targets = TARGETS[scenario];
  const rounds = roundRatios(system, floor);
  const ratio = interquartileMean(rounds.latency);
  const throughputRatio = interquartileMean(rounds.throughput);
  const cteFloor = measurements.cteFloor;
  const cteFloorP50 = of(cteFloor, (m) => m.sequential.p50Ms);
  const cteFloorThroughput = of(cteFloor, (m) => m.loaded.throughputPerSecond);
  const cteRounds = roundRatios(system, cteFloor);
  const first = system[0] as TargetMeasurement;
  return {
    scenario,
    p50_ms: round(p50, 3),
    p99_ms: round(
      of(system, (m) => m.sequential.p99Ms),
      3,
    ),
    throughput_per_s: round(throughput, 0),
    floor_p50_ms: round(floorP50, 3),
    floor_p99_ms: round(
      of(floor, (m) => m.sequential.p99Ms),
      3,
    ),
    floor_throughput_per_s: round(floorThroughput, 0),
    ratio: round(ratio, 2),
    throughput_ratio: round(throughputRatio, 2),
    ratio_rounds: rounds.latency.map((value) => round(value, 3)),
    throughput_ratio_rounds: rounds.throughput.map((value) => round(value, 3)),
    ratio_iqr_pct: round(halfIqrPercent(rounds.latency), 1),
    throughput_ratio_iqr_pct: round(halfIqrPercent(rounds.throughput), 1),
    loaded_p50_ms: round(
      of(system, (m) => m.loaded.p50Ms),
      2,
    ),
    loaded_p99_ms: round(
      of(system, (m) => m.loaded.p99Ms),
      2,
    ),
    floor_loaded_p50_ms: round(
      of(floor, (m) => m.loaded.p50Ms),
      2,
    ),
    floor_loaded_p99_ms: round(
      of(floor, (m) => m.loaded.p99Ms),
      2,
    ),
    concurrency: first.loaded.concurrency,
    connections: first.loaded.connections,
    duration_s: first.loaded.windowMs / 1000,
    sequential_duration_s: first.sequential.windowMs / 1000,
    rounds: system.length,
    redone_rounds: new Set(measurements.redone.map((redone) => `${redone.run}/${redone.phase}/${redone.attempt}`)).size,
    background_cpu_pct: round(
      median(
        system.map((m, index) =>
          Math.max(
            m.backgroundCpuPct.loaded,
            m.backgroundCpuPct.sequential,
            floor[index]?.backgroundCpuPct.loaded ?? 0,
            floor[index]?.backgroundCpuPct.sequential ?? 0,
          ),
        ),
      ),
      1,
    ),
    counts: {
      requests: sum(system.map((m) => m.loaded.completed)),
      sequential_requests: sum(system.map((m) => m.sequential.completed)),
      errors: sum(system.map((m) => m.loaded.errors + m.sequential.errors)),
      floor_requests: sum(floor.map((m) => m.loaded.completed)),
      floor_sequential_requests: sum(floor.map((m) => m.sequential.completed)),
      floor_errors: sum(floor.map((m) => m.loaded.errors + m.sequential.errors)),
    },
    cpu_us_per_request: {
      system: pooledCpu(system),
      floor: pooledCpu(floor),
      ...(cteFloor.length > 0 ? { cte_floor: pooledCpu(cteFloor) } : {}),
    },
    cpu_us_per_request_sequential: { system: pooledCpu(system, "sequential"), floor: pooledCpu(floor, "sequential") },
    ...(cteFloor.length > 0
      ? {
          cte_floor: {
            p50_ms: round(cteFloorP50, 3),
            throughput_per_s: round(cteFloorThroughput, 0),
            ratio: round(interquartileMean(cteRounds.latency), 2),
            throughput_ratio: round(interquartileMean(cteRounds.throughput), 2),
            ratio_iqr_pct: round(halfIqrPercent(cteRounds.latency), 1),
            throughput_ratio_iqr_pct: round(halfIqrPercent(cteRounds.throughput), 1),
          },
        }
      : {}),
    targets: { max_ratio: targets.maxLatencyRatio ?? null, min_throughput_ratio: targets.minThroughputRatio },
    meets_targets:
      (targets.maxLatencyRatio === undefined || ratio <= targets.maxLatencyRatio) &&
      throughputRatio >= targets.minThroughputRatio,
  };
}

/**
 * The pooled row (every run's rounds) with each run's ratios and their spread across runs: the
 * largest |run ratio − median of run ratios| / that median, in %; stable when both are within ±10%.
 */
export function withRunSpread(pooled: ResultRow, runRows: ResultRow[]): ResultRow {
  if (runRows.length < 2) return pooled;
  const ratioSpread = maxDeviationPercent(
    runRows.map((row) => (row.ratio_rounds.length > 0 ? interquartileMean(row.ratio_rounds) : row.ratio)),
  );
  const throughputSpread = maxDeviationPercent(
    runRows.map((row) =>
      row.throughput_ratio_rounds.length > 0 ? interquartileMean(row.throughput_ratio_rounds) : row.throughput_ratio,
    ),
  );
  return {
    ...pooled,
    runs: runRows.map((row) => ({
      ratio: row.ratio,
      throughput_ratio: row.throughput_ratio,
      ratio_iqr_pct: row.ratio_iqr_pct,
      throughput_ratio_iqr_pct: row.throughput_ratio_iqr_pct,
      background_cpu_pct: row.background_cpu_pct,
      redone_rounds: row.redone_rounds,
    })),
    ratio_spread_pct: round(ratioSpread, 1),
    throughput_ratio_spread_pct: round(throughputSpread, 1),
    stable: ratioSpread <= STABLE_SPREAD_PERCENT && throughputSpread <= STABLE_SPREAD_PERCENT,
  };
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? "").length)));
  const render = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column] as number)).join("  ");
  return [render(header), render(widths.map((width) => "-".repeat(width))), ...lines.map(render)].join("\n");
}

export function formatRows(rows: ResultRow[]): string {
  const verdict = (isMet: boolean) => (isMet ? "ok" : "MISS");
  const main = table(
    [
      "scenario",
      "p50 ms",
      "p99 ms",
      "thr/s",
      "floor p50",
      "floor thr/s",
      "ratio",
      "±rounds",
      "target",
      "thr ratio",
      "±rounds",
      "target",
      "loaded p50/p99 ms",
      "floor loaded p50/p99",
    ],
    rows.map((row) => [
      row.scenario,
      row.p50_ms.toFixed(3),
      row.p99_ms.toFixed(3),
      row.throughput_per_s.toFixed(0),
      row.floor_p50_ms.toFixed(3),
      row.floor_throughput_per_s.toFixed(0),
      row.ratio.toFixed(2),
      `±${row.ratio_iqr_pct.toFixed(1)}%`,
      row.targets.max_ratio === null ? "-" : `<=${row.targets.max_ratio} ${verdict(row.ratio <= row.targets.max_ratio)}`,
      row.throughput_ratio.toFixed(2),
      `±${row.throughput_ratio_iqr_pct.toFixed(1)}%`,
      `>=${row.targets.min_throughput_ratio} ${verdict(row.throughput_ratio >= row.targets.min_throughput_ratio)}`,
      `${row.loaded_p50_ms.toFixed(2)}/${row.loaded_p99_ms.toFixed(2)}`,
      `${row.floor_loaded_p50_ms.toFixed(2)}/${row.floor_loaded_p99_ms.toFixed(2)}`,
    ]),
  );
  const cpuNames = [
    ...new Set(
      rows.flatMap((row) => [...Object.keys(row.cpu_us_per_request.system), ...Object.keys(row.cpu_us_per_request.floor)]),
    ),
  ];
  const cpuRow = (label: string, values: Record<string, number>) => [
    label,
    ...cpuNames.map((name) => (values[name] === undefined ? "-" : (values[name] as number).toFixed(0))),
    sum(Object.values(values)).toFixed(0),
  ];
  const cpu = table(
    ["CPU µs/request", ...cpuNames, "total"],
    rows.flatMap((row) =>
      (["system", "floor", "cte_floor"] as const).flatMap((side) => {
        const values = row.cpu_us_per_request[side];
        return values ? [cpuRow(`${row.scenario} ${side}`, values)] : [];
      }),
    ),
  );
  // One request alone: the CPU on its path, against its sequential p50 (the rest of the p50 is waiting).
  const sequentialCpu = table(
    ["CPU µs/request, 1 in flight", ...cpuNames, "total"],
    rows.flatMap((row) =>
      (["system", "floor"] as const).map((side) => cpuRow(`${row.scenario} ${side}`, row.cpu_us_per_request_sequential[side])),
    ),
  );
  const first = rows[0];
  const setup = first
    ? `${first.concurrency} in flight over ${first.connections} connections; per round, interleaved system/floor passes of ` +
      `${first.duration_s} s loaded, then ${first.sequential_duration_s} s sequential; ${first.rounds} round(s)`
    : "";
  const cteLines = rows.flatMap((row) =>
    row.cte_floor
      ? [
          `${row.scenario} against a floor running its own statement (not a target): floor p50 ${row.cte_floor.p50_ms.toFixed(3)} ms, ` +
            `${row.cte_floor.throughput_per_s}/s; ratio ${row.cte_floor.ratio.toFixed(2)} ±${row.cte_floor.ratio_iqr_pct.toFixed(1)}%, ` +
            `thr ratio ${row.cte_floor.throughput_ratio.toFixed(2)} ±${row.cte_floor.throughput_ratio_iqr_pct.toFixed(1)}%`,
        ]
      : [],
  );
  const cteNote = cteLines.length > 0 ? `\n\n${cteLines.join("\n")}` : "";
  const background =
    "background CPU (busy outside the bench's processes, % of a core; median over scored rounds of the round's busiest pass): " +
    rows.map((row) => `${row.scenario} ${row.background_cpu_pct.toFixed(0)}% (${row.redone_rounds} round(s) redone)`).join(", ");
  return (
    `${setup}\np50/p99 (medians of the passes): sequential (1 in flight); thr/s: loaded; ratio = interquartile mean over rounds of ` +
    `(p50 / floor p50); thr ratio = interquartile mean over rounds of (thr / floor thr); ±rounds = half the interquartile range of ` +
    `the per-round ratios / their median\n\n${main}\n${background}${cteNote}\n\n${cpu}\n\n${sequentialCpu}\n` +
    "(nats-server and redis-server are shared with anything else running on the machine)"
  );
}

/** Each run's ratios beside each other and their spread across runs (rows from withRunSpread). */
export function formatRunSpread(rows: ResultRow[]): string {
  const verdict = (spread: number) => (spread <= STABLE_SPREAD_PERCENT ? "stable" : "UNSTABLE");
  const lines = rows.flatMap((row) => {
    if (!row.runs || row.ratio_spread_pct === undefined || row.throughput_ratio_spread_pct === undefined) return [];
    const ratios = row.runs.map((run) => run.ratio);
    const throughputRatios = row.runs.map((run) => run.throughput_ratio);
    return [
      [
        row.scenario,
        ratios.map((value) => value.toFixed(2)).join(" "),
        median(ratios).toFixed(2),
        `±${row.ratio_spread_pct.toFixed(1)}% ${verdict(row.ratio_spread_pct)}`,
        throughputRatios.map((value) => value.toFixed(2)).join(" "),
        median(throughputRatios).toFixed(2),
        `±${row.throughput_ratio_spread_pct.toFixed(1)}% ${verdict(row.throughput_ratio_spread_pct)}`,
        row.runs.map((run) => `${run.background_cpu_pct.toFixed(0)}%/${run.redone_rounds}`).join(" "),
      ],
    ];
  });
  if (lines.length === 0) return "";
  const runs = rows[0]?.runs?.length ?? 0;
  return (
    `across ${runs} runs: each run's ratio (interquartile mean of its per-round ratios), their median, and the spread = ` +
    `max |run − median| / median (stable within ±${STABLE_SPREAD_PERCENT}%)\n\n` +
    table(
      ["scenario", "ratio per run", "median", "spread", "thr ratio per run", "median", "spread", "background/redone per run"],
      lines,
    )
  );
}

/**
 * Where every bench (and `pnpm chaos`) writes its results: `bench/results`, or the directory
 * `SWITCHYARD_BENCH_RESULTS_DIR` names (the suite's short runs write to a temporary one).
 */
export const RESULTS_DIRECTORY =
  process.env.SWITCHYARD_BENCH_RESULTS_DIR || fileURLToPath(new URL("../../bench/results", import.meta.url));

/**
 * Writes one run's record to `RESULTS_DIRECTORY/<prefix><timestamp>.json` (the timestamp of `at`,
 * the run's start where the bench names one, else now) and returns the path.
 */
export function writeResults(record: Record<string, unknown>, options: { prefix?: string; at?: Date } = {}): string {
  mkdirSync(RESULTS_DIRECTORY, { recursive: true });
  const stamp = (options.at ?? new Date()).toISOString().replace(/:/g, "-");
  const path = join(RESULTS_DIRECTORY, `${options.prefix ?? ""}${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
