// threadSection/* and thread/section/move, as Codex 0.171.0 runs them (methods/thread-sections.ts
// says how they are keyed; the store, store/section-store.ts, how sections and places are kept).
// Writes go through the ledger (`applyOnce`): a redelivered command changes nothing twice, and a
// move is announced again (its first delivery may have died before announcing it).
import {
  canonicalUuid,
  codexUuidError,
  Method,
  Notification,
  PINNED_SECTION_ID,
  SwitchyardError,
  type ThreadSection,
  type ThreadSectionMoveParams,
} from "@switchyard/protocol";
import { type HandlerContext, type HandlersFor, newId } from "@switchyard/runtime";
import { type LifecycleStore, NO_THREAD } from "../store/lifecycle-store.js";
import { type SectionStore, sectionIdOf, storedAppearance } from "../store/section-store.js";
import { isThreadId } from "../store/thread-store.js";
import { pageSize } from "./page-size.js";

type SectionMethodName =
  | typeof Method.threadSectionList
  | typeof Method.threadSectionCreate
  | typeof Method.threadSectionUpdate
  | typeof Method.threadSectionDelete
  | typeof Method.threadSectionMove;

// Codex's words: -32602 for the section methods' refusals, -32600 for a move's.
const invalidParams = (message: string) => new SwitchyardError({ reason: "invalidParams", message });
const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });
const sectionNotFound = (sectionId: string) => invalidParams(`thread section not found: ${sectionId}`);

/** A section name as Codex keeps it: trimmed, and not empty. */
function sectionName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw invalidParams("section name must not be empty");
  return trimmed;
}

export function sectionHandlers(
  lifecycle: LifecycleStore,
  sections: SectionStore,
): Pick<HandlersFor<"thread">, SectionMethodName> {
  const tenantOf = (context: HandlerContext) => context.request.caller.tenant;
  const command = (context: HandlerContext, threadId = NO_THREAD) => ({
    commandId: context.request.commandId,
    method: context.request.method,
    threadId,
  });

  /** Rename or delete: Pinned is refused (`what` it cannot be), an unknown id is not found. */
  const editableSectionId = (sectionId: string, what: "renamed" | "deleted") => {
    const id = sectionIdOf(sectionId);
    if (id === PINNED_SECTION_ID) throw invalidParams(`the built-in pinned section cannot be ${what}`);
    if (id === undefined) throw sectionNotFound(sectionId);
    return id;
  };

  return {
    async [Method.threadSectionList](params, context) {
      // Codex's page of sections: 25 unless asked, 1 to 100.
      const limit = pageSize(params.limit);
      const page = await sections.list(tenantOf(context), params.cursor ?? null, limit + 1);
      const data = page.slice(0, limit);
      return { data, nextCursor: page.length > limit ? (data[data.length - 1]?.id ?? null) : null };
    },

    async [Method.threadSectionCreate](params, context) {
      const section: ThreadSection = {
        id: newId(),
        name: sectionName(params.name),
        appearance: storedAppearance(params.appearance),
      };
      const tenant = tenantOf(context);
      const { result } = await lifecycle.applyOnce(tenant, command(context), async (tx) => {
        await sections.create(tx, tenant, section);
        return { section };
      });
      return result;
    },

    async [Method.threadSectionUpdate](params, context) {
      const sectionId = editableSectionId(params.sectionId, "renamed");
      const name = sectionName(params.name);
      const tenant = tenantOf(context);
      const { result } = await lifecycle.applyOnce(tenant, command(context), async (tx) => {
        await sections.lockSection(tx, tenant, sectionId);
        const keepAppearance = params.appearance === undefined;
        const updated = await sections.update(tx, tenant, sectionId, name, storedAppearance(params.appearance), keepAppearance);
        if (!updated) throw sectionNotFound(params.sectionId);
        lifecycle.changes.mark(tx, updated.threadIds);
        return { section: updated.section };
      });
      return result;
    },

    async [Method.threadSectionDelete](params, context) {
      const sectionId = editableSectionId(params.sectionId, "deleted");
      const tenant = tenantOf(context);
      await lifecycle.applyOnce(tenant, command(context), async (tx) => {
        await sections.lockSection(tx, tenant, sectionId);
        const threadIds = await sections.delete(tx, tenant, sectionId);
        if (!threadIds) throw sectionNotFound(params.sectionId);
        // Codex announces nothing for the threads that leave it: clients list the sections again.
        lifecycle.changes.mark(tx, threadIds);
        return {};
      });
      return {};
    },

    async [Method.threadSectionMove](params, context) {
      await move(params, context);
      // Announced to the tenant, as Codex broadcasts it; again on a redelivery.
      context.events.emit(
        Notification.threadSectionChanged,
        { threadId: params.threadId, sectionId: params.sectionId },
        { tenant: tenantOf(context) },
      );
      return {};
    },
  };

  async function move(params: ThreadSectionMoveParams, context: HandlerContext): Promise<void> {
    const { threadId, sectionId } = params;
    let beforeThreadId: string | undefined;
    if (params.beforeThreadId != null) {
      const error = codexUuidError(params.beforeThreadId);
      if (error !== undefined) throw invalid(`invalid before thread id: ${error}`);
      beforeThreadId = canonicalUuid(params.beforeThreadId);
      if (sectionId === null) throw invalid("beforeThreadId requires a non-null sectionId");
      if (beforeThreadId === threadId) throw invalid(`thread ${threadId} cannot be moved before itself`);
    }
    const tenant = tenantOf(context);
    await lifecycle.applyOnce(tenant, command(context, threadId), async (tx) => {
      const thread = isThreadId(threadId) ? await lifecycle.lockThread(tx, tenant, threadId) : undefined;
      if (!thread) throw new SwitchyardError({ reason: "threadNotFound", threadId });
      if (thread.is_ephemeral) throw invalid(`ephemeral thread does not support section moves: ${threadId}`);
      if (sectionId === null) {
        await lifecycle.updateThread(
          tx,
          tenant,
          threadId,
          "section_id = NULL, section = NULL, section_position = NULL, section_entered_at = NULL",
          [],
        );
        return {};
      }
      const noSuchSection = () => invalid(`section ${sectionId} does not exist`);
      const storedId = sectionIdOf(sectionId);
      if (storedId === undefined) throw noSuchSection();
      await sections.lockSection(tx, tenant, storedId);
      const section = await sections.find(tx, tenant, storedId);
      if (!section) throw noSuchSection();
      let before: { threadId: string; position: number } | null = null;
      if (beforeThreadId !== undefined) {
        const position = await sections.positionOf(tx, tenant, storedId, beforeThreadId);
        if (position === undefined) throw invalid(`before thread ${beforeThreadId} is not in section ${sectionId}`);
        before = { threadId: beforeThreadId, position };
      }
      const position = await sections.place(tx, tenant, storedId, threadId, before);
      // A move within its section keeps the time the thread entered it.
      await lifecycle.updateThread(
        tx,
        tenant,
        threadId,
        `section_entered_at = CASE WHEN section_id = $3 THEN section_entered_at ELSE now() END,
         section_id = $3, section = $4, section_position = $5`,
        [storedId, JSON.stringify(section), position],
      );
      return {};
    });
  }
}
