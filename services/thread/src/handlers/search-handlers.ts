// Request handlers for thread search and item reads: thread/search, thread/search/stream (with
// thread/search/partial to the calling connection), thread/search/cancel, thread/search/stream/cancel,
// thread/searchOccurrences and thread/items/read.
//
// Cancelling (request-cancellations.ts): the instance running the search aborts its signal, and the
// search stops at its next check (between statements, or between fetches of a streamed walk) and
// answers `cancelled`.
import { createHash } from "node:crypto";
import {
  MAX_ITEMS_READ_IDS,
  MAX_SEARCH_TERM_BYTES,
  Method,
  type MethodName,
  Notification,
  type SearchKind,
  SwitchyardError,
  type ThreadItemsReadParams,
  type ThreadItemsReadResponse,
  type ThreadSearchCancelParams,
  type ThreadSearchOccurrence,
  type ThreadSearchOccurrencesParams,
  type ThreadSearchOccurrencesResponse,
  type ThreadSearchParams,
  type ThreadSearchResponse,
  type ThreadSearchResult,
} from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import type { RequestCancellations } from "../request-cancellations.js";
import { selectedSourceKinds } from "../source-kinds.js";
import {
  findMatches,
  foldCase,
  SearchAborted,
  type SearchHit,
  type SearchStore,
  snippetAround,
  snippetFor,
} from "../store/search-store.js";
import { encodeTurnCursor } from "../store/turn-cursor.js";
import { threadView } from "../thread-view.js";

type SearchMethodName =
  | typeof Method.threadSearch
  | typeof Method.threadSearchStream
  | typeof Method.threadSearchCancel
  | typeof Method.threadSearchStreamCancel
  | typeof Method.threadSearchOccurrences
  | typeof Method.threadItemsRead;

export type SearchHandlers = Pick<HandlersFor<"thread">, SearchMethodName>;

export const DEFAULT_SEARCH_PAGE = 25;
export const MAX_SEARCH_PAGE = 100;
export const DEFAULT_OCCURRENCE_PAGE = 50;
export const MAX_OCCURRENCE_PAGE = 200;
const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });

/** The trimmed term, refused when empty or longer than MAX_SEARCH_TERM_BYTES (Codex's texts). */
export function searchTermOf(method: MethodName, raw: string): string {
  const term = raw.trim();
  if (term.length === 0) throw invalid(`${method} requires a non-empty searchTerm`);
  const bytes = Buffer.byteLength(term, "utf8");
  if (bytes > MAX_SEARCH_TERM_BYTES) {
    throw invalid(`${method} searchTerm exceeds ${MAX_SEARCH_TERM_BYTES} UTF-8 bytes (got ${bytes} after trimming)`);
  }
  return term;
}

const pageSize = (limit: number | null | undefined, fallback: number, max: number) => Math.min(limit ?? fallback, max);

// ---- occurrence cursors: the (item seq, match index) of the next occurrence, for one thread and term ----

const termDigest = (term: string) => createHash("sha256").update(foldCase(term)).digest("base64url").slice(0, 16);

interface OccurrencePosition {
  seq: string;
  matchIndex: number;
}

export function encodeOccurrenceCursor(threadId: string, term: string, position: OccurrencePosition): string {
  return Buffer.from(JSON.stringify(["occ", threadId, termDigest(term), position.seq, position.matchIndex])).toString(
    "base64url",
  );
}

export function decodeOccurrenceCursor(cursor: string, threadId: string, term: string): OccurrencePosition {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(decoded) && decoded.length === 5) {
      const [tag, cursorThreadId, digest, seq, matchIndex] = decoded as unknown[];
      if (
        tag === "occ" &&
        cursorThreadId === threadId &&
        digest === termDigest(term) &&
        typeof seq === "string" &&
        /^\d{1,18}$/.test(seq) &&
        Number.isSafeInteger(matchIndex) &&
        (matchIndex as number) >= 0
      ) {
        return { seq, matchIndex: matchIndex as number };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw new SwitchyardError({
    reason: "invalidCursor",
    cursor,
    expected: "an occurrences cursor is only valid for the same thread and searchTerm",
  });
}

export function searchHandlers(store: SearchStore, cancellations: RequestCancellations): SearchHandlers {
  const threadNotFound = (threadId: string) => new SwitchyardError({ reason: "threadNotFound", threadId });

  const resultOf = (hit: SearchHit, term: string): ThreadSearchResult => {
    const title = hit.row.name ?? hit.row.preview;
    return { thread: threadView(hit.row, [], { isStoredView: true }), snippet: snippetFor(hit.matchText ?? title, term) };
  };

  async function runSearch(kind: SearchKind, params: ThreadSearchParams, context: HandlerContext): Promise<ThreadSearchResponse> {
    const { request, events } = context;
    const method = kind === "stream" ? Method.threadSearchStream : Method.threadSearch;
    const term = searchTermOf(method, params.searchTerm);
    const requestId = request.clientRequestId;
    const registration = requestId === undefined ? undefined : cancellations.start(request.connection, kind, requestId);
    const signal = registration ? AbortSignal.any([context.signal, registration.signal]) : context.signal;
    try {
      const page = await store.search(
        {
          tenant: request.caller.tenant,
          term,
          sortKey: params.sortKey ?? "created_at",
          direction: params.sortDirection ?? "desc",
          limit: pageSize(params.limit, DEFAULT_SEARCH_PAGE, MAX_SEARCH_PAGE),
          cursor: params.cursor ?? null,
          isArchived: params.archived === true,
          sourceKinds: selectedSourceKinds(params.sourceKinds),
        },
        {
          signal,
          // Partials are published before the handler returns, on the same NATS connection as the
          // reply, so none can follow the final answer; none is sent once the search is cancelled.
          onBatch:
            kind === "stream" && requestId !== undefined
              ? (hits) => {
                  if (signal.aborted) return;
                  try {
                    events.emit(
                      Notification.threadSearchPartial,
                      { requestId, data: hits.map((hit) => resultOf(hit, term)) },
                      { connection: request.connection },
                    );
                  } catch (error) {
                    // Best effort: a partial that cannot be sent is dropped; the final answer still comes.
                    context.log.warn({ err: String(error) }, "thread/search/partial dropped");
                  }
                }
              : undefined,
        },
      );
      if (signal.aborted) throw new SwitchyardError({ reason: "cancelled", method });
      return {
        data: page.hits.map((hit) => resultOf(hit, term)),
        nextCursor: page.nextCursor,
        backwardsCursor: page.backwardsCursor,
      };
    } catch (error) {
      if (error instanceof SearchAborted) throw new SwitchyardError({ reason: "cancelled", method });
      // Codex 0.171.0 refuses a streamed search's bad cursor as invalid params (-32602), a plain one's as an invalid request.
      if (kind === "stream" && error instanceof SwitchyardError && error.detail.reason === "invalidCursor") {
        throw new SwitchyardError({ reason: "invalidParams", message: `invalid cursor: ${error.detail.cursor}` });
      }
      throw error;
    } finally {
      registration?.finish();
    }
  }

  async function cancel(kind: SearchKind, params: ThreadSearchCancelParams, { request }: HandlerContext) {
    cancellations.cancel({ connection: request.connection, kind, requestId: params.requestId });
    return {};
  }

  async function searchOccurrences(
    params: ThreadSearchOccurrencesParams,
    { request }: HandlerContext,
  ): Promise<ThreadSearchOccurrencesResponse> {
    const tenant = request.caller.tenant;
    const term = searchTermOf(Method.threadSearchOccurrences, params.searchTerm);
    const limit = pageSize(params.limit, DEFAULT_OCCURRENCE_PAGE, MAX_OCCURRENCE_PAGE);
    const start = params.cursor ? decodeOccurrenceCursor(params.cursor, params.threadId, term) : { seq: "0", matchIndex: 0 };
    if (!(await store.threadExists(tenant, params.threadId))) throw threadNotFound(params.threadId);
    if (limit === 0) return { data: [], nextCursor: null };

    // Collect one occurrence more than the page holds: its position is the next cursor.
    const found: (ThreadSearchOccurrence & OccurrencePosition)[] = [];
    let fromSeq = start.seq;
    for (;;) {
      const batchSize = limit + 1;
      const items = await store.occurrenceItems(tenant, params.threadId, term, fromSeq, batchSize);
      for (const item of items) {
        const matches = findMatches(item.text, term);
        for (let matchIndex = 0; matchIndex < matches.length && found.length <= limit; matchIndex++) {
          if (item.seq === start.seq && matchIndex < start.matchIndex) continue;
          const { snippet, range } = snippetAround(item.text, matches[matchIndex] as number, term.length);
          found.push({
            itemId: item.itemId,
            turnId: item.turnId,
            snippet,
            snippetMatchRange: range,
            turnCursor: encodeTurnCursor({ threadId: params.threadId, turnId: item.turnId, firstItemSeq: item.turnFirstSeq }),
            seq: item.seq,
            matchIndex,
          });
        }
        if (found.length > limit) break;
      }
      const last = items[items.length - 1];
      if (found.length > limit || items.length < batchSize || !last) break;
      fromSeq = (BigInt(last.seq) + 1n).toString();
    }
    const next = found.length > limit ? found[limit] : undefined;
    return {
      data: found.slice(0, limit).map(({ seq: _seq, matchIndex: _matchIndex, ...occurrence }) => occurrence),
      nextCursor: next ? encodeOccurrenceCursor(params.threadId, term, next) : null,
    };
  }

  async function itemsRead(params: ThreadItemsReadParams, { request }: HandlerContext): Promise<ThreadItemsReadResponse> {
    if (params.itemIds.length === 0 || params.itemIds.length > MAX_ITEMS_READ_IDS) {
      throw invalid(`itemIds must contain 1 to ${MAX_ITEMS_READ_IDS} IDs`);
    }
    const tenant = request.caller.tenant;
    if (!(await store.threadExists(tenant, params.threadId))) throw threadNotFound(params.threadId);
    const items = await store.readTurnItems(tenant, params.threadId, params.turnId, [...new Set(params.itemIds)]);
    return { data: items.map((stored) => ({ turnId: stored.turnId, item: stored.item })) };
  }

  return {
    [Method.threadSearch]: (params, context) => runSearch("search", params, context),
    [Method.threadSearchStream]: (params, context) => runSearch("stream", params, context),
    [Method.threadSearchCancel]: (params, context) => cancel("search", params, context),
    [Method.threadSearchStreamCancel]: (params, context) => cancel("stream", params, context),
    [Method.threadSearchOccurrences]: searchOccurrences,
    [Method.threadItemsRead]: itemsRead,
  };
}
