// The scripted Responses-API provider lives with the CLI (`pnpm start` runs it as the offline
// default); the tests and the benchmark use the same one.
export {
  lastUserText,
  type ScriptedResponses,
  type ScriptStep,
  startScriptedResponses,
} from "../../packages/cli/src/provider/scripted-responses.js";

/**
 * A `[model_providers.<id>]` table for CONFIG_DEFAULT_MODEL_PROVIDERS pointing at a scripted server,
 * without retries (a test scripts each answer) and with a short idle timeout; `extra` lines go last.
 */
export function scriptedProviderToml(baseUrl: string, options: { id?: string; extra?: string[] } = {}): string {
  const id = options.id ?? "scripted";
  return [
    `[model_providers.${id}]`,
    `name = "${id}"`,
    `base_url = "${baseUrl}"`,
    'wire_api = "responses"',
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "stream_idle_timeout_ms = 3000",
    ...(options.extra ?? []),
  ].join("\n");
}

/** Stack settings that make `providerToml`'s `scripted` provider every thread's default. */
export function scriptedProviderStackEnv(providerToml: string, threadEnv: Record<string, string> = {}) {
  return {
    configEnv: { CONFIG_DEFAULT_MODEL_PROVIDERS: providerToml, SWITCHYARD_DEFAULT_MODEL_PROVIDER: "scripted" },
    threadEnv: { SWITCHYARD_DEFAULT_MODEL_PROVIDER: "scripted", ...threadEnv },
  };
}
