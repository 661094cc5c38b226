// thread/guardianReview and thread/approveGuardianDeniedAction, as Codex 0.171.0 answers them
// (packages/protocol/src/methods/thread-guardian.ts says why no Switchyard thread has a call for
// Guardian to review). Codex's checks, in its order (probed on the binary):
// - guardianReview: the thread loaded (`thread not found: <id>`); no turn running (`thread has an
//   active turn`); then its latest call: a thread whose model history is empty has no final item to
//   look at (`expected a final plaintext …`), any other has no such call (`expected a completed …`).
// - approveGuardianDeniedAction: the event read as Codex's `GuardianAssessmentEvent` (`invalid
//   Guardian denial event: <serde's words>`), then the thread loaded; a `denied` event's action then
//   joins the model history as the user's approval (a developer message, Switchyard's wording, with
//   the action and its outcome as Codex puts them); `{}`. Exactly once on redelivery.
import {
  describeFound,
  enumRefusal,
  GUARDIAN_ACTIONS,
  GuardianAssessmentEvent,
  Method,
  SwitchyardError,
  serdeDetail,
} from "@switchyard/protocol";
import { type HandlersFor, newId } from "@switchyard/runtime";
import type { LifecycleStore } from "../store/lifecycle-store.js";
import type { ThreadStore } from "../store/thread-store.js";
import type { TurnStore } from "../turns/turn-store.js";

type GuardianMethodName = typeof Method.threadGuardianReview | typeof Method.threadApproveGuardianDeniedAction;

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });

const REVIEWABLE = "exec_command, apply_patch, request_permissions, or MCP call";

/**
 * Codex reads the event from a JSON value it already parsed, and serde words a wrong value from one
 * by its kind alone where it would quote it from text: `number`, `sequence`, `map`.
 */
const asValueText = (detail: string) =>
  detail.replace(/^invalid type: (?:integer `[^`]*`|floating point `[^`]*`|a sequence|a map)/, (found) =>
    found.includes("integer") || found.includes("floating")
      ? "invalid type: number"
      : `invalid type: ${found.slice("invalid type: a ".length)}`,
  );

/** Codex's refusal of an event it cannot read, or undefined when it reads as a GuardianAssessmentEvent. */
export function guardianEventRefusal(event: unknown): string | undefined {
  const detail = (): string | undefined => {
    // serde reads a struct from a sequence by position: an empty one is short of every field. (The
    // binary reports this one's length as 1, probed; the permission profile's as 0.)
    if (Array.isArray(event) && event.length === 0)
      return "invalid length 1, expected struct GuardianAssessmentEvent with 14 elements";
    const parsed = GuardianAssessmentEvent.safeParse(event);
    if (!parsed.success) return serdeDetail(parsed.error, event);
    const action = parsed.data.action;
    // An internally tagged enum: a sequence has no `type` to find.
    if (Array.isArray(action)) return "missing field `type`";
    if (action === null || typeof action !== "object") {
      return `invalid type: ${describeFound(action)}, expected internally tagged enum GuardianAssessmentAction`;
    }
    const type = (action as { type?: unknown }).type;
    if (type === undefined) return "missing field `type`";
    if (typeof type !== "string") return `invalid type: ${describeFound(type)}, expected variant identifier`;
    const variant = GUARDIAN_ACTIONS[type as keyof typeof GUARDIAN_ACTIONS];
    if (!variant) return enumRefusal(Object.keys(GUARDIAN_ACTIONS))({ input: type });
    const permissions = (action as { permissions?: unknown }).permissions;
    // serde reads a struct from a sequence by position: the profile has two fields.
    if (type === "request_permissions" && Array.isArray(permissions) && permissions.length < 2) {
      return `invalid length ${permissions.length}, expected struct RequestPermissionProfile with 2 elements`;
    }
    const fields = variant.safeParse(action);
    return fields.success ? undefined : serdeDetail(fields.error, action);
  };
  const refusal = detail();
  return refusal === undefined ? undefined : `invalid Guardian denial event: ${asValueText(refusal)}`;
}

/** What the model is told of a denied action the user approved (Codex tells it too, in its words). */
export function approvedDenialMessage(action: unknown): Record<string, unknown> {
  const approved = JSON.stringify({ action, outcome: "allowed" }, null, 2);
  const text = `The user has approved an action that the automatic reviewer had rejected.\n\nYou may perform exactly this action, in the context where it was first requested. The approval covers nothing else: not similar actions, and not the same action with different arguments.\n\nApproved action:\n${approved}`;
  return { type: "message", role: "developer", content: [{ type: "input_text", text }] };
}

export function guardianHandlers(deps: {
  threads: ThreadStore;
  lifecycle: LifecycleStore;
  turns: TurnStore;
}): Pick<HandlersFor<"thread">, GuardianMethodName> {
  const { threads, lifecycle, turns } = deps;
  const notFound = (threadId: string) => invalid(`thread not found: ${threadId}`);

  return {
    async [Method.threadGuardianReview](params, context) {
      const tenant = context.request.caller.tenant;
      const row = await threads.read(tenant, params.threadId);
      if (!row?.loaded_at || row.archived_at) throw notFound(params.threadId);
      if (await turns.runningTurn(undefined, tenant, row.id)) throw invalid("thread has an active turn");
      if (!(await turns.hasHistory(tenant, row.id))) throw invalid(`expected a final plaintext ${REVIEWABLE}`);
      throw invalid(`expected a completed plaintext ${REVIEWABLE} with a nonempty call ID`);
    },

    async [Method.threadApproveGuardianDeniedAction](params, context) {
      const refusal = guardianEventRefusal(params.event);
      if (refusal) throw invalid(refusal);
      const event = params.event as { status: string; action: unknown };
      const tenant = context.request.caller.tenant;
      const command = { commandId: context.request.commandId, method: context.request.method, threadId: params.threadId };
      await lifecycle.applyOnce(tenant, command, async (tx) => {
        const row = await lifecycle.lockThread(tx, tenant, params.threadId);
        if (!row?.loaded_at || row.archived_at) throw notFound(params.threadId);
        if (event.status !== "denied") return {};
        const message = { ...approvedDenialMessage(event.action), id: `msg_${newId()}` };
        await lifecycle.appendItems(tx, tenant, row.id, [{ turnId: newId(), item: null, responseItem: message }], null);
        return {};
      });
      return {};
    },
  };
}
