// thread/timeline/list (experimental): a thread's history as one ordered list of turn boundaries and
// items, paged backwards from the newest, as Codex 0.171.0 answers it (probed on the binary):
// - checks in Codex's order: the thread id (the gateway), then a thread Codex has a rollout for
//   (otherwise -32601 `thread/timeline/list is not supported yet`: an unknown, fresh or ephemeral
//   thread), then not archived (`thread <id> is archived`), then the cursor;
// - a page is the `limit` entries (25 by default, 1 to 100) just before the cursor, oldest first;
//   `nextCursor` names the page's first entry while older ones remain, else null;
// - a cursor is Codex's own shape, JSON `{"threadId","position","kind","id"}`: entries strictly
//   before (position, kind, id) are the next page. Switchyard's positions are its own (lifecycle-store.ts
//   TIMELINE_PAGE_SQL), so one side's cursors mean nothing to the other, as with every cursor.
// A turn still running has its start and the items it has stored so far; its end follows when it ends.
//
// thread/realtime/list answers in the same position space: realtime audio is not supported, so there
// is never a realtime entry, but a thread Codex has a rollout for is `ready` with `snapshotEnd` (and
// `projectedThroughItemIndex`) one past its newest timeline entry, as Codex's is one past its
// rollout's last line (1 for a thread with no entries yet: Codex's first line is the thread's own
// record, position 0 here too); any other thread id is `unsupported` with 0, as Codex answers.
import { Method, SwitchyardError, type ThreadTimelineEntry, type ThreadTimelineListResponse } from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import type { LifecycleStore, TimelineBound, TimelineRow } from "../store/lifecycle-store.js";
import type { ThreadStore } from "../store/thread-store.js";
import { hasNoRollout } from "../thread-view.js";

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
/** Postgres's largest bigint: a cursor past every position bounds nothing. */
const PAST_EVERY_POSITION = "9223372036854775807";

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });

interface TimelineCursor extends TimelineBound {
  threadId: string;
}

/** Codex's cursor text: the JSON of the entry a page starts at. */
export function encodeTimelineCursor(threadId: string, row: Pick<TimelineRow, "position" | "kind" | "id">): string {
  return JSON.stringify({ threadId, position: Number(row.position), kind: row.kind, id: row.id });
}

/** Reads a cursor as Codex does: its four fields, or `invalid thread timeline cursor`. */
export function decodeTimelineCursor(cursor: string): TimelineCursor {
  let decoded: unknown;
  try {
    decoded = JSON.parse(cursor);
  } catch {
    throw invalid("invalid thread timeline cursor");
  }
  const { threadId, position, kind, id } = (decoded ?? {}) as Record<string, unknown>;
  const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;
  if (
    typeof decoded !== "object" ||
    typeof threadId !== "string" ||
    !isCount(position) ||
    !isCount(kind) ||
    typeof id !== "string"
  ) {
    throw invalid("invalid thread timeline cursor");
  }
  return {
    threadId,
    position: Number.isSafeInteger(position) ? String(position) : PAST_EVERY_POSITION,
    kind,
    id,
  };
}

type ItemEntry = Extract<ThreadTimelineEntry, { type: "item" }>;
type CompletedEntry = Extract<ThreadTimelineEntry, { type: "turnCompleted" }>;

const seconds = (at: Date | null) => (at ? Math.floor(at.getTime() / 1000) : null);

/** One stored entry as the binary sends it (its field order). */
export function timelineEntry(row: TimelineRow): ThreadTimelineEntry {
  const position = Number(row.position);
  if (row.kind === 0) {
    return { type: "turnStarted", position, turnId: row.turn_id, startedAt: seconds(row.started_at) };
  }
  if (row.kind === 1) {
    return { type: "item", position, turnId: row.turn_id, item: row.item as ItemEntry["item"] };
  }
  return {
    type: "turnCompleted",
    position,
    turnId: row.turn_id,
    // A turn without a recorded state (copied into a fork) ended before it was copied.
    status: (row.status ?? "completed") as CompletedEntry["status"],
    error: (row.error ?? null) as CompletedEntry["error"],
    startedAt: seconds(row.started_at),
    completedAt: seconds(row.completed_at),
    durationMs: row.started_at && row.completed_at ? row.completed_at.getTime() - row.started_at.getTime() : null,
  };
}

export function timelineHandlers(deps: {
  threads: ThreadStore;
  lifecycle: LifecycleStore;
}): Pick<HandlersFor<"thread">, typeof Method.threadTimelineList | typeof Method.threadRealtimeList> {
  const { threads, lifecycle } = deps;
  return {
    async [Method.threadTimelineList](params, context: HandlerContext): Promise<ThreadTimelineListResponse> {
      const tenant = context.request.caller.tenant;
      const row = await threads.read(tenant, params.threadId);
      if (row?.archived_at && !row.is_ephemeral) throw invalid(`thread ${row.id} is archived`);
      if (!row || row.is_ephemeral || hasNoRollout(row)) {
        throw new SwitchyardError({ reason: "notMaterialized", threadId: params.threadId, what: "timeline" });
      }
      const cursor = params.cursor ? decodeTimelineCursor(params.cursor) : null;
      if (cursor && cursor.threadId !== row.id) throw invalid("thread timeline cursor belongs to another thread");
      const limit = Math.min(Math.max(params.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
      const newestFirst = await lifecycle.timelinePage(tenant, row.id, cursor, limit + 1);
      const page = newestFirst.slice(0, limit).reverse();
      const oldest = page[0];
      return {
        data: page.map(timelineEntry),
        nextCursor: newestFirst.length > limit && oldest ? encodeTimelineCursor(row.id, oldest) : null,
        activeRealtimeSessionAtPageStart: null,
      };
    },

    async [Method.threadRealtimeList](params, context) {
      const tenant = context.request.caller.tenant;
      const row = await threads.read(tenant, params.threadId);
      // No realtime page of a thread is ever handed out, so a cursor for one of ours names none.
      if (params.cursor != null && row) throw invalid("invalid realtime cursor");
      if (!row || row.is_ephemeral || hasNoRollout(row)) {
        return { data: [], nextCursor: null, snapshotEnd: 0, projectedThroughItemIndex: 0, coverage: "unsupported" };
      }
      const [newest] = await lifecycle.timelinePage(tenant, row.id, null, 1);
      const end = newest ? Number(newest.position) + 1 : 1;
      return { data: [], nextCursor: null, snapshotEnd: end, projectedThroughItemIndex: end, coverage: "ready" };
    },
  };
}
