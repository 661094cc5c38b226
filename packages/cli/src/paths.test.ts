import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { discoverMigrations, discoverServices } from "./paths.js";

const root = mkdtempSync(join(tmpdir(), "switchyard-paths-"));
after(() => rmSync(root, { recursive: true, force: true }));

it("finds services with a src/main.ts (gateway last) and their migration folders", () => {
  for (const service of ["gateway", "thread", "remote-control", "config"])
    mkdirSync(join(root, "services", service, "src"), { recursive: true });
  for (const service of ["gateway", "thread", "remote-control"])
    writeFileSync(join(root, "services", service, "src", "main.ts"), "");
  mkdirSync(join(root, "services", "thread", "migrations"));
  mkdirSync(join(root, "services", "remote-control", "migrations"));
  assert.deepEqual(
    discoverServices(root).map((entry) => entry.name),
    ["remote-control", "thread", "gateway"],
  );
  assert.equal(discoverServices(root)[0]?.bundle, join(root, "services", "remote-control", "dist", "main.js"));
  assert.deepEqual(
    discoverMigrations(root).map((set) => [set.service, set.schema]),
    [
      ["remote-control", "remote_control"],
      ["thread", "thread"],
    ],
  );
});
