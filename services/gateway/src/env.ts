// Gateway settings, parsed once at start. See the README's configuration table.
import { commonEnv, envParts, parseEnv } from "@switchyard/runtime";
import { z } from "zod";
import { GENEROUS_LIMITS, limitEnv } from "./limits/settings.js";

const schema = z.object({
  ...commonEnv,
  GATEWAY_HOST: z.string().default("127.0.0.1"),
  GATEWAY_PORT: envParts.port.default(4545),
  GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .describe("subject-safe id (default: random)"),
  GATEWAY_AUTH_CAPABILITY_TOKEN: z.string().optional().describe("capability token (hashed at start, never kept)"),
  GATEWAY_AUTH_CAPABILITY_TOKEN_SHA256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional(),
  GATEWAY_AUTH_CAPABILITY_TENANT: z.string().min(1).default("default"),
  GATEWAY_AUTH_CAPABILITY_SUBJECT: z.string().min(1).default("capability-token"),
  GATEWAY_AUTH_JWT_HS256_SECRET: z.string().optional(),
  GATEWAY_AUTH_JWKS_URL: z.url().optional(),
  GATEWAY_AUTH_JWKS_FILE: z.string().optional(),
  GATEWAY_AUTH_JWT_ISSUER: z.string().optional(),
  GATEWAY_AUTH_JWT_AUDIENCE: envParts.commaList,
  GATEWAY_AUTH_JWT_CLOCK_SKEW_S: z.coerce.number().int().min(0).default(30),
  GATEWAY_AUTH_JWT_TENANT_CLAIM: z.string().default("tenant"),
  GATEWAY_AUTH_JWT_SUBJECT_CLAIM: z.string().default("sub"),
  GATEWAY_AUTH_JWT_ROLES_CLAIM: z.string().default("roles"),
  GATEWAY_AUTH_DEFAULT_TENANT: z
    .string()
    .min(1)
    .default("default")
    .describe("tenant for HS256 tokens without a tenant claim, and for unauthenticated loopback use"),
  GATEWAY_ALLOWED_ORIGINS: envParts.commaList,
  GATEWAY_REQUEST_TIMEOUT_MS: envParts.positiveInt.default(30_000),
  GATEWAY_MODEL_REQUEST_TIMEOUT_MS: envParts.positiveInt
    .default(600_000)
    .describe("deadline of a request whose answer waits for a model call (thread/sample)"),
  GATEWAY_MAX_IN_FLIGHT_PER_CONNECTION: envParts.positiveInt.default(256),
  GATEWAY_MAX_OUTBOUND_BYTES: envParts.positiveInt.default(8 * 1024 * 1024),
  GATEWAY_MAX_FRAME_BYTES: envParts.positiveInt
    .default(16 * 1024 * 1024)
    .describe("hard cap on one inbound WebSocket frame (larger: the connection is closed with 1009)"),
  GATEWAY_PING_INTERVAL_MS: envParts.positiveInt
    .default(30_000)
    .describe("WebSocket ping interval; a client that misses a whole interval is dropped"),
  GATEWAY_RELAY_RECONNECT_GRACE_MS: envParts.positiveInt
    .default(60_000)
    .describe("how long a relayed client waits for its machine to reconnect before it is told the environment is offline"),
  // Limits (README "Operations → Limits"); 0 or unset = the generous default in limits/settings.ts.
  GATEWAY_LIMIT_REQUESTS_PER_S: limitEnv
    .rate(GENEROUS_LIMITS.requestsPerS)
    .describe("requests per second per tenant, all gateways"),
  GATEWAY_LIMIT_REQUEST_BURST: limitEnv.count(GENEROUS_LIMITS.requestBurst).describe("tenant bucket capacity"),
  GATEWAY_LIMIT_CONNECTIONS: limitEnv.count(GENEROUS_LIMITS.connections).describe("live connections per tenant, all gateways"),
  GATEWAY_LIMIT_TOKEN_REQUESTS_PER_S: limitEnv
    .rate(GENEROUS_LIMITS.tokenRequestsPerS)
    .describe("requests per second per token (tenant + subject), all gateways"),
  GATEWAY_LIMIT_TOKEN_REQUEST_BURST: limitEnv.count(GENEROUS_LIMITS.tokenRequestBurst).describe("token bucket capacity"),
  GATEWAY_LIMIT_TOKEN_CONNECTIONS: limitEnv.count(GENEROUS_LIMITS.tokenConnections).describe("live connections per token"),
  GATEWAY_LIMIT_TENANT_IN_FLIGHT: limitEnv
    .count(GENEROUS_LIMITS.inFlight)
    .describe("requests of one tenant in flight on one gateway (fairness)"),
  GATEWAY_TENANT_LIMITS: limitEnv.overrides.describe('per-tenant overrides, JSON: {"<tenant>": {"requestsPerS": 50, …}}'),
  GATEWAY_TENANT_LIMITS_FILE: limitEnv.overridesFile.describe("a path to the same JSON (e.g. a mounted ConfigMap)"),
  GATEWAY_LIMIT_REDIS_TIMEOUT_MS: envParts.positiveInt
    .default(100)
    .describe("a limit check slower than this counts as Redis unavailable (local bounds apply)"),
  GATEWAY_READ_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe("thread/read answers kept per gateway, invalidated by the thread service's change notices (0: off)"),
  GATEWAY_READ_CACHE_BYTES: envParts.positiveInt.default(64 * 1024 * 1024).describe("their serialized size, in all"),
  GATEWAY_READ_CACHE_TTL_MS: envParts.positiveInt
    .default(30_000)
    .describe("the longest an answer is kept (bounds a change notice lost to a thread-service crash)"),
  GATEWAY_CODEX_HOME: z.string().startsWith("/").default("/var/lib/switchyard/codex-home"),
});

export type GatewayEnv = z.infer<typeof schema>;
export const loadGatewayEnv = (source: NodeJS.ProcessEnv = process.env): GatewayEnv => parseEnv(schema, source);
