// Thread service settings, parsed once at start.
import { commonEnv, envParts, parseEnv } from "@switchyard/runtime";
import { z } from "zod";

const schema = z.object({
  ...commonEnv,
  THREAD_HEALTH_HOST: z.string().default("127.0.0.1"),
  THREAD_HEALTH_PORT: envParts.port.default(0).describe("port for /healthz and /readyz (0: any free port)"),
  THREAD_PG_POOL_SIZE: envParts.positiveInt.default(16),
  THREAD_PG_ROLE: z
    .string()
    .default("switchyard_service")
    .describe(
      "role queries run as (each session starts as it; created by the migrations); empty: the login role, which must not bypass RLS",
    ),
  THREAD_IDLE_UNLOAD_MS: envParts.positiveInt
    .default(600_000)
    .describe("a loaded thread with no subscribers and no activity for this long is unloaded (thread/closed)"),
  THREAD_DEFAULT_CWD: z.string().startsWith("/").default("/workspace"),
  SWITCHYARD_KEYED_ACK_WAIT_MS: envParts.positiveInt.default(5_000),
  SWITCHYARD_KEYED_MAX_DELIVER: envParts.positiveInt.default(5),
});

export type ThreadEnv = z.infer<typeof schema>;
export const loadThreadEnv = (source: NodeJS.ProcessEnv = process.env): ThreadEnv => parseEnv(schema, source);
