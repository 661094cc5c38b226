import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { methodRegistry, notificationRegistry } from "./registry.js";

test("pnpm schema:export writes one JSON Schema per method and notification, with an index", () => {
  const outDir = mkdtempSync(join(tmpdir(), "sy-schema-"));
  const script = fileURLToPath(new URL("./export-json-schema.ts", import.meta.url));
  execFileSync(process.execPath, ["--import", "tsx", script, outDir], { stdio: "ignore" });
  const files = readdirSync(outDir);
  assert.equal(files.length, methodRegistry.size + notificationRegistry.size + 1);
  const index = JSON.parse(readFileSync(join(outDir, "index.json"), "utf8"));
  assert.deepEqual(Object.keys(index.methods).sort(), [...methodRegistry.keys()].sort());
  assert.deepEqual(index.methods["thread/name/set"], {
    owner: "thread",
    scope: { kind: "exclusive", family: "thread" },
    experimental: false,
    paramsRequired: true,
  });
  const rename = JSON.parse(readFileSync(join(outDir, "thread_name_set.json"), "utf8"));
  assert.deepEqual(rename.properties.params.required.sort(), ["name", "threadId"]);
  assert.equal(index.methods["mock/experimentalMethod"].experimental, true);
});
