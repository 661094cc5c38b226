// The bench commands, run short: each must finish with exit 0 and write the rows its README section
// promises to its results file. Nothing here judges a figure (`pnpm bench` and friends measure; a run
// this short measures nothing worth reading); it catches a bench that no longer runs at all, as two did
// once reads were served from the gateway's cache (the measuring connections hit the default rate
// limits) and one once thread/list selected source kinds (its floor's copied statements no longer
// answered what the system did). The peer and relay benches run the real Codex binary for minutes and
// are left to their own commands. Results go to a temporary directory, not bench/results.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const resultsDirectory = mkdtempSync(join(tmpdir(), "switchyard-bench-results-"));

interface BenchRun {
  code: number | null;
  output: string;
  /** The results file the run wrote (parsed). */
  record: Record<string, unknown>;
}

/** Runs one bench entry point to its end and reads the one results file it wrote. */
async function runBench(entry: string, args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<BenchRun> {
  const before = new Set(readdirSync(resultsDirectory));
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, SWITCHYARD_BENCH_RESULTS_DIR: resultsDirectory },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  const written = readdirSync(resultsDirectory).filter((name) => !before.has(name));
  assert.equal(code, 0, `${entry} ${args.join(" ")} exited ${code}:\n${output.slice(-4000)}`);
  assert.equal(
    written.length,
    1,
    `${entry} wrote ${written.length} results files (${written.join(", ")}):\n${output.slice(-2000)}`,
  );
  const record = JSON.parse(readFileSync(join(resultsDirectory, written[0] as string), "utf8")) as Record<string, unknown>;
  return { code, output, record };
}

type Row = Record<string, unknown>;
const rowsOf = (record: Record<string, unknown>, key = "rows"): Row[] => {
  const rows = record[key];
  assert.ok(Array.isArray(rows) && rows.length > 0, `no ${key} in ${JSON.stringify(record).slice(0, 400)}`);
  return rows as Row[];
};
/**
 * A token's default request rate made tiny: a bench whose measuring connections still ran under the
 * defaults would be refused at once instead of only after a long enough pass (the gateways inherit
 * the bench's environment; what a bench sets for its gateway wins over it).
 */
const TINY_TOKEN_RATE = { GATEWAY_LIMIT_TOKEN_REQUESTS_PER_S: "50", GATEWAY_LIMIT_TOKEN_REQUEST_BURST: "100" };
const positive = (row: Row, field: string) =>
  assert.ok(typeof row[field] === "number" && (row[field] as number) > 0, `${field} of ${JSON.stringify(row)}`);

describe("bench commands (short runs)", () => {
  after(() => rmSync(resultsDirectory, { recursive: true, force: true }));

  test("pnpm bench: the request scenarios write rows with their floors and ratios, and the write check holds", async () => {
    const { record } = await runBench("test/bench/main.ts", [
      ...["thread/read", "thread/name/set", "config/read", "thread/start"].flatMap((scenario) => ["--only", scenario]),
      ...["--rounds", "1", "--seconds", "0.3", "--seq-seconds", "0.2", "--warmup", "0.2", "--max-background-cpu", "1000"],
    ]);
    const rows = rowsOf(record);
    assert.deepEqual(rows.map((row) => row.scenario).sort(), ["config/read", "thread/name/set", "thread/read", "thread/start"]);
    for (const row of rows) {
      for (const field of ["p50_ms", "p99_ms", "throughput_per_s", "floor_p50_ms", "floor_throughput_per_s", "ratio"]) {
        positive(row, field);
      }
    }
    // CPU per request of each side, under load and one at a time (the second table).
    for (const row of rows) {
      for (const phase of ["cpu_us_per_request", "cpu_us_per_request_sequential"]) {
        const sides = row[phase] as Record<string, Record<string, number>>;
        for (const side of ["system", "floor"]) {
          const total = Object.values(sides[side] ?? {}).reduce((sum, value) => sum + value, 0);
          assert.ok(total > 0, `${row.scenario} ${phase}.${side}: ${JSON.stringify(sides[side])}`);
        }
      }
    }
    assert.deepEqual(record.failures, []);
    const checks = record.writeChecks as Record<string, { isCorrect: boolean; applied: number }>;
    assert.ok(checks.system?.isCorrect && checks.system.applied > 0, JSON.stringify(checks));
  });

  test("pnpm bench --only turn/…: the turn scenarios write their rows", async () => {
    const { record } = await runBench("test/bench/main.ts", [
      ...["turn/delta", "turn/throughput", "turn/fanout"].flatMap((scenario) => ["--only", scenario]),
      ...["--turn-rounds", "1", "--turn-seconds", "0.5", "--turn-warmup", "0.2", "--fanout-clients", "10"],
    ]);
    const scenarios = new Set(rowsOf(record, "turnRows").map((row) => row.scenario));
    assert.deepEqual([...scenarios].sort(), ["turn/delta", "turn/fanout", "turn/throughput"]);
    assert.deepEqual(record.failures, []);
  });

  test("pnpm bench --only connections/idle: RSS per connection, accept time and the live connection's reads", async () => {
    const { record } = await runBench(
      "test/bench/main.ts",
      [...["--only", "connections/idle", "--connections", "200", "--seconds", "0.5", "--warmup", "0.3", "--settle", "0.5"]],
      TINY_TOKEN_RATE,
    );
    const [row] = rowsOf(record);
    assert.equal(row?.scenario, "connections/idle");
    for (const field of ["p50_ms", "p99_ms", "throughput_per_s", "floor_p50_ms", "floor_p99_ms", "ratio"]) {
      positive(row as Row, field);
    }
    assert.equal(typeof row?.rss_per_connection_kb, "number");
  });

  test("pnpm bench --only fairness/thread-read: the quiet tenant's reads beside a flooding one", async () => {
    const { record } = await runBench("test/bench/main.ts", [
      "--only",
      "fairness/thread-read",
      "--rounds",
      "1",
      "--seconds",
      "0.5",
    ]);
    const [row] = rowsOf(record);
    positive(row as Row, "p99_ms");
    positive(row as Row, "floor_p99_ms");
    // How often the gateway stopped reading the flood's connections, read off its metrics.
    assert.equal(typeof (row?.flood as { read_pauses_per_s?: unknown } | undefined)?.read_pauses_per_s, "number");
  });

  test("pnpm bench --scale: list and search pages answer what the floor's statements answer", async () => {
    const { record } = await runBench("test/bench/main.ts", [
      ...["--scale", "--threads", "4000", "--tenants", "2", "--rounds", "1"],
      ...["--seconds", "0.3", "--seq-seconds", "0.3", "--warmup", "0.2"],
    ]);
    const rows = rowsOf(record);
    assert.deepEqual(
      rows.map((row) => row.scenario),
      ["list/first", "list/deep", "list/searchTerm", "search/common", "search/rare"],
    );
    for (const row of rows) positive(row, "p50_ms");
    assert.deepEqual(record.failures, []);
  });

  test("pnpm bench:memory: the thread service's RSS after touching few and many threads", async () => {
    const { record } = await runBench("test/bench/thread-memory.ts", [], {
      SWITCHYARD_BENCH_MEMORY_THREADS: "3000",
      ...TINY_TOKEN_RATE,
    });
    const rows = rowsOf(record);
    assert.deepEqual(
      rows.map((row) => row.threads),
      [1000, 3000],
    );
    for (const row of rows) positive(row, "rss_kb");
  });
});
