// Imported first by every benchmark entry: the services are measured as they are deployed. As
// bundles (services/<name>/dist/main.js, what a production image runs), built from the sources
// now, and so are the floor processes they are compared with (test/bench/floor/dist/), so both sides
// of a comparison run in the same form: run through tsx from source instead, a lone thread/start
// cost the services about 40% more CPU than its bundle does, the floor processes' small code much
// less. Without the development checks the test harness turns on (each emitted notification parsed
// against its spec, SWITCHYARD_CHECK_EVENTS). Processes the benchmark starts inherit this environment.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

process.env.SWITCHYARD_CHECK_EVENTS = "0";
// `pnpm test` built every bundle moments ago and says so (its bench-commands suite runs these entries).
if (process.env.SWITCHYARD_TEST_BUNDLES !== "1") {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--bench"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (build.status !== 0) throw new Error(`building the bundles the benchmark runs failed (exit ${build.status})`);
  process.env.SWITCHYARD_TEST_BUNDLES = "1";
}
