// What a cloud thread has none of, answered as Codex 0.171.0 answers it then, by the thread service
// because the thread named must be one of the caller's loaded threads (`thread not found: <id>`):
// - app/read, as without a ChatGPT sign-in: apps (ChatGPT connectors) come with one, and none is
//   involved, so every id asked for is missing, each once, in the order first asked (the thread is
//   optional: it names whose app config to evaluate);
// - a thread's background terminals (list, clean, terminate): a cloud thread has no shell.
import { MAX_APP_READ_IDS, Method, SwitchyardError } from "@switchyard/protocol";
import type { HandlersFor, TenantDb } from "@switchyard/runtime";
import { requireLoadedThread } from "./memory-handlers.js";

export function appHandlers(
  db: TenantDb,
): Pick<
  HandlersFor<"thread">,
  | typeof Method.appRead
  | typeof Method.backgroundTerminalsList
  | typeof Method.backgroundTerminalsClean
  | typeof Method.backgroundTerminalsTerminate
> {
  const loaded = (context: { request: { caller: { tenant: string } } }, threadId: string) =>
    requireLoadedThread(db, context.request.caller.tenant, threadId);
  return {
    async [Method.backgroundTerminalsList](params, context) {
      await loaded(context, params.threadId);
      return { data: [], nextCursor: null };
    },
    async [Method.backgroundTerminalsClean](params, context) {
      await loaded(context, params.threadId);
      return {};
    },
    async [Method.backgroundTerminalsTerminate](params, context) {
      // Codex reads the process id (a 32-bit integer) before it looks for the thread.
      const unreadable = i32ParseError(params.processId);
      if (unreadable)
        throw new SwitchyardError({
          reason: "invalidArgument",
          message: `invalid background terminal process id: ${unreadable}`,
        });
      await loaded(context, params.threadId);
      return { terminated: false };
    },
    async [Method.appRead](params, context) {
      if (params.appIds.length > MAX_APP_READ_IDS) {
        throw new SwitchyardError({ reason: "invalidParams", message: `app/read accepts at most ${MAX_APP_READ_IDS} appIds` });
      }
      if (params.threadId != null) await loaded(context, params.threadId);
      return { apps: [], missingAppIds: [...new Set(params.appIds)] };
    },
  };
}

/** Why Rust's `str::parse::<i32>` refuses `text`, in its words; undefined when it reads. */
export function i32ParseError(text: string): string | undefined {
  if (text === "") return "cannot parse integer from empty string";
  if (!/^[+-]?\d+$/.test(text)) return "invalid digit found in string";
  const value = BigInt(text);
  if (value > 2_147_483_647n) return "number too large to fit in target type";
  if (value < -2_147_483_648n) return "number too small to fit in target type";
  return undefined;
}
