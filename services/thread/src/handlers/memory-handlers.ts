// thread/memoryMode/set and thread/memory/read, as Codex 0.171.0 answers them for a thread with no
// memories (Switchyard generates none yet): the mode is kept with the thread (migration 0039), and a
// loaded thread's summary is null. The mode goes through the ledger, as every keyed write does.
import { Method, SwitchyardError } from "@switchyard/protocol";
import type { HandlersFor, TenantDb } from "@switchyard/runtime";
import type { LifecycleStore } from "../store/lifecycle-store.js";
import { isThreadId } from "../store/thread-store.js";

type MemoryMethodName = typeof Method.threadMemoryModeSet | typeof Method.threadMemoryRead;

export function memoryHandlers(lifecycle: LifecycleStore, db: TenantDb): Pick<HandlersFor<"thread">, MemoryMethodName> {
  return {
    async [Method.threadMemoryModeSet](params, context) {
      const tenant = context.request.caller.tenant;
      const { threadId } = params;
      const command = { commandId: context.request.commandId, method: context.request.method, threadId };
      await lifecycle.applyOnce(tenant, command, async (tx) => {
        const found = isThreadId(threadId)
          ? await tx.query<{ is_ephemeral: boolean; archived: boolean }>(
              "lock thread memory mode",
              "SELECT is_ephemeral, archived_at IS NOT NULL AS archived FROM thread.threads WHERE tenant = $1 AND id = $2 FOR UPDATE",
              [tenant, threadId],
            )
          : undefined;
        const row = found?.rows[0];
        // Codex looks for the thread's rollout among the live ones: an archived thread has none there.
        if (!row || row.archived) throw new SwitchyardError({ reason: "threadNotFound", threadId, wording: "noRollout" });
        if (row.is_ephemeral) {
          throw new SwitchyardError({
            reason: "invalidArgument",
            message: `ephemeral thread does not support metadata updates: ${threadId}`,
          });
        }
        await tx.query("set memory mode", "UPDATE thread.threads SET memory_mode = $3 WHERE tenant = $1 AND id = $2", [
          tenant,
          threadId,
          params.mode,
        ]);
        return {};
      });
      return {};
    },

    async [Method.threadMemoryRead](params, context) {
      await requireLoadedThread(db, context.request.caller.tenant, params.threadId);
      return { summary: null };
    },
  };
}

/** The thread must be one of the tenant's loaded ones (started or resumed, not archived), as Codex requires; else not found. */
export async function requireLoadedThread(db: TenantDb, tenant: string, threadId: string): Promise<void> {
  const found = isThreadId(threadId)
    ? await db.query<{ id: string }>(
        tenant,
        "loaded thread",
        "SELECT id FROM thread.threads WHERE tenant = $1 AND id = $2 AND loaded_at IS NOT NULL AND archived_at IS NULL",
        [tenant, threadId],
      )
    : undefined;
  if (!found?.rows[0]) throw new SwitchyardError({ reason: "threadNotFound", threadId });
}
