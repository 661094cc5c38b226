// What a cloud thread has none of, answered as Codex 0.171.0 answers it then, by the thread service
// because the thread named must be one of the caller's loaded threads (`thread not found: <id>`):
// - app/read, as without a ChatGPT sign-in: apps (ChatGPT connectors) come with one, and none is
//   involved, so every id asked for is missing, each once, in the order first asked (the thread is
//   optional: it names whose app config to evaluate);
// - a thread's background terminals (list, clean, terminate): a cloud thread has no shell.
import { I32_RANGE, integerParseError, MAX_APP_READ_IDS, Method, SwitchyardError, USIZE_RANGE } from "@switchyard/protocol";
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
      // Codex's cursor is an offset (usize), read once the thread is found.
      const unreadable = params.cursor == null ? undefined : integerParseError(params.cursor, USIZE_RANGE);
      if (unreadable) throw new SwitchyardError({ reason: "invalidArgument", message: `invalid cursor: ${unreadable}` });
      return { data: [], nextCursor: null };
    },
    async [Method.backgroundTerminalsClean](params, context) {
      await loaded(context, params.threadId);
      return {};
    },
    async [Method.backgroundTerminalsTerminate](params, context) {
      // Codex reads the process id (a 32-bit integer) before it looks for the thread.
      const unreadable = integerParseError(params.processId, I32_RANGE);
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
