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
  THREAD_TURN_LEASE_MS: envParts.positiveInt
    .default(15_000)
    .describe(
      "a running turn's lease: renewed every third of it; a turn whose instance stops renewing is closed as failed after it",
    ),
  THREAD_TURN_CONTROL_TIMEOUT_MS: envParts.positiveInt
    .default(5_000)
    .describe("how long turn/interrupt, turn/steer and turn/start wait for the instance running the thread's turn"),
  THREAD_TOOL_CALL_TIMEOUT_MS: envParts.positiveInt
    .default(300_000)
    .describe("how long a dynamic tool call waits for a client's answer before the model is told it failed"),
  THREAD_TURN_SHUTDOWN_GRACE_MS: envParts.positiveInt
    .default(6_000)
    .describe(
      "on shutdown, how long running turns may finish before they are ended as failed (at most SWITCHYARD_SHUTDOWN_TIMEOUT_MS less 3 s, so their endings are written before the process gives up)",
    ),
  THREAD_NEXT_TURN_GRACE_MS: envParts.positiveInt
    .default(5_000)
    .describe(
      "a next turn owed for this long (a queued submission or a goal's continuation whose instance stopped or failed to start it) is started by any instance's next-turn sweeper",
    ),
  SWITCHYARD_KEYED_ACK_WAIT_MS: envParts.positiveInt.default(5_000),
  SWITCHYARD_KEYED_MAX_DELIVER: envParts.positiveInt.default(5),
});

export type ThreadEnv = z.infer<typeof schema>;
export const loadThreadEnv = (source: NodeJS.ProcessEnv = process.env): ThreadEnv => parseEnv(schema, source);
