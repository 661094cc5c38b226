// Turns measured passes into result rows (medians over rounds), prints them with their targets, and
// writes the JSON record to bench/results/. Targets are printed, never enforced: timings on a shared
// 2-core machine are evidence, not a verdict.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioName } from "./config.js";
import type { LoadResult } from "./load.js";

/** One target's measurements in one round: the loaded pass, the sequential pass, CPU per request. */
export interface TargetMeasurement {
  loaded: LoadResult;
  sequential: LoadResult;
  /** CPU microseconds per completed request in the loaded window, per process group. */
  cpuMicrosPerRequest: Record<string, number>;
}

export interface ScenarioMeasurements {
  scenario: ScenarioName;
  system: TargetMeasurement[];
  floor: TargetMeasurement[];
  /** thread/name/set only, with --cte-floor: the keyed floor running thread/name/set's own statement. */
  cteFloor: TargetMeasurement[];
}

interface Targets {
  maxLatencyRatio?: number;
  minThroughputRatio: number;
}

export const TARGETS: Record<ScenarioName, Targets> = {
  "thread/read": { maxLatencyRatio: 1.25, minThroughputRatio: 0.8 },
  "thread/name/set": { minThroughputRatio: 0.7 },
  "config/read": { maxLatencyRatio: 1.25, minThroughputRatio: 0.8 },
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
  /** p50 / floor p50 (sequential). */
  ratio: number;
  /** throughput / floor throughput (loaded). */
  throughput_ratio: number;
  loaded_p50_ms: number;
  loaded_p99_ms: number;
  floor_loaded_p50_ms: number;
  floor_loaded_p99_ms: number;
  concurrency: number;
  connections: number;
  duration_s: number;
  sequential_duration_s: number;
  rounds: number;
  counts: {
    requests: number;
    sequential_requests: number;
    errors: number;
    floor_requests: number;
    floor_sequential_requests: number;
    floor_errors: number;
  };
  cpu_us_per_request: { system: Record<string, number>; floor: Record<string, number>; cte_floor?: Record<string, number> };
  /** With --cte-floor: the same pipeline as the floor, running thread/name/set's statement (not a target). */
  cte_floor?: { p50_ms: number; throughput_per_s: number; ratio: number; throughput_ratio: number };
  targets: { max_ratio: number | null; min_throughput_ratio: number };
  meets_targets: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function medianCpu(measurements: TargetMeasurement[]): Record<string, number> {
  const names = new Set(measurements.flatMap((measurement) => Object.keys(measurement.cpuMicrosPerRequest)));
  const result: Record<string, number> = {};
  for (const name of names) {
    result[name] = round(median(measurements.map((measurement) => measurement.cpuMicrosPerRequest[name] ?? 0)), 1);
  }
  return result;
}

export function buildRow(measurements: ScenarioMeasurements): ResultRow {
  const { system, floor, scenario } = measurements;
  const of = (list: TargetMeasurement[], pick: (measurement: TargetMeasurement) => number) => median(list.map(pick));
  const p50 = of(system, (m) => m.sequential.p50Ms);
  const floorP50 = of(floor, (m) => m.sequential.p50Ms);
  const throughput = of(system, (m) => m.loaded.throughputPerSecond);
  const floorThroughput = of(floor, (m) => m.loaded.throughputPerSecond);
  const targets = TARGETS[scenario];
  const ratio = p50 / floorP50;
  const cteFloor = measurements.cteFloor;
  const cteFloorP50 = of(cteFloor, (m) => m.sequential.p50Ms);
  const cteFloorThroughput = of(cteFloor, (m) => m.loaded.throughputPerSecond);
  const throughputRatio = throughput / floorThroughput;
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
    counts: {
      requests: sum(system.map((m) => m.loaded.completed)),
      sequential_requests: sum(system.map((m) => m.sequential.completed)),
      errors: sum(system.map((m) => m.loaded.errors + m.sequential.errors)),
      floor_requests: sum(floor.map((m) => m.loaded.completed)),
      floor_sequential_requests: sum(floor.map((m) => m.sequential.completed)),
      floor_errors: sum(floor.map((m) => m.loaded.errors + m.sequential.errors)),
    },
    cpu_us_per_request: {
      system: medianCpu(system),
      floor: medianCpu(floor),
      ...(cteFloor.length > 0 ? { cte_floor: medianCpu(cteFloor) } : {}),
    },
    ...(cteFloor.length > 0
      ? {
          cte_floor: {
            p50_ms: round(cteFloorP50, 3),
            throughput_per_s: round(cteFloorThroughput, 0),
            ratio: round(p50 / cteFloorP50, 2),
            throughput_ratio: round(throughput / cteFloorThroughput, 2),
          },
        }
      : {}),
    targets: { max_ratio: targets.maxLatencyRatio ?? null, min_throughput_ratio: targets.minThroughputRatio },
    meets_targets:
      (targets.maxLatencyRatio === undefined || ratio <= targets.maxLatencyRatio) &&
      throughputRatio >= targets.minThroughputRatio,
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
      "target",
      "thr ratio",
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
      row.targets.max_ratio === null ? "-" : `<=${row.targets.max_ratio} ${verdict(row.ratio <= row.targets.max_ratio)}`,
      row.throughput_ratio.toFixed(2),
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
  const cpu = table(
    ["CPU µs/request", ...cpuNames, "total"],
    rows.flatMap((row) =>
      (["system", "floor", "cte_floor"] as const).flatMap((side) => {
        const values = row.cpu_us_per_request[side];
        if (!values) return [];
        return [
          [
            `${row.scenario} ${side}`,
            ...cpuNames.map((name) => (values[name] === undefined ? "-" : (values[name] as number).toFixed(0))),
            sum(Object.values(values)).toFixed(0),
          ],
        ];
      }),
    ),
  );
  const first = rows[0];
  const setup = first
    ? `${first.concurrency} in flight over ${first.connections} connections, ${first.duration_s} s loaded + ${first.sequential_duration_s} s sequential per pass, ${first.rounds} round(s), medians`
    : "";
  const cteLines = rows.flatMap((row) =>
    row.cte_floor
      ? [
          `${row.scenario} against a floor running its own statement (not a target): floor p50 ${row.cte_floor.p50_ms.toFixed(3)} ms, ` +
            `${row.cte_floor.throughput_per_s}/s; ratio ${row.cte_floor.ratio.toFixed(2)}, thr ratio ${row.cte_floor.throughput_ratio.toFixed(2)}`,
        ]
      : [],
  );
  const cteNote = cteLines.length > 0 ? `\n\n${cteLines.join("\n")}` : "";
  return `${setup}\np50/p99: sequential (1 in flight); thr/s: loaded; ratio = p50 / floor p50; thr ratio = thr / floor thr\n\n${main}${cteNote}\n\n${cpu}\n(nats-server and redis-server are shared with anything else running on the machine)`;
}

export function writeResults(directory: string, record: Record<string, unknown>): string {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${new Date().toISOString().replace(/:/g, "-")}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
