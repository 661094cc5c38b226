#!/usr/bin/env node
// `pnpm test`: every unit test (beside the code, *.test.ts) and every integration test (test/*.test.ts)
// with node's test runner, against the real NATS, Postgres and Redis the environment points at.
// Integration suites spawn service processes (bundles built first, see below). Each suite has a
// database, a bus prefix and ports of its own (test/harness/infra.ts), so files run side by side:
// most of a suite's time is waiting on its processes, the bus and the database, not CPU, and two at a
// time take well under half the time of one at a time on these 2-core machines
// (SWITCHYARD_TEST_CONCURRENCY sets how many; 1 runs them one after another).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const roots = ["packages", "services", "test"].map((dir) => join(root, dir));

function findTests(directory, found = []) {
  for (const entry of readdirSync(directory)) {
    if (entry === "node_modules" || entry === "dist" || entry === "fixtures") continue;
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) findTests(path, found);
    else if (entry.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2);
const files = roots
  .flatMap((directory) => findTests(directory))
  .map((file) => relative(root, file))
  .filter((file) => filter.length === 0 || filter.some((pattern) => file.includes(pattern)))
  .sort((a, b) => Number(a.startsWith("test/")) - Number(b.startsWith("test/")) || a.localeCompare(b));
const concurrency = process.env.SWITCHYARD_TEST_CONCURRENCY ?? "2";

if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
if (filter.length === 0) {
  // The whole suite starts with the type check, so code that does not compile never "passes".
  console.log("type-checking (tsc --noEmit)");
  const typecheck = spawnSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json", "--noEmit"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);
}
// Integration suites start their services from bundles built here from the current sources
// (test/harness/processes.ts): ready in well under half the time tsx takes, on every start of a run.
// A source that does not bundle fails the run here.
console.log("building the service bundles (scripts/build.mjs)");
const build = spawnSync(process.execPath, [join(root, "scripts/build.mjs"), "--bench"], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
});
if (build.status !== 0) process.exit(build.status ?? 1);
console.log(`running ${files.length} test files, ${concurrency} at a time`);
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files],
  { cwd: root, stdio: "inherit", env: { ...process.env, SWITCHYARD_TEST_BUNDLES: "1" } },
);
process.exit(result.status ?? 1);
