// `pnpm schema:export [outDir]`: writes Switchyard's protocol as JSON Schema, one file per method
// (params + result, with scope/owner/experimental annotations) and per notification, plus an index.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { methodRegistry, notificationRegistry } from "./registry.js";

const outDir = resolve(process.argv[2] ?? "schema");
mkdirSync(outDir, { recursive: true });

const fileName = (method: string) => method.replaceAll("/", "_");
const index: Record<string, unknown> = { methods: {}, notifications: {} };

for (const spec of methodRegistry.values()) {
  const scope = spec.scope.kind === "unkeyed" ? { kind: "unkeyed" } : { kind: spec.scope.kind, family: spec.scope.family };
  const document = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: spec.method,
    description: spec.summary,
    "x-switchyard": { owner: spec.owner, scope, experimental: spec.experimental, paramsRequired: spec.paramsRequired },
    properties: {
      params: z.toJSONSchema(spec.params, { io: "input", unrepresentable: "any" }),
      result: z.toJSONSchema(spec.result, { io: "output", unrepresentable: "any" }),
    },
  };
  writeFileSync(join(outDir, `${fileName(spec.method)}.json`), `${JSON.stringify(document, null, 2)}\n`);
  (index.methods as Record<string, unknown>)[spec.method] = document["x-switchyard"];
}
for (const spec of notificationRegistry.values()) {
  const document = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: spec.method,
    description: spec.summary,
    "x-switchyard": { audience: spec.audience, critical: spec.critical, experimental: spec.experimental },
    properties: { params: z.toJSONSchema(spec.params, { io: "output", unrepresentable: "any" }) },
  };
  writeFileSync(join(outDir, `${fileName(spec.method)}.notification.json`), `${JSON.stringify(document, null, 2)}\n`);
  (index.notifications as Record<string, unknown>)[spec.method] = document["x-switchyard"];
}
writeFileSync(join(outDir, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
console.log(`wrote ${methodRegistry.size} methods and ${notificationRegistry.size} notifications to ${outDir}`);
