// thread/increment_elicitation and thread/decrement_elicitation, as Codex 0.171.0 answers them (the
// count after the change, and whether the thread's waits are paused); the count and its pause clock
// are kept by store/elicitation-store.ts, and the turn runner's waits for a client read that clock
// (turn-bus.ts `askClients`). Both go through the ledger: a redelivered change counts once.
import { Method, SwitchyardError } from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import type { ElicitationStore } from "../store/elicitation-store.js";
import type { LifecycleStore } from "../store/lifecycle-store.js";
import { isThreadId } from "../store/thread-store.js";

type ElicitationMethodName = typeof Method.threadIncrementElicitation | typeof Method.threadDecrementElicitation;

export function elicitationHandlers(
  lifecycle: LifecycleStore,
  elicitations: ElicitationStore,
): Pick<HandlersFor<"thread">, ElicitationMethodName> {
  async function change(threadId: string, delta: 1 | -1, context: HandlerContext) {
    const tenant = context.request.caller.tenant;
    const command = { commandId: context.request.commandId, method: context.request.method, threadId };
    const { result } = await lifecycle.applyOnce(tenant, command, async (tx) => {
      const count = isThreadId(threadId) ? await elicitations.change(tx, tenant, threadId, delta) : "notFound";
      if (count === "notFound") throw new SwitchyardError({ reason: "threadNotFound", threadId });
      if (count === "alreadyZero") {
        throw new SwitchyardError({ reason: "invalidArgument", message: "out-of-band elicitation count is already zero" });
      }
      return { count, paused: count > 0 };
    });
    return result;
  }
  return {
    [Method.threadIncrementElicitation]: (params, context) => change(params.threadId, 1, context),
    [Method.threadDecrementElicitation]: (params, context) => change(params.threadId, -1, context),
  };
}
