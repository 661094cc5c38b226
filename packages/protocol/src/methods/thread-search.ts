// Thread search and item reads, as the official 0.171.0 schema defines them (v2/ThreadSearch*.json,
// ThreadSearchOccurrences*.json, ThreadItemsRead*.json, ServerNotification `thread/search/partial`):
// content search across a tenant's threads (`thread/search`, and `thread/search/stream` with
// best-effort partial results), its cancellation, occurrences inside one thread, and reading chosen
// items of one turn. All experimental in Codex 0.171.0 (absent from its stable schema).
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { RequestIdSchema, U32 } from "../serde-types.js";
import { SortDirection, Thread, ThreadSourceKind } from "./thread.js";

/** A JSON-RPC request id as the cancel methods name it: a string or an integer (`RequestId`). */

/** `thread/search/stream` refuses a longer `searchTerm` (UTF-8 bytes, after trimming); Switchyard applies it to both. */
export const MAX_SEARCH_TERM_BYTES = 65_536;

export const ThreadSearchSortKey = z.enum(["created_at", "updated_at", "recency_at"]);

export const ThreadSearchParams = z.object({
  /** Case-insensitive substring, matched against the thread's title and its conversation content. */
  searchTerm: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
  /** Defaults to created_at. */
  sortKey: ThreadSearchSortKey.nullish(),
  /** Defaults to desc (newest first). */
  sortDirection: SortDirection.nullish(),
  sourceKinds: z.array(ThreadSourceKind).nullish(),
  archived: z.boolean().nullish(),
  /** Switchyard has no attached threads yet, so this changes nothing. */
  includeAttachedThreads: z.boolean().nullish(),
  /** Every thread a caller can see is already its tenant's; accepted and ignored. */
  currentAccountOnly: z.boolean().nullish(),
});
export type ThreadSearchParams = z.infer<typeof ThreadSearchParams>;

export const ThreadSearchResult = z.object({
  thread: Thread,
  /** The matching text around the first match (or the title, when only the title matched). */
  snippet: z.string(),
});
export type ThreadSearchResult = z.infer<typeof ThreadSearchResult>;

export const ThreadSearchResponse = z.object({
  data: z.array(ThreadSearchResult),
  nextCursor: z.string().nullable(),
  backwardsCursor: z.string().nullable(),
});
export type ThreadSearchResponse = z.infer<typeof ThreadSearchResponse>;

export const ThreadSearchCancelParams = z.object({ requestId: RequestIdSchema });
export type ThreadSearchCancelParams = z.infer<typeof ThreadSearchCancelParams>;
export const ThreadSearchCancelResponse = z.object({});

export const ThreadSearchOccurrencesParams = z.object({
  threadId: z.string(),
  /** Case-insensitive literal substring, found in visible user messages and assistant answers. */
  searchTerm: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export type ThreadSearchOccurrencesParams = z.infer<typeof ThreadSearchOccurrencesParams>;

/** A range within a snippet in UTF-16 code units: `start` inclusive, `end` exclusive. */
export const ThreadSearchTextRange = z.object({ start: U32, end: U32 });

export const ThreadSearchOccurrence = z.object({
  itemId: z.string(),
  turnId: z.string(),
  snippet: z.string(),
  snippetMatchRange: ThreadSearchTextRange,
  /** Inclusive cursor that `thread/turns/list` accepts to open the thread at this turn. */
  turnCursor: z.string(),
});
export type ThreadSearchOccurrence = z.infer<typeof ThreadSearchOccurrence>;

export const ThreadSearchOccurrencesResponse = z.object({
  /** In chronological order: by item, then by position within the item. */
  data: z.array(ThreadSearchOccurrence),
  nextCursor: z.string().nullable(),
});
export type ThreadSearchOccurrencesResponse = z.infer<typeof ThreadSearchOccurrencesResponse>;

/** At most this many `itemIds` per `thread/items/read` (Codex: "Supply 1 to 100 IDs"). */
export const MAX_ITEMS_READ_IDS = 100;

export const ThreadItemsReadParams = z.object({
  threadId: z.string(),
  turnId: z.string(),
  itemIds: z.array(z.string()),
});
export type ThreadItemsReadParams = z.infer<typeof ThreadItemsReadParams>;

export const ThreadItemEntry = z.object({
  turnId: z.string(),
  /** A stored ThreadItem, as it was appended. */
  item: z.record(z.string(), z.unknown()),
  startedAtMs: z.number().int().nullish(),
  completedAtMs: z.number().int().nullish(),
  outputDeferred: z.boolean().optional(),
});
export type ThreadItemEntry = z.infer<typeof ThreadItemEntry>;

export const ThreadItemsReadResponse = z.object({ data: z.array(ThreadItemEntry) });
export type ThreadItemsReadResponse = z.infer<typeof ThreadItemsReadResponse>;

export const ThreadSearchPartialNotification = z.object({
  requestId: RequestIdSchema,
  data: z.array(ThreadSearchResult),
});

export const ThreadSearchMethod = {
  threadSearch: "thread/search",
  threadSearchStream: "thread/search/stream",
  threadSearchCancel: "thread/search/cancel",
  threadSearchStreamCancel: "thread/search/stream/cancel",
  threadSearchOccurrences: "thread/searchOccurrences",
  threadItemsRead: "thread/items/read",
} as const;

export const ThreadSearchNotification = {
  threadSearchPartial: "thread/search/partial",
} as const;

/** Which search a cancel names: `thread/search/cancel` stops only `thread/search`, the stream one only the stream. */
export type SearchKind = "search" | "stream";

export const threadSearchMethods = defineMethods({
  [ThreadSearchMethod.threadSearch]: {
    owner: "thread",
    // Unkeyed: a tenant-wide read of committed state; it orders against no single thread.
    scope: { kind: "unkeyed" },
    // Not readOnly: a search over a large tenant is slow for its own reasons and cancellable by its
    // request id; asking it again would double the heaviest query and leave a cancel racing two runs.
    experimental: true,
    paramsRequired: true,
    params: ThreadSearchParams,
    result: ThreadSearchResponse,
    summary: "Case-insensitive search over the tenant's thread titles and conversation content, with snippets.",
  },
  [ThreadSearchMethod.threadSearchStream]: {
    owner: "thread",
    // Unkeyed: as thread/search; its partial results go to the calling connection only.
    scope: { kind: "unkeyed" },
    experimental: true,
    paramsRequired: true,
    params: ThreadSearchParams,
    result: ThreadSearchResponse,
    summary: "thread/search that sends best-effort thread/search/partial batches before its final answer.",
  },
  [ThreadSearchMethod.threadSearchCancel]: {
    owner: "thread",
    // Unkeyed: it must overtake the search it cancels, which may be running on another instance.
    scope: { kind: "unkeyed" },
    // A cancel is remembered by every instance (a broadcast): a second one changes nothing more.
    repeatable: "idempotent",
    experimental: true,
    paramsRequired: true,
    params: ThreadSearchCancelParams,
    result: ThreadSearchCancelResponse,
    summary: "Cancels this connection's thread/search with that request id (idempotent).",
  },
  [ThreadSearchMethod.threadSearchStreamCancel]: {
    owner: "thread",
    // Unkeyed: as thread/search/cancel.
    scope: { kind: "unkeyed" },
    // A cancel is remembered by every instance (a broadcast): a second one changes nothing more.
    repeatable: "idempotent",
    experimental: true,
    paramsRequired: true,
    params: ThreadSearchCancelParams,
    result: ThreadSearchCancelResponse,
    summary: "Cancels this connection's thread/search/stream with that request id (idempotent).",
  },
  [ThreadSearchMethod.threadSearchOccurrences]: {
    owner: "thread",
    // Unkeyed, as Codex's thread/turns/list and thread/items/list: a read of one thread's committed,
    // append-only items by any instance, concurrently. The gateway still holds it behind the same
    // connection's earlier writes to this thread (read-your-writes), as thread/read.
    scope: {
      kind: "unkeyed",
      readYourWrites: { family: "thread", id: (params: ThreadSearchOccurrencesParams) => params.threadId },
    },
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: ThreadSearchOccurrencesParams,
    result: ThreadSearchOccurrencesResponse,
    summary: "Pages through the occurrences of a search term in one thread's messages, with turn cursors.",
  },
  [ThreadSearchMethod.threadItemsRead]: {
    owner: "thread",
    // Unkeyed: as thread/searchOccurrences (stored items never change once appended).
    scope: {
      kind: "unkeyed",
      readYourWrites: { family: "thread", id: (params: ThreadItemsReadParams) => params.threadId },
    },
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: ThreadItemsReadParams,
    result: ThreadItemsReadResponse,
    summary: "Reads up to 100 stored items of one turn by id, in stored order.",
  },
});

export const threadSearchNotifications = defineNotifications({
  [ThreadSearchNotification.threadSearchPartial]: {
    params: ThreadSearchPartialNotification,
    audience: "connection",
    // In Codex 0.171.0's stable schema, although only thread/search/stream (experimental) sends it.
    experimental: false,
    critical: false,
    summary: "A provisional batch of thread/search/stream results, sent only to the requesting connection.",
  },
});
