// Environment parsing. Each service declares a zod object over `process.env`, parsed once at start;
// a bad or missing variable stops the process with a message naming it. No other module reads env.
import { DEFAULT_BUS_PREFIX } from "@switchyard/protocol";
import { z } from "zod";

export class EnvError extends Error {}

export function parseEnv<S extends z.ZodObject>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? "(environment)");
    return `  ${variable}: ${issue.message}`;
  });
  throw new EnvError(`invalid environment:\n${problems.join("\n")}`);
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** Booleans as operators write them: 1/0, true/false, yes/no. */
export const envBoolean = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .transform((value) => value === "1" || value === "true" || value === "yes");

/** A comma-separated list, trimmed, empty items dropped; absent means []. */
const commaList = z
  .string()
  .optional()
  .transform((value) =>
    value
      ? value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean)
      : [],
  );

/**
 * The default for `SWITCHYARD_HEDGE_AFTER_MS` (lane-client.ts): far beyond a healthy request's time
 * (milliseconds), so asking again means a lost or stalled request rather than a slow one, and one
 * that is slow for its own reasons is run a few times at most.
 */
export const DEFAULT_HEDGE_AFTER_MS = 2_000;

/** Settings every process shares: where the infrastructure is and how to name things on the bus. */
export const commonEnv = {
  NATS_URL: z.string().default("nats://127.0.0.1:4222").describe("NATS server URL(s), comma-separated"),
  DATABASE_URL: z.string().default("postgres://postgres@127.0.0.1:5432/switchyard").describe("Postgres connection string"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379").describe("Redis URL"),
  SWITCHYARD_BUS_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/)
    .default(DEFAULT_BUS_PREFIX)
    .describe("first token of every NATS subject (isolates deployments on a shared NATS)"),
  SWITCHYARD_INSTANCE_ID: z.string().optional().describe("stable id of this process (default: random)"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional().describe("OTLP/HTTP collector; traces are exported when set"),
  SWITCHYARD_SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  SWITCHYARD_JETSTREAM_REPLICAS: positiveInt
    .max(5)
    .default(1)
    .describe("copies of each keyed-lane stream in a JetStream cluster (3 survives losing a node; 1 on one server)"),
  SWITCHYARD_DEFAULT_MODEL: z.string().min(1).default("gpt-5.2").describe("model of threads that name none"),
  SWITCHYARD_DEFAULT_MODEL_PROVIDER: z.string().min(1).default("openai").describe("model provider of threads that name none"),
  SWITCHYARD_HEDGE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_HEDGE_AFTER_MS)
    .describe(
      "a request safe to ask twice (readOnly or repeatable) unanswered this long is asked again of its service's instances (0: never)",
    ),
  SWITCHYARD_CHECK_EVENTS: envBoolean
    .default(false)
    .describe("parse every notification a service emits against its spec (development and tests: CPU per notification)"),
  SWITCHYARD_EGRESS_DENY: commaList
    .transform((entries) => (entries.length > 0 ? entries : ["private"]))
    .describe(
      "addresses the services never connect to for a tenant (a provider's base_url, a thread-config endpoint): private (every non-public range, the default), loopback, IP addresses or CIDR ranges, comma-separated; none: no limit",
    ),
  SWITCHYARD_EGRESS_ALLOW: commaList.describe(
    "exceptions to SWITCHYARD_EGRESS_DENY (loopback, IP addresses or CIDR ranges), e.g. an internal model gateway's 10.20.0.0/16",
  ),
  SWITCHYARD_FAILPOINTS: commaList.describe(
    "tests only: failpoints where this process kills itself (failpoints.ts), comma-separated; never in production",
  ),
};

/** The parsed shape of `commonEnv`, as every service's env object includes it. */
export type CommonEnv = z.infer<z.ZodObject<typeof commonEnv>>;

export const envParts = { port, positiveInt, commaList };
