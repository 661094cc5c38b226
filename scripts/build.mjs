#!/usr/bin/env node
// `pnpm build`: one self-contained, runnable bundle per process (services/<name>/dist/main.js,
// packages/cli/dist/main.js) for production images: `node dist/main.js` needs no node_modules.
// `--bench` also bundles the benchmark's floor processes.
// Files a process reads at run time (migrations) stay beside it and are found relative to the bundle.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const workspaceDirs = ["packages", "services"].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name))
    .filter((dir) => existsSync(join(dir, "package.json"))),
);

// Optional native add-ons that dependencies only try to load; never installed here.
const externalDependencies = ["pg-native"];
// CommonJS dependencies call require(); an ESM bundle gets one.
const requireShim =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);';

/** Bundles `entry` into `outfile` (written whole: see writeAtomically). */
async function bundle(entry, outfile) {
  const { outputFiles } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    external: externalDependencies,
    banner: { js: requireShim },
    logLevel: "warning",
    write: false,
  });
  // Each file lands whole (written beside, then renamed over the old one): a test suite starting a
  // service from dist/ while another rebuilds never loads a half-written bundle.
  for (const file of outputFiles) writeAtomically(file.path, file.contents);
  console.log(`built ${outfile.slice(root.length)}`);
}

const entries = workspaceDirs.filter((dir) => existsSync(join(dir, "src", "main.ts")));
for (const dir of entries) {
  await bundle(join(dir, "src", "main.ts"), join(dir, "dist", "main.js"));
  // Protocol definitions a module loads from beside itself (the thread-config .proto) go beside the bundle.
  for (const proto of findFiles(join(dir, "src"), ".proto")) {
    const target = join(dir, "dist", proto.split("/").pop());
    copyFileSync(proto, `${target}.${process.pid}`);
    renameSync(`${target}.${process.pid}`, target);
  }
}

// `--bench`: also the benchmark's floor processes (test/bench/floor/dist/), so that the benchmark
// runs both sides of each comparison the way the services are deployed, as bundles.
if (process.argv.includes("--bench")) {
  const floors = join(root, "test", "bench", "floor");
  for (const name of ["floor-gateway", "floor-service", "floor-turns"]) {
    await bundle(join(floors, `${name}.ts`), join(floors, "dist", `${name}.js`));
  }
}

function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.${process.pid}`, contents);
  renameSync(`${path}.${process.pid}`, path);
}

function findFiles(directory, extension) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? findFiles(join(directory, entry.name), extension)
      : entry.name.endsWith(extension)
        ? [join(directory, entry.name)]
        : [],
  );
}
