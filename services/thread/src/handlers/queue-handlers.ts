// thread/queue/*: a thread's queue of user submissions, as Codex 0.171.0 keeps it (migration 0033).
// Every method is a keyed command on the thread, so it is ordered with the thread's turn admissions;
// the writes go through the ledger (`applyOnce`), so a redelivered command changes nothing twice. A
// submission added to an idle thread is owed a turn at once (the next-turn mark, migration 0031) and
// this instance starts it after the answer; one added while a turn runs waits for that turn's end.
// `thread/queue/start` admits its turn inside its own ledger transaction, so the submission leaves the
// queue exactly once.
import { integerParseError, Method, Notification, SwitchyardError, USIZE_RANGE, type UserInput } from "@switchyard/protocol";
import { type HandlerContext, type HandlersFor, newId, type TenantQueryable } from "@switchyard/runtime";
import type { LifecycleStore } from "../store/lifecycle-store.js";
import { isThreadId } from "../store/thread-store.js";
import { admittedTurnView, userInputItem } from "../turns/turn-items.js";
import type { TurnRunner } from "../turns/turn-runner.js";
import { type NextTurn, QUEUED_COLUMNS, type QueuedRow, queuedView, type TurnStore } from "../turns/turn-store.js";

type QueueMethodName =
  | typeof Method.threadQueueAdd
  | typeof Method.threadQueueList
  | typeof Method.threadQueueUpdate
  | typeof Method.threadQueueDelete
  | typeof Method.threadQueueReorder
  | typeof Method.threadQueueStart;

/** Codex's default page for lists it does not bound otherwise (the thread-list page). */
const DEFAULT_QUEUE_PAGE = 25;

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });
/** Codex reads the thread through its thread store first; a thread it has none of fails there. */
const noThread = (threadId: string) => new SwitchyardError({ reason: "threadNotFound", threadId, wording: "threadStore" });
const notQueued = (id: string) => invalid(`queued submission not found: ${id}`);

/** What a queued submission may hold, checked as Codex 0.171.0 checks it, then as a turn would. */
function checkQueuedInput(input: UserInput[]): void {
  if (input.length === 0) throw invalid("only user input can be added to the user-message queue");
  // Codex's queue keeps no remote image: it takes an image inline (a data URL) or not at all.
  if (input.some((part) => part.type === "image" && typeof part.url === "string" && !part.url.startsWith("data:"))) {
    throw invalid("remote image URLs are not supported; use an inline data URL instead");
  }
  userInputItem(input, null, 0); // refuses, in Switchyard's words, input a cloud thread cannot take
}

export function queueHandlers(deps: {
  lifecycle: LifecycleStore;
  turns: TurnStore;
  runner: TurnRunner;
}): Pick<HandlersFor<"thread">, QueueMethodName> {
  const { lifecycle, turns, runner } = deps;
  const tenantOf = (context: HandlerContext) => context.request.caller.tenant;
  const command = (context: HandlerContext, threadId: string) => ({
    commandId: context.request.commandId,
    method: context.request.method,
    threadId,
  });
  /** The thread, locked, or Codex's thread-store failure (unknown, another tenant's, archived). */
  const lockQueueThread = async (tx: TenantQueryable, tenant: string, threadId: string) => {
    const row = await lifecycle.lockThread(tx, tenant, threadId);
    if (!row || row.archived_at) throw noThread(threadId);
    return row;
  };
  const announceChange = (context: HandlerContext, threadId: string) =>
    context.events.emit(Notification.threadQueueChanged, { threadId }, { tenant: tenantOf(context), threadId });

  return {
    async [Method.threadQueueAdd](params, context) {
      const tenant = tenantOf(context);
      let startsNow = false;
      const { result, isReplay } = await lifecycle.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        // Codex's order: the thread, then what is queued.
        const row = await lockQueueThread(tx, tenant, params.threadId);
        checkQueuedInput(params.input);
        const inserted = await tx.query<QueuedRow>(
          "queue submission",
          `INSERT INTO thread.queued_submissions (tenant, thread_id, id, position, client_user_message_id, input, metadata, subject)
           SELECT $1, $2, $3, coalesce(max(position), 0) + 1, $4, $5::jsonb, $6::jsonb, $7
             FROM thread.queued_submissions WHERE tenant = $1 AND thread_id = $2
           RETURNING ${QUEUED_COLUMNS}`,
          [
            tenant,
            row.id,
            newId(),
            params.clientUserMessageId,
            JSON.stringify(params.input),
            params.responsesapiClientMetadata ? JSON.stringify(params.responsesapiClientMetadata) : null,
            context.request.caller.subject,
          ],
        );
        // An idle thread owes the submission its turn now (kept, should this instance stop first).
        if (!row.active_turn_id) {
          startsNow = true;
          await tx.query(
            "owe next turn",
            "UPDATE thread.threads SET next_turn_due_at = now() WHERE tenant = $1 AND id = $2 AND active_turn_id IS NULL",
            [tenant, row.id],
          );
        }
        return { queuedSubmission: queuedView(inserted.rows[0] as QueuedRow) };
      });
      if (!isReplay) {
        announceChange(context, params.threadId);
        if (startsNow) void runner.continueThread(tenant, params.threadId, context.request.caller.subject);
      }
      return result;
    },

    async [Method.threadQueueList](params, context) {
      const tenant = tenantOf(context);
      const limit = Math.max(1, params.limit ?? DEFAULT_QUEUE_PAGE);
      const queued = await lifecycle.transaction(tenant, async (tx) => {
        await lockQueueThread(tx, tenant, params.threadId);
        // Codex's cursor is the offset of the page's first submission, read once the thread is found.
        const unreadable = params.cursor == null ? undefined : integerParseError(params.cursor, USIZE_RANGE);
        if (unreadable) throw invalid(`invalid queue pagination cursor: ${unreadable}`);
        return turns.queued(tx, tenant, params.threadId);
      });
      const offset = params.cursor ? Number(params.cursor) : 0;
      const page = queued.slice(offset, offset + limit);
      const next = offset + page.length;
      return { data: page.map(queuedView), nextCursor: next < queued.length ? String(next) : null };
    },

    async [Method.threadQueueUpdate](params, context) {
      const tenant = tenantOf(context);
      const { result, isReplay } = await lifecycle.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        // Codex's order: the thread, what is queued, then the submission.
        const row = await lockQueueThread(tx, tenant, params.threadId);
        checkQueuedInput(params.input);
        if (!isThreadId(params.queuedSubmissionId)) throw notQueued(params.queuedSubmissionId);
        const updated = await tx.query<QueuedRow>(
          "update queued submission",
          `UPDATE thread.queued_submissions SET input = $4::jsonb, metadata = $5::jsonb
            WHERE tenant = $1 AND thread_id = $2 AND id = $3::uuid RETURNING ${QUEUED_COLUMNS}`,
          [
            tenant,
            row.id,
            params.queuedSubmissionId,
            JSON.stringify(params.input),
            params.responsesapiClientMetadata ? JSON.stringify(params.responsesapiClientMetadata) : null,
          ],
        );
        const submission = updated.rows[0];
        if (!submission) throw notQueued(params.queuedSubmissionId);
        return { queuedSubmission: queuedView(submission) };
      });
      if (!isReplay) announceChange(context, params.threadId);
      return result;
    },

    async [Method.threadQueueDelete](params, context) {
      const tenant = tenantOf(context);
      const { result, isReplay } = await lifecycle.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockQueueThread(tx, tenant, params.threadId);
        if (!isThreadId(params.queuedSubmissionId)) return { deleted: false };
        const deleted = await tx.query(
          "delete queued submission",
          "DELETE FROM thread.queued_submissions WHERE tenant = $1 AND thread_id = $2 AND id = $3::uuid",
          [tenant, row.id, params.queuedSubmissionId],
        );
        return { deleted: (deleted.rowCount ?? 0) > 0 };
      });
      if (result.deleted && !isReplay) announceChange(context, params.threadId);
      return result;
    },

    async [Method.threadQueueReorder](params, context) {
      const tenant = tenantOf(context);
      const { isReplay } = await lifecycle.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockQueueThread(tx, tenant, params.threadId);
        const current = (await turns.queued(tx, tenant, row.id)).map((submission) => submission.id);
        const wanted = params.queuedSubmissionIds;
        const isPermutation =
          wanted.length === current.length &&
          new Set(wanted).size === wanted.length &&
          wanted.every((id) => current.includes(id));
        if (!isPermutation) throw invalid("queue reorder must include every queued submission exactly once");
        await tx.query(
          "reorder queue",
          `UPDATE thread.queued_submissions AS q SET position = wanted.position
             FROM unnest($3::uuid[]) WITH ORDINALITY AS wanted (id, position)
            WHERE q.tenant = $1 AND q.thread_id = $2 AND q.id = wanted.id`,
          [tenant, row.id, wanted],
        );
        return {};
      });
      if (!isReplay) announceChange(context, params.threadId);
      return {};
    },

    async [Method.threadQueueStart](params, context) {
      const tenant = tenantOf(context);
      const submissionId = params.queuedSubmissionId ?? undefined;
      let next: NextTurn = { kind: "none" };
      const { result, isReplay } = await lifecycle.applyOnce(tenant, command(context, params.threadId), async (tx) => {
        const row = await lockQueueThread(tx, tenant, params.threadId);
        if (submissionId !== undefined && !isThreadId(submissionId)) {
          if (row.active_turn_id) throw invalid("thread already has an active or pending turn");
          throw notQueued(submissionId);
        }
        next = await turns.admitNextTurnIn(tx, tenant, row.id, runner.nextTurnLease(), { submissionId, queueOnly: true });
        if (next.kind === "busy") throw invalid("thread already has an active or pending turn");
        if (next.kind === "notQueued") throw notQueued(submissionId ?? "");
        if (next.kind !== "queued") throw invalid("queue is empty");
        return { turn: admittedTurnView(next.turn) };
      });
      if (!isReplay) runner.startNext(tenant, params.threadId, next, context.request.caller.subject);
      return result;
    },
  };
}
