// Config service settings, parsed once at start. The secrets keys and the packaged default
// providers are also parsed for the operator CLI (`loadConfigAdminEnv`), which opens the same store.
import { commonEnv, envParts, parseEnv } from "@switchyard/runtime";
import { z } from "zod";
import { type ConfigTable, isConfigTable, parseConfigToml, validateConfig } from "./model/index.js";
import { SECRET_KEY_BYTES } from "./secrets/secret-box.js";

const keyHelp = `the base64 of exactly ${SECRET_KEY_BYTES} random bytes (make one with \`openssl rand -base64 32\`)`;

/** One AES-256 key, as base64 (standard or URL-safe alphabet). */
function parseSecretKey(text: string, context: z.RefinementCtx): Buffer | undefined {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, "base64");
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) || key.length !== SECRET_KEY_BYTES) {
    context.addIssue({ code: "custom", message: `must be ${keyHelp}; got ${key.length} bytes` });
    return undefined;
  }
  return key;
}

/** `[model_providers.<id>]` tables in TOML, validated as config.toml's providers are. */
function parseDefaultProviders(text: string, context: z.RefinementCtx): ConfigTable {
  if (text.trim() === "") return {};
  try {
    const table = parseConfigToml(text);
    const extra = Object.keys(table).filter((key) => key !== "model_providers");
    if (extra.length > 0) throw new Error(`only [model_providers.<id>] tables belong here, not ${extra.join(", ")}`);
    if (!isConfigTable(table.model_providers)) throw new Error("expected [model_providers.<id>] tables");
    validateConfig({ model_providers: table.model_providers });
    return table.model_providers;
  } catch (error) {
    context.addIssue({
      code: "custom",
      message: `not a valid [model_providers.<id>] TOML fragment: ${(error as Error).message}`,
    });
    return {};
  }
}

/** What both the service and the operator CLI need to open secrets and build the packaged defaults. */
const secretsAndDefaults = {
  SWITCHYARD_SECRETS_KEY: z
    .string()
    .optional()
    .transform((text, context) => (text === undefined || text.trim() === "" ? undefined : parseSecretKey(text, context)))
    .describe(
      `key sealing tenant secrets and provider credentials at rest: ${keyHelp}; unset: a development key that protects nothing (a warning is logged)`,
    ),
  SWITCHYARD_SECRETS_PREVIOUS_KEYS: envParts.commaList
    .transform((texts, context) => texts.map((text) => parseSecretKey(text, context)).filter((key) => key !== undefined))
    .describe("earlier SWITCHYARD_SECRETS_KEY values, comma-separated: values they sealed still open (key rotation)"),
  CONFIG_DEFAULT_MODEL_PROVIDERS: z
    .string()
    .default("")
    .transform(parseDefaultProviders)
    .describe("[model_providers.<id>] tables (TOML) added to the packaged-defaults layer, so model_provider may name them"),
  CONFIG_DEFAULT_MODEL_SERVICE_TIERS: z
    .string()
    .optional()
    .transform((text) =>
      text === undefined
        ? ["priority"]
        : text
            .split(",")
            .map((tier) => tier.trim())
            .filter(Boolean),
    )
    .describe(
      "service tiers the deployment's default model offers to tenants without a model catalog of their own, comma-separated (unset: priority, Codex's Fast; empty: none beyond default and flex)",
    ),
};

const schema = z.object({
  ...commonEnv,
  ...secretsAndDefaults,
  CONFIG_OPENAI_API_KEY: z
    .string()
    .optional()
    .describe("the deployment's OpenAI key, used by the built-in `openai` provider of tenants without an OPENAI_API_KEY secret"),
  OPENAI_API_KEY: z.string().optional().describe("fallback for CONFIG_OPENAI_API_KEY"),
  CONFIG_HEALTH_HOST: z.string().default("127.0.0.1"),
  CONFIG_HEALTH_PORT: envParts.port.default(0).describe("port for /healthz and /readyz (0: any free port)"),
  CONFIG_PG_POOL_SIZE: envParts.positiveInt.default(8),
  CONFIG_PG_ROLE: z
    .string()
    .default("switchyard_service")
    .describe("role queries run as (created by the migrations); empty: the login role, which must not bypass RLS"),
  CONFIG_CACHE_TTL_MS: envParts.positiveInt
    .default(300_000)
    .describe("how long an effective config stays in Redis (entries are also keyed by the tenant's write generation)"),
  CONFIG_GRPC_HOST: z
    .string()
    .default("127.0.0.1")
    .describe("address the per-tenant thread-config gRPC listeners bind (plaintext HTTP/2: keep it private)"),
  CONFIG_GRPC_PUBLIC_HOST: z.string().default("127.0.0.1").describe("host name printed in thread-config endpoint URLs"),
  CONFIG_GRPC_PORT_BASE: envParts.port
    .default(7400)
    .describe("first port handed to a tenant's thread-config listener; later tenants get the next free ones"),
  CONFIG_GRPC_DEFAULT_TENANT: z
    .string()
    .default("")
    .describe("a tenant given a thread-config listener at start (pnpm start sets its default tenant)"),
  CONFIG_GRPC_SYNC_MS: envParts.positiveInt
    .default(2_000)
    .describe("how often an instance looks for tenants' listeners to open (or take over from a dead instance)"),
  CONFIG_UPSTREAM_TIMEOUT_MS: envParts.positiveInt
    .default(5_000)
    .describe("deadline of one Load call to a tenant's upstream thread-config endpoint"),
  SWITCHYARD_KEYED_ACK_WAIT_MS: envParts.positiveInt.default(5_000),
  SWITCHYARD_KEYED_MAX_DELIVER: envParts.positiveInt.default(5),
});

export type ConfigEnv = z.infer<typeof schema>;
export const loadConfigEnv = (source: NodeJS.ProcessEnv = process.env): ConfigEnv => parseEnv(schema, source);

/** The deployment's OpenAI key for the built-in `openai` provider (null when neither variable is set). */
export const deploymentOpenAiKey = (env: ConfigEnv): string | null =>
  env.CONFIG_OPENAI_API_KEY?.trim() || env.OPENAI_API_KEY?.trim() || null;

const adminSchema = z.object({
  ...secretsAndDefaults,
  SWITCHYARD_EGRESS_DENY: commonEnv.SWITCHYARD_EGRESS_DENY,
  SWITCHYARD_EGRESS_ALLOW: commonEnv.SWITCHYARD_EGRESS_ALLOW,
});
export type ConfigAdminEnv = z.infer<typeof adminSchema>;
/** The settings the operator CLI needs to read and write secrets as the service does. */
export const loadConfigAdminEnv = (source: NodeJS.ProcessEnv = process.env): ConfigAdminEnv => parseEnv(adminSchema, source);
