// app/read, as Codex 0.171.0 answers it without a ChatGPT sign-in: apps (ChatGPT connectors) come
// with one, and none is involved, so every id asked for is missing, each once, in the order first
// asked. The thread it may name (to evaluate that thread's app config) must be one of the caller's
// loaded threads, which is why the thread service answers it.
import { MAX_APP_READ_IDS, Method, SwitchyardError } from "@switchyard/protocol";
import type { HandlersFor, TenantDb } from "@switchyard/runtime";
import { requireLoadedThread } from "./memory-handlers.js";

export function appHandlers(db: TenantDb): Pick<HandlersFor<"thread">, typeof Method.appRead> {
  return {
    async [Method.appRead](params, context) {
      if (params.appIds.length > MAX_APP_READ_IDS) {
        throw new SwitchyardError({ reason: "invalidParams", message: `app/read accepts at most ${MAX_APP_READ_IDS} appIds` });
      }
      if (params.threadId != null) await requireLoadedThread(db, context.request.caller.tenant, params.threadId);
      return { apps: [], missingAppIds: [...new Set(params.appIds)] };
    },
  };
}
