#!/usr/bin/env node
// `pnpm build`: one self-contained, runnable bundle per process (services/<name>/dist/main.js,
// packages/cli/dist/main.js) for production images: `node dist/main.js` needs no node_modules.
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

const entries = workspaceDirs.filter((dir) => existsSync(join(dir, "src", "main.ts")));
for (const dir of entries) {
  const { outputFiles } = await build({
    entryPoints: [join(dir, "src", "main.ts")],
    outfile: join(dir, "dist", "main.js"),
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
  // Protocol definitions a module loads from beside itself (the thread-config .proto) go beside the bundle.
  for (const proto of findFiles(join(dir, "src"), ".proto")) {
    const target = join(dir, "dist", proto.split("/").pop());
    copyFileSync(proto, `${target}.${process.pid}`);
    renameSync(`${target}.${process.pid}`, target);
  }
  console.log(`built ${join(dir, "dist", "main.js").slice(root.length)}`);
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
