// Schema conformance: every result, notification and server request a test client receives is validated against
// the official Codex 0.171.0 JSON Schema for its method (the generated schemas are kept as a fixture
// in test/fixtures/codex-app-server-schema-0.171.0). Suites assert at the end that nothing failed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { methodRegistry, notificationRegistry } from "@switchyard/protocol";
import { Ajv, type ValidateFunction } from "ajv";

const schemaRoot = fileURLToPath(new URL("../fixtures/codex-app-server-schema-0.171.0", import.meta.url));

interface Envelope {
  oneOf: {
    title?: string;
    properties: { method: { enum: string[] }; params?: { $ref?: string; anyOf?: { $ref?: string }[] } };
  }[];
}

/** `ConfigRequirements/readRequest` → `ConfigRequirementsReadRequest` (methods whose params are null). */
const typeNameFromTitle = (title: string) =>
  title
    .split("/")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");

function schemaNamesByMethod(file: string, suffixFrom: string, suffixTo: string): Map<string, string> {
  const envelope = JSON.parse(readFileSync(join(schemaRoot, file), "utf8")) as Envelope;
  const names = new Map<string, string>();
  for (const variant of envelope.oneOf) {
    const method = variant.properties.method.enum[0];
    const params = variant.properties.params;
    const ref = params?.$ref ?? params?.anyOf?.find((option) => option.$ref)?.$ref;
    const typeName = ref
      ? ref.slice(ref.lastIndexOf("/") + 1)
      : variant.title
        ? typeNameFromTitle(variant.title).replace(/Request$/, "Params")
        : undefined;
    if (!method || !typeName) continue;
    const isRenamed = suffixFrom.length > 0 && typeName.endsWith(suffixFrom);
    names.set(method, isRenamed ? typeName.slice(0, -suffixFrom.length) + suffixTo : typeName);
  }
  return names;
}

const responseNames = schemaNamesByMethod("ClientRequest.json", "Params", "Response");
// Where the official export names a response differently from its params (both writes answer
// ConfigWriteResponse), or exports none (modelProvider/default/set answers an empty object).
responseNames.set("config/value/write", "ConfigWriteResponse");
responseNames.set("config/batchWrite", "ConfigWriteResponse");
responseNames.set("account/logout", "LogoutAccountResponse");
responseNames.set("account/securitySetup/read", "GetAccountSecuritySetupResponse");
responseNames.set("accountSession/list", "AccountSessionsResponse");
// Methods without params (the export names their response only).
responseNames.set("externalAgentConfig/import/readHistories", "ExternalAgentConfigImportHistoriesReadResponse");
responseNames.set("rollout/compress", "RolloutCompressResponse");
responseNames.set("config/mcpServer/reload", "McpServerRefreshResponse");
responseNames.set("account/gatewayOAuth/read", "GatewayOAuthReadResponse");
responseNames.set("account/gatewayOAuth/cancel", "GatewayOAuthCancelResponse");
// getAuthStatus and getConversationSummary are v1 methods the binary still answers but its schema no
// longer exports: their shapes are pinned against the binary instead (test/interop-legacy-methods.test.ts).
// thread/timeline/list: the binary spells its turn boundaries' fields in camelCase (`turnId`,
// `startedAt`, …) where its schema says snake_case; Switchyard sends what the binary sends, pinned
// against it in test/interop-timeline.test.ts, and its registry schema is checked here.
const registryOnlyResults = new Set([
  "modelProvider/default/set",
  "getAuthStatus",
  "getConversationSummary",
  "thread/timeline/list",
]);
const notificationNames = schemaNamesByMethod("ServerNotification.json", "", "");
const serverRequestNames = schemaNamesByMethod("ServerRequest.json", "", "");

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });
const compiled = new Map<string, ValidateFunction | null>();

function validatorFor(typeName: string): ValidateFunction | null {
  if (compiled.has(typeName)) return compiled.get(typeName) ?? null;
  const file = ["v2", "v1", "."].map((dir) => join(schemaRoot, dir, `${typeName}.json`)).find(existsSync);
  const validator = file ? ajv.compile(JSON.parse(readFileSync(file, "utf8"))) : null;
  compiled.set(typeName, validator);
  return validator;
}

export interface ConformanceReport {
  checked: number;
  failures: string[];
}

export const conformance: ConformanceReport = { checked: 0, failures: [] };

/** Validates one received frame; unknown methods are a failure too (the system invented a method). */
export function checkFrame(kind: "result" | "notification" | "serverRequest", method: string, body: unknown): void {
  // Switchyard's own methods and notifications (`switchyard/…`) have no Codex schema: their registry schema is the contract.
  if (kind !== "serverRequest" && (method.startsWith("switchyard/") || (kind === "result" && registryOnlyResults.has(method)))) {
    const schema = kind === "result" ? methodRegistry.get(method)?.result : notificationRegistry.get(method)?.params;
    conformance.checked++;
    if (!schema) {
      conformance.failures.push(`${kind} ${method}: not in the registry`);
      return;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) conformance.failures.push(`${kind} ${method} (registry): ${parsed.error.message.slice(0, 300)}`);
    return;
  }
  const names = kind === "result" ? responseNames : kind === "notification" ? notificationNames : serverRequestNames;
  const typeName = names.get(method);
  const validator = typeName ? validatorFor(typeName) : null;
  conformance.checked++;
  if (!validator) {
    conformance.failures.push(`${kind} ${method}: no official schema for this method`);
    return;
  }
  if (!validator(body)) {
    conformance.failures.push(
      `${kind} ${method} (${typeName}): ${ajv.errorsText(validator.errors)} in ${JSON.stringify(body).slice(0, 300)}`,
    );
  }
}
