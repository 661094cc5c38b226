// `pnpm fuzz`: the gateway fuzzer for longer than the suite runs it (100,000 frames by default) on a
// fresh stack; prints the report and exits non-zero if any rule of the contract was violated.
//   pnpm fuzz [--frames N] [--seed N] [--time-cap-s N] [--json FILE]
//   (or FUZZ_FRAMES / FUZZ_SEED / FUZZ_TIME_CAP_S in the environment)
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatReport } from "./report.js";
import { longOptions, runFuzz } from "./runner.js";

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: process.env.FUZZ_FRAMES },
    seed: { type: "string", default: process.env.FUZZ_SEED },
    "time-cap-s": { type: "string", default: process.env.FUZZ_TIME_CAP_S },
    json: { type: "string" },
  },
});

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer, not ${text}`);
    process.exit(2);
  }
  return value;
}

const frames = positiveInteger("frames", values.frames);
const seed = positiveInteger("seed", values.seed);
const timeCapS = positiveInteger("time-cap-s", values["time-cap-s"]);
const options = longOptions({
  ...(frames !== undefined ? { frames } : {}),
  ...(seed !== undefined ? { seed } : {}),
  ...(timeCapS !== undefined ? { timeCapMs: timeCapS * 1000 } : {}),
  log: (line) => console.log(`[fuzz] ${line}`),
});

const report = await runFuzz(options);
console.log(`\n${formatReport(report)}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
const failed = report.rules.filter((rule) => rule.violations > 0);
console.log(
  failed.length === 0
    ? "\nfuzz: every rule held"
    : `\nfuzz: ${failed.length} rules violated: ${failed.map((rule) => rule.rule).join(", ")}`,
);
process.exit(failed.length === 0 ? 0 : 1);
