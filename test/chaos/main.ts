// `pnpm chaos`: the whole system, several instances of each service, under a steady mixed load while
// faults are injected one at a time; prints a table and writes bench/results/chaos-<timestamp>.json.
// Exits 1 when a target is missed. `pnpm chaos --help` lists the knobs.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { writeResults } from "../bench/report.js";
import { FAULTS } from "./faults.js";
import { formatChaosTable } from "./report.js";
import { type ChaosOptions, missedTargets, runChaos } from "./runner.js";

const HELP = `pnpm chaos [options]

Runs 2 gateways, 3 thread, 2 config and 2 remote-control instances on private NATS, Postgres and
Redis servers (loopback, free ports), keeps a mixed load up (keyed writes on shared threads, reads,
turns against a scripted model, config writes) and injects each fault in turn:
${FAULTS.map((fault) => `  ${fault.name.padEnd(22)}${fault.description}`).join("\n")}

  --faults a,b,...     only these faults (default: all, in the order above)
  --observe-s N        load kept up after each fault ends (default 12; recovery must fit in it)
  --warmup-s N         load before each fault (default 3)
  --hold-s N           how long a restarted server stays down (default 3; Redis twice that)
  --json FILE          also write the report here
  --help               this text
`;

const { values } = parseArgs({
  options: {
    faults: { type: "string" },
    "observe-s": { type: "string", default: "12" },
    "warmup-s": { type: "string", default: "3" },
    "hold-s": { type: "string", default: "3" },
    json: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const seconds = (name: string, text: string | undefined) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive number of seconds\n`);
    process.exit(2);
  }
  return value * 1000;
};

const log = (line: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

export const CHAOS_DEFAULTS: Omit<ChaosOptions, "log" | "faults" | "warmupMs" | "holdMs" | "observeMs"> = {
  scale: { gateways: 2, threads: 3, configs: 2, remoteControls: 2 },
  timings: { ackWaitMs: 3_000, turnLeaseMs: 3_000, requestTimeoutMs: 15_000 },
  load: { writers: 8, readers: 4, turners: 2, configWriters: 2, paceMs: 40 },
  turnMs: 600,
};

const report = await runChaos({
  ...CHAOS_DEFAULTS,
  faults: values.faults?.split(",").map((name) => name.trim()),
  warmupMs: seconds("warmup-s", values["warmup-s"]),
  holdMs: seconds("hold-s", values["hold-s"]),
  observeMs: seconds("observe-s", values["observe-s"]),
  log,
});
process.stdout.write(`${formatChaosTable(report)}\n`);
const path = writeResults(report as unknown as Record<string, unknown>, { prefix: "chaos-", at: new Date(report.startedAt) });
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
log(`results written to ${path}`);
const missed = report.rows.flatMap((row) => missedTargets(row).map((miss) => `${row.fault}: ${miss}`));
if (missed.length > 0) {
  log(`targets missed:\n  ${missed.join("\n  ")}`);
  process.exit(1);
}
log(`every target met (${report.rows.length} phases, ${report.durationS.toFixed(0)} s)`);
process.exit(0);
