// The turn scenarios' rows: medians over rounds of each pass's figures, system beside floor, with the
// overhead (system − floor, ms) and the ratio (system / floor). Targets are printed, never enforced.
import type { TurnMetric, TurnPass, TurnScenarioMeasurements, TurnScenarioName, TurnSettings } from "./turns.js";

/** The target: a delta costs the system at most this much more than the direct relay (p50). */
export const DELTA_OVERHEAD_TARGET_MS = 2;

export interface TurnRow {
  scenario: TurnScenarioName;
  /** What is measured, with its unit. */
  measure: string;
  unit: "ms" | "turns/s";
  /** ms rows: p50 and p99; turns/s rows: the throughput in `system_p50` / `floor_p50`, p99 null. */
  system_p50: number;
  system_p99: number | null;
  floor_p50: number;
  floor_p99: number | null;
  /** ms rows: system − floor. */
  overhead_p50_ms: number | null;
  overhead_p99_ms: number | null;
  /** system / floor (p50 for ms rows). */
  ratio: number;
  target: string | null;
  meets_target: boolean | null;
  /** Samples behind the figures, summed over rounds (deltas, turns). */
  samples: { system: number; floor: number };
  turns: { system: number; floor: number };
  rounds: number;
  cpu_us_per_turn?: { system: Record<string, number>; floor: Record<string, number> };
}

function median(values: number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function medianCpu(passes: TurnPass[]): Record<string, number> {
  const names = new Set(passes.flatMap((pass) => Object.keys(pass.cpuMicrosPerTurn ?? {})));
  const result: Record<string, number> = {};
  for (const name of names) result[name] = round(median(passes.map((pass) => pass.cpuMicrosPerTurn?.[name] ?? 0)), 0);
  return result;
}

function msRow(
  measurements: TurnScenarioMeasurements,
  metricName: string,
  measure: string,
  target?: { text: string; isMet(row: TurnRow): boolean },
): TurnRow {
  const { system, floor } = measurements;
  const of = (passes: TurnPass[], pick: (metric: TurnMetric) => number) =>
    median(passes.map((pass) => (pass.metrics[metricName] ? pick(pass.metrics[metricName]) : Number.NaN)));
  const systemP50 = of(system, (metric) => metric.p50);
  const systemP99 = of(system, (metric) => metric.p99);
  const floorP50 = of(floor, (metric) => metric.p50);
  const floorP99 = of(floor, (metric) => metric.p99);
  const row: TurnRow = {
    scenario: measurements.scenario,
    measure,
    unit: "ms",
    system_p50: round(systemP50, 3),
    system_p99: round(systemP99, 3),
    floor_p50: round(floorP50, 3),
    floor_p99: round(floorP99, 3),
    overhead_p50_ms: round(systemP50 - floorP50, 3),
    overhead_p99_ms: round(systemP99 - floorP99, 3),
    ratio: round(systemP50 / floorP50, 2),
    target: target?.text ?? null,
    meets_target: null,
    samples: {
      system: sum(system.map((pass) => pass.metrics[metricName]?.count ?? 0)),
      floor: sum(floor.map((pass) => pass.metrics[metricName]?.count ?? 0)),
    },
    turns: { system: sum(system.map((pass) => pass.turns)), floor: sum(floor.map((pass) => pass.turns)) },
    rounds: system.length,
  };
  row.meets_target = target ? target.isMet(row) : null;
  return row;
}

export function buildTurnRows(measurements: TurnScenarioMeasurements, settings: TurnSettings): TurnRow[] {
  const stream = `${settings.deltas} deltas ${settings.deltaGapMs} ms apart`;
  switch (measurements.scenario) {
    case "turn/delta":
      return [
        msRow(measurements, "delta", `provider SSE send → client delta, ms (${stream})`, {
          text: `p50 overhead <= ${DELTA_OVERHEAD_TARGET_MS} ms`,
          isMet: (row) => (row.overhead_p50_ms ?? Number.POSITIVE_INFINITY) <= DELTA_OVERHEAD_TARGET_MS,
        }),
      ];
    case "turn/fanout":
      return [
        msRow(measurements, "spread", `delivery spread, first → last of ${settings.fanoutClients} subscribers, ms`),
        msRow(measurements, "endToEnd", `provider SSE send → last of ${settings.fanoutClients} subscribers, ms`),
      ];
    case "turn/throughput": {
      const { system, floor } = measurements;
      const systemThroughput = median(system.map((pass) => pass.throughputPerSecond ?? Number.NaN));
      const floorThroughput = median(floor.map((pass) => pass.throughputPerSecond ?? Number.NaN));
      const latency = msRow(measurements, "turn", "turn/start → turn/completed (floor: provider call), ms, loaded");
      return [
        {
          ...latency,
          measure: `turns/s, ${settings.concurrency} threads in flight (floor: provider calls/s)`,
          unit: "turns/s",
          system_p50: round(systemThroughput, 1),
          system_p99: null,
          floor_p50: round(floorThroughput, 1),
          floor_p99: null,
          overhead_p50_ms: null,
          overhead_p99_ms: null,
          ratio: round(systemThroughput / floorThroughput, 3),
          cpu_us_per_turn: { system: medianCpu(system), floor: medianCpu(floor) },
        },
        latency,
      ];
    }
  }
}

/** A text table; the first `left` columns are left-aligned, the rest right-aligned. */
function table(header: string[], lines: string[][], left = 1): string {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? "").length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, column) => (column < left ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number)))
      .join("  ");
  return [render(header), render(widths.map((width) => "-".repeat(width))), ...lines.map(render)].join("\n");
}

const pair = (p50: number, p99: number | null, digits: number) =>
  p99 === null ? p50.toFixed(digits) : `${p50.toFixed(digits)}/${p99.toFixed(digits)}`;
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;

export function formatTurnRows(rows: TurnRow[], settings: TurnSettings): string {
  if (rows.length === 0) return "";
  const main = table(
    ["scenario", "measure", "system p50/p99", "floor p50/p99", "overhead p50/p99 ms", "ratio", "target"],
    rows.map((row) => [
      row.scenario,
      row.measure,
      pair(row.system_p50, row.system_p99, row.unit === "ms" ? 2 : 1),
      pair(row.floor_p50, row.floor_p99, row.unit === "ms" ? 2 : 1),
      row.overhead_p50_ms === null ? "-" : `${signed(row.overhead_p50_ms)}/${signed(row.overhead_p99_ms ?? Number.NaN)}`,
      row.ratio.toFixed(row.unit === "ms" ? 2 : 3),
      row.target === null ? "-" : `${row.target} ${row.meets_target ? "ok" : "MISS"}`,
    ]),
    2,
  );
  const cpuRows = rows.filter((row) => row.cpu_us_per_turn);
  let cpu = "";
  if (cpuRows.length > 0) {
    const names = [
      ...new Set(
        cpuRows.flatMap((row) => [
          ...Object.keys(row.cpu_us_per_turn?.system ?? {}),
          ...Object.keys(row.cpu_us_per_turn?.floor ?? {}),
        ]),
      ),
    ];
    cpu = `\n\n${table(
      ["CPU µs/turn", ...names, "total"],
      cpuRows.flatMap((row) =>
        (["system", "floor"] as const).map((side) => {
          const values = row.cpu_us_per_turn?.[side] ?? {};
          return [
            `${row.scenario} ${side}`,
            ...names.map((name) => (values[name] === undefined ? "-" : (values[name] as number).toFixed(0))),
            sum(Object.values(values)).toFixed(0),
          ];
        }),
      ),
    )}`;
  }
  const first = rows[0] as TurnRow;
  return (
    `turns: ${settings.warmupSeconds} s warm-up + ${settings.seconds} s measured per pass, ${first.rounds} round(s), medians over rounds; ` +
    `overhead = system − floor; ratio = system / floor (p50; turns/s for throughput)\n\n${main}${cpu}`
  );
}
