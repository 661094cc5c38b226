// Remote-control service settings, parsed once at start. See the README's configuration table.
import { commonEnv, envParts, parseEnv } from "@switchyard/runtime";
import { z } from "zod";

const schema = z.object({
  ...commonEnv,
  REMOTE_CONTROL_HOST: z.string().default("127.0.0.1").describe("interface the machine-facing HTTP/WebSocket server listens on"),
  REMOTE_CONTROL_PORT: envParts.port.default(4546).describe("its port (0: any free port)"),
  REMOTE_CONTROL_PUBLIC_URL: z
    .url()
    .optional()
    .describe("the base URL machines put in `chatgpt_base_url` (default: http://<host>:<port>/backend-api/)"),
  REMOTE_CONTROL_JWT_HS256_SECRET: z
    .string()
    .optional()
    .describe("HS256 key of the issuer of machines' ChatGPT-style access tokens (default: GATEWAY_AUTH_JWT_HS256_SECRET)"),
  GATEWAY_AUTH_JWT_HS256_SECRET: z.string().optional(),
  REMOTE_CONTROL_JWKS_URL: z.url().optional().describe("JWKS of the access-token issuer (asymmetric keys)"),
  REMOTE_CONTROL_JWKS_FILE: z.string().optional(),
  REMOTE_CONTROL_JWT_ISSUER: z.string().optional().describe("exact `iss` required of access tokens"),
  REMOTE_CONTROL_JWT_AUDIENCE: envParts.commaList.describe("accepted `aud` values"),
  REMOTE_CONTROL_SERVER_TOKEN_TTL_S: envParts.positiveInt.default(3_600).describe("lifetime of a server token"),
  REMOTE_CONTROL_PAIRING_TTL_S: envParts.positiveInt.default(600).describe("lifetime of a pairing code"),
  REMOTE_CONTROL_PAIRING_CODES_PER_MINUTE: envParts.positiveInt
    .default(10)
    .describe("pairing codes a tenant may create per minute"),
  REMOTE_CONTROL_PAIRING_CLAIMS_PER_MINUTE: envParts.positiveInt
    .default(20)
    .describe("pairing-code claims (right or wrong) a tenant may attempt per minute"),
  REMOTE_CONTROL_RECONNECT_GRACE_MS: envParts.positiveInt
    .default(60_000)
    .describe("how long a dropped machine counts as `connecting`, and relayed clients wait for it"),
  REMOTE_CONTROL_PRESENCE_TTL_MS: envParts.positiveInt
    .default(15_000)
    .describe("TTL of a machine's presence key (refreshed at a third)"),
  REMOTE_CONTROL_CLIENT_PING_INTERVAL_MS: envParts.positiveInt
    .default(30_000)
    .describe("how often each relayed client is pinged through the machine (a `pong` of `unknown` closes it)"),
  REMOTE_CONTROL_PG_POOL_SIZE: envParts.positiveInt.default(8),
  REMOTE_CONTROL_PG_ROLE: z
    .string()
    .default("switchyard_service")
    .describe(
      "role queries run as (each session starts as it; created by the migrations); empty: the login role, which must not bypass RLS",
    ),
});

export type RemoteControlEnv = z.infer<typeof schema>;
export const loadRemoteControlEnv = (source: NodeJS.ProcessEnv = process.env): RemoteControlEnv => parseEnv(schema, source);
