// Config service settings, parsed once at start.
import { commonEnv, envParts, parseEnv } from "@switchyard/runtime";
import { z } from "zod";

const schema = z.object({
  ...commonEnv,
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
