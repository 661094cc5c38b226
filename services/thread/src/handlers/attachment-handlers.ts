// thread/attachment/add|remove|list and thread/attachmentOwner/list, as Codex 0.171.0 runs them
// (methods/thread-attachments.ts says how they are keyed; store/attachment-store.ts how they are
// kept). Adds and removes go through the ledger; a change is announced to the tenant after the
// answer, again on a redelivery (its first delivery may have died before announcing it).
import { Method, Notification, SwitchyardError, type ThreadAttachmentOwnerListParams } from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import type { AttachmentPosition, AttachmentStore } from "../store/attachment-store.js";
import type { LifecycleStore } from "../store/lifecycle-store.js";
import { isThreadId } from "../store/thread-store.js";
import { pageSize } from "./page-size.js";

type AttachmentMethodName =
  | typeof Method.threadAttachmentAdd
  | typeof Method.threadAttachmentRemove
  | typeof Method.threadAttachmentList
  | typeof Method.threadAttachmentOwnerList;

// Codex's words, all -32602 (invalid params).
const invalidParams = (message: string) => new SwitchyardError({ reason: "invalidParams", message });
const invalidCursor = () => invalidParams("invalid pagination cursor");

/** An attachment's identity as Codex checks it: neither part blank (each kept as given). */
function identityOf(params: { attachmentType: string; identityKey: string }) {
  if (params.attachmentType.trim() === "") throw invalidParams("attachmentType must not be empty");
  if (params.identityKey.trim() === "") throw invalidParams("identityKey must not be empty");
  return { attachmentType: params.attachmentType, identityKey: params.identityKey };
}

/** A thread's attachment page cursor, as Codex writes it: `<threadId>|<createdAt>|<id>`. */
const attachmentCursor = (threadId: string, position: AttachmentPosition) => `${threadId}|${position.createdAt}|${position.id}`;

function attachmentPosition(cursor: string, threadId: string): AttachmentPosition {
  const [cursorThread, createdAt, id, ...rest] = cursor.split("|");
  if (rest.length > 0 || cursorThread !== threadId || !/^\d{1,15}$/.test(createdAt ?? "") || !isThreadId(id ?? "")) {
    throw invalidCursor();
  }
  return { createdAt: Number(createdAt), id: id as string };
}

/** An owner page cursor, as Codex writes it: the query it continues and the last thread shown. */
function ownerCursor(params: ThreadAttachmentOwnerListParams, threadId: string): string {
  return JSON.stringify({
    attachment_type: params.attachmentType,
    identity_key: params.identityKey,
    archived: params.archived ?? null,
    thread_id: threadId,
  });
}

/** The thread an owner cursor continues after; refused unless it continues this very query. */
function ownerCursorThread(params: ThreadAttachmentOwnerListParams, cursor: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw invalidCursor();
  }
  const fields = (parsed ?? {}) as Record<string, unknown>;
  const threadId = fields.thread_id;
  if (
    typeof threadId !== "string" ||
    !isThreadId(threadId) ||
    fields.attachment_type !== params.attachmentType ||
    fields.identity_key !== params.identityKey ||
    fields.archived !== (params.archived ?? null)
  ) {
    throw invalidCursor();
  }
  return threadId;
}

export function attachmentHandlers(
  lifecycle: LifecycleStore,
  attachments: AttachmentStore,
): Pick<HandlersFor<"thread">, AttachmentMethodName> {
  const tenantOf = (context: HandlerContext) => context.request.caller.tenant;
  const command = (context: HandlerContext, threadId: string) => ({
    commandId: context.request.commandId,
    method: context.request.method,
    threadId,
  });
  const notFound = (threadId: string) => invalidParams(`thread not found: ${threadId}`);
  const announce = (
    context: HandlerContext,
    change: {
      threadId: string;
      attachmentType: string;
      identityKey: string;
      attachmentId: string;
      operation: "created" | "deleted";
    },
  ) => context.events.emit(Notification.threadAttachmentUpdated, change, { tenant: tenantOf(context) });

  return {
    async [Method.threadAttachmentAdd](params, context) {
      const identity = identityOf(params);
      const tenant = tenantOf(context);
      const { result } = await lifecycle.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        if (!(await attachments.canHold(tx, tenant, params.threadId))) throw notFound(params.threadId);
        return attachments.add(tx, tenant, params.threadId, { ...identity, payload: params.payload });
      });
      if (result.outcome === "created") {
        announce(context, { threadId: params.threadId, ...identity, attachmentId: result.attachment.id, operation: "created" });
      }
      return result;
    },

    async [Method.threadAttachmentRemove](params, context) {
      const identity = identityOf(params);
      const tenant = tenantOf(context);
      const { result } = await lifecycle.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        if (!(await attachments.canHold(tx, tenant, params.threadId))) throw notFound(params.threadId);
        return { removedId: await attachments.remove(tx, tenant, params.threadId, identity) };
      });
      if (result.removedId !== null) {
        announce(context, { threadId: params.threadId, ...identity, attachmentId: result.removedId, operation: "deleted" });
      }
      return {};
    },

    async [Method.threadAttachmentList](params, context) {
      const after = params.cursor ? attachmentPosition(params.cursor, params.threadId) : null;
      // Codex's page: 25 unless asked, 1 to 100.
      const limit = pageSize(params.limit);
      const page = await attachments.list(tenantOf(context), params.threadId, after, limit + 1);
      const data = page.slice(0, limit);
      const last = data[data.length - 1];
      return { data, nextCursor: page.length > limit && last ? attachmentCursor(params.threadId, last) : null };
    },

    async [Method.threadAttachmentOwnerList](params, context) {
      const identity = identityOf(params);
      const afterThreadId = params.cursor ? ownerCursorThread(params, params.cursor) : null;
      const limit = pageSize(params.limit);
      const page = await attachments.owners(tenantOf(context), identity, params.archived ?? null, afterThreadId, limit + 1);
      const data = page.slice(0, limit);
      const last = data[data.length - 1];
      return { data, nextCursor: page.length > limit && last ? ownerCursor(params, last.threadId) : null };
    },
  };
}
