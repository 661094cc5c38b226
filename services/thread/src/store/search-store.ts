// Content search in Postgres: which of a tenant's threads match a term in their title or their
// conversation (thread/search), where a term occurs inside one thread (thread/searchOccurrences), and
// chosen items of one turn (thread/items/read). Every query is tenant-qualified and runs through
// `TenantDb`, so row-level security checks the tenant too.
//
// Matching is a case-insensitive literal substring (ILIKE with the term's wildcards escaped) over
// `thread.item_search_text(item)` — the text parts of user messages and assistant answers — and over
// the title expression of thread/list's searchTerm. Migration 0020 indexes the item text with a
// trigram GIN index led by the tenant, 0002 the titles. A page is found in two ways, picked per query:
//   - few matches (a rare term): the matching items come from the trigram index (at most
//     CANDIDATE_CAP of them); their threads are filtered, sorted and cut to the page;
//   - many matches (a common or short term): the tenant's threads are walked in page order through the
//     list index, each probed for its first matching item, until the page is full.
// Both answer the same rows. The text helpers at the end find matches in JavaScript the way ILIKE
// does, to cut snippets and report UTF-16 ranges.
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";
import { type CursorPosition, decodeCursor, encodeCursor, type SortColumn } from "./cursor.js";
import { isThreadId, THREAD_COLUMNS, type ThreadRow } from "./thread-store.js";

export interface SearchQuery {
  tenant: string;
  /** Already trimmed and non-empty. */
  term: string;
  sortKey: SortColumn;
  direction: "asc" | "desc";
  limit: number;
  cursor: string | null;
  isArchived: boolean;
  sourceKinds: string[] | null;
}

export interface SearchHit {
  row: ThreadRow;
  /** The first matching item's text, or null when only the title matched. */
  matchText: string | null;
}

export interface SearchPage {
  hits: SearchHit[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

export interface SearchOptions {
  /** Checked between batches; an aborted search stops and rejects with `SearchAborted`. */
  signal: AbortSignal;
  /** Called with each batch of hits as they are found (streamed searches); the page is still returned whole. */
  onBatch?: (hits: SearchHit[]) => void;
}

export interface OccurrenceItem {
  seq: string;
  turnId: string;
  itemId: string;
  text: string;
  /** `seq` of the first item of this item's turn (what a turn cursor anchors on). */
  turnFirstSeq: string;
}

export interface ReadItem {
  turnId: string;
  item: Record<string, unknown>;
  createdAt: Date;
}

export interface SearchStore {
  search(query: SearchQuery, options: SearchOptions): Promise<SearchPage>;
  threadExists(tenant: string, threadId: string): Promise<boolean>;
  /** Items of one thread whose text matches, in seq order, from `fromSeq` (inclusive) on; at most `limit`. */
  occurrenceItems(tenant: string, threadId: string, term: string, fromSeq: string, limit: number): Promise<OccurrenceItem[]>;
  /** Items of one turn with these item ids, in stored order. */
  readTurnItems(tenant: string, threadId: string, turnId: string, itemIds: string[]): Promise<ReadItem[]>;
}

/** Raised when a search's signal aborts it between batches. */
export class SearchAborted extends Error {
  constructor() {
    super("search aborted");
    this.name = "SearchAborted";
  }
}

/** Matching items read from the trigram index before a search switches to walking threads in order. */
export const CANDIDATE_CAP = 300;
/** Rows a streamed search fetches per batch (one partial notification each). */
export const STREAM_BATCH_ROWS = 5;

const SORT_EXPRESSIONS: Record<SortColumn, string> = {
  created_at: "t.created_at",
  updated_at: "t.updated_at",
  recency_at: "coalesce(t.recency_at, t.updated_at)",
};

const TITLE_EXPRESSION = "(coalesce(t.name, '') || ' ' || t.preview)";
const ITEM_TEXT = "i.search_text";
// Computed on first use: thread-store.ts imports this module too (its list shares the title search).
let prefixedColumns: string | undefined;
const threadColumns = () =>
  (prefixedColumns ??= THREAD_COLUMNS.split(",")
    .map((column) => `t.${column.trim()}`)
    .join(", "));

export const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;

export interface Statement {
  sql: string;
  params: unknown[];
}

/** The WHERE clauses on `thread.threads t` shared by both plans; $1 tenant, $2 archived, $3 pattern. */
function threadFilters(query: SearchQuery, bind: (value: unknown) => string): string[] | undefined {
  const where = ["t.tenant = $1", "t.materialized_at IS NOT NULL", "(t.archived_at IS NOT NULL) = $2"];
  if (query.sourceKinds && query.sourceKinds.length > 0) where.push(`t.source_kind = ANY(${bind(query.sourceKinds)}::text[])`);
  if (query.cursor) {
    const position = decodeCursor(query.cursor, query.sortKey);
    if (!isThreadId(position.id)) return undefined;
    const comparison = query.direction === "desc" ? "<" : ">";
    where.push(
      `(${SORT_EXPRESSIONS[query.sortKey]}, t.id) ${comparison} (${bind(position.at)}::timestamptz, ${bind(position.id)}::uuid)`,
    );
  }
  return where;
}

function binder(params: unknown[]) {
  return (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
}

/** The first matching item of thread `t`, as a LATERAL subquery exposing `match_text`. */
const FIRST_MATCH = `LEFT JOIN LATERAL (
    SELECT ${ITEM_TEXT} AS match_text FROM thread.items i
     WHERE i.tenant = t.tenant AND i.thread_id = t.id AND ${ITEM_TEXT} ILIKE $3
     ORDER BY i.seq LIMIT 1
  ) hit ON true`;

/**
 * Few matches: the threads of the (capped) matching items and the threads whose title matches, then
 * the page. `capped` tells whether the candidate set was cut at CANDIDATE_CAP (then this answer is
 * not used). $4 is the cap.
 */
function candidateStatement(query: SearchQuery): Statement | undefined {
  const params: unknown[] = [query.tenant, query.isArchived, likePattern(query.term), CANDIDATE_CAP];
  const bind = binder(params);
  const where = threadFilters(query, bind);
  if (!where) return undefined;
  const sort = SORT_EXPRESSIONS[query.sortKey];
  const direction = query.direction === "desc" ? "DESC" : "ASC";
  return {
    params,
    sql: `WITH item_hits AS MATERIALIZED (
            SELECT thread_id FROM thread.threads_with_matching_items($3, $4)
          ), title_hits AS MATERIALIZED (
            SELECT thread_id FROM thread.threads_with_matching_titles($3, $4)
          ), candidates AS (
            SELECT thread_id AS id FROM item_hits UNION SELECT thread_id FROM title_hits
          ), meta AS (
            SELECT (SELECT count(*) FROM item_hits) >= $4 OR (SELECT count(*) FROM title_hits) >= $4 AS is_capped
          )
          SELECT meta.is_capped, page.* FROM meta LEFT JOIN LATERAL (
            SELECT ${threadColumns()}, (${sort})::text AS sort_at, ${sort} AS sort_value, hit.match_text
              FROM thread.threads t
              JOIN candidates c ON c.id = t.id
              ${FIRST_MATCH}
             WHERE ${where.join(" AND ")} AND NOT meta.is_capped
             ORDER BY ${sort} ${direction}, t.id ${direction}
             LIMIT ${bind(query.limit + 1)}
          ) AS page ON true
          ORDER BY page.sort_value ${direction}, page.id ${direction}`,
  };
}

/** Many matches: walk the tenant's threads in page order, keeping those whose title or an item matches. */
function walkStatement(query: SearchQuery, limit: number | null): Statement | undefined {
  const params: unknown[] = [query.tenant, query.isArchived, likePattern(query.term)];
  const bind = binder(params);
  const where = threadFilters(query, bind);
  if (!where) return undefined;
  const sort = SORT_EXPRESSIONS[query.sortKey];
  const direction = query.direction === "desc" ? "DESC" : "ASC";
  return {
    params,
    sql: `SELECT ${threadColumns()}, (${sort})::text AS sort_at, hit.match_text
            FROM thread.threads t
            ${FIRST_MATCH}
           WHERE ${where.join(" AND ")}
             AND (${TITLE_EXPRESSION} ILIKE $3 OR hit.match_text IS NOT NULL)
           ORDER BY ${sort} ${direction}, t.id ${direction}
           ${limit === null ? "" : `LIMIT ${bind(limit)}`}`,
  };
}

type HitRow = ThreadRow & { match_text: string | null; is_capped?: boolean; sort_value?: unknown };

const toHit = (row: HitRow): SearchHit => {
  const { match_text: matchText, is_capped: _capped, sort_value: _sortValue, ...thread } = row;
  return { row: thread as ThreadRow, matchText };
};

function pageOf(query: SearchQuery, rows: HitRow[]): SearchPage {
  const hasMore = rows.length > query.limit;
  const hits = rows.slice(0, query.limit).map(toHit);
  const positionOf = (hit: SearchHit): CursorPosition => ({
    sortKey: query.sortKey,
    at: hit.row.sort_at as string,
    id: hit.row.id,
  });
  const first = hits[0];
  const last = hits[hits.length - 1];
  return {
    hits,
    nextCursor: hasMore && last ? encodeCursor(positionOf(last)) : null,
    backwardsCursor: first ? encodeCursor(positionOf(first)) : null,
  };
}

/**
 * Whether the trigram index can narrow a search for `term`: pg_trgm takes trigrams from runs of
 * letters and digits, so a term without a run of three (`ab`, `a b`, `--`) would read the whole index.
 */
export const hasTrigram = (term: string) => /[\p{L}\p{N}]{3}/u.test(term);

const EMPTY_PAGE: SearchPage = { hits: [], nextCursor: null, backwardsCursor: null };

export class PgSearchStore implements SearchStore {
  constructor(private readonly db: TenantDb) {}

  async search(query: SearchQuery, options: SearchOptions): Promise<SearchPage> {
    if (options.signal.aborted) throw new SearchAborted();
    if (query.limit === 0) {
      // Still refuse a bad cursor, as a page of any size would.
      if (query.cursor) decodeCursor(query.cursor, query.sortKey);
      return EMPTY_PAGE;
    }
    if (!hasTrigram(query.term)) return options.onBatch ? this.walkStreamed(query, options) : this.walk(query);
    const candidates = candidateStatement(query);
    if (!candidates) return EMPTY_PAGE;
    const few = await this.db.query<HitRow>(query.tenant, "search candidates", candidates.sql, candidates.params);
    if (options.signal.aborted) throw new SearchAborted();
    if (few.rows[0]?.is_capped === false) {
      // Without a page row the one meta row comes back alone, its thread columns null.
      const page = pageOf(
        query,
        few.rows.filter((row) => row.id !== null),
      );
      if (page.hits.length > 0) options.onBatch?.(page.hits);
      return page;
    }
    return options.onBatch ? this.walkStreamed(query, options) : this.walk(query);
  }

  private async walk(query: SearchQuery): Promise<SearchPage> {
    const walk = walkStatement(query, query.limit + 1) as Statement;
    const result = await this.db.query<HitRow>(query.tenant, "search walk", walk.sql, walk.params);
    return pageOf(query, result.rows);
  }

  /**
   * The walk through a server-side cursor, STREAM_BATCH_ROWS rows per fetch: each batch goes to
   * `onBatch` at once, and the signal is checked between fetches (a cancelled search stops there).
   */
  private async walkStreamed(query: SearchQuery, options: SearchOptions): Promise<SearchPage> {
    const walk = walkStatement(query, query.limit + 1) as Statement;
    const rows = await this.db.transaction(query.tenant, async (tx: TenantQueryable) => {
      await tx.query("search declare", `DECLARE search_walk NO SCROLL CURSOR FOR ${walk.sql}`, walk.params);
      const found: HitRow[] = [];
      while (found.length <= query.limit) {
        if (options.signal.aborted) throw new SearchAborted();
        const batch = await tx.query<HitRow>("search fetch", `FETCH ${STREAM_BATCH_ROWS} FROM search_walk`, []);
        found.push(...batch.rows);
        const visible = batch.rows.slice(0, Math.max(0, query.limit - (found.length - batch.rows.length)));
        if (visible.length > 0 && !options.signal.aborted) options.onBatch?.(visible.map(toHit));
        if (batch.rows.length < STREAM_BATCH_ROWS) break;
      }
      return found;
    });
    if (options.signal.aborted) throw new SearchAborted();
    return pageOf(query, rows);
  }

  async threadExists(tenant: string, threadId: string): Promise<boolean> {
    if (!isThreadId(threadId)) return false;
    const result = await this.db.query(tenant, "thread exists", "SELECT 1 FROM thread.threads WHERE tenant = $1 AND id = $2", [
      tenant,
      threadId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async occurrenceItems(
    tenant: string,
    threadId: string,
    term: string,
    fromSeq: string,
    limit: number,
  ): Promise<OccurrenceItem[]> {
    if (!isThreadId(threadId)) return [];
    // One pass over the thread's items (primary key range): each item's turn's first seq comes from
    // the window over all of them, the matches from the filter after it.
    const result = await this.db.query<{
      seq: string;
      turn_id: string;
      item_id: string | null;
      text: string;
      turn_first_seq: string;
    }>(
      tenant,
      "search occurrences",
      `SELECT seq::text, turn_id, item_id, text, turn_first_seq::text FROM (
         SELECT i.seq, i.turn_id, i.item ->> 'id' AS item_id, ${ITEM_TEXT} AS text,
                min(i.seq) OVER (PARTITION BY i.turn_id) AS turn_first_seq
           FROM thread.items i
          WHERE i.tenant = $1 AND i.thread_id = $2
       ) AS items
       WHERE text ILIKE $3 AND seq >= $4::bigint
       ORDER BY items.seq
       LIMIT $5`,
      [tenant, threadId, likePattern(term), fromSeq, limit],
    );
    return result.rows.map((row) => ({
      seq: row.seq,
      turnId: row.turn_id,
      itemId: row.item_id ?? `item-${row.seq}`,
      text: row.text,
      turnFirstSeq: row.turn_first_seq,
    }));
  }

  async readTurnItems(tenant: string, threadId: string, turnId: string, itemIds: string[]): Promise<ReadItem[]> {
    if (!isThreadId(threadId)) return [];
    const result = await this.db.query<{ turn_id: string; item: Record<string, unknown>; created_at: Date }>(
      tenant,
      "read turn items",
      `SELECT turn_id, item, created_at FROM thread.items
        WHERE tenant = $1 AND thread_id = $2 AND turn_id = $3 AND item IS NOT NULL AND item ->> 'id' = ANY($4::text[])
        ORDER BY seq`,
      [tenant, threadId, turnId, itemIds],
    );
    return result.rows.map((row) => ({ turnId: row.turn_id, item: row.item, createdAt: row.created_at }));
  }
}

// ---- Matching in JavaScript, as ILIKE matches ----

/**
 * Lower-cases `text` one code point at a time, keeping any code point whose lower case has another
 * length (e.g. `İ`), so indexes into the folded string are indexes into the original (UTF-16 units).
 */
export function foldCase(text: string): string {
  let folded = "";
  for (const codePoint of text) {
    const lower = codePoint.toLowerCase();
    folded += lower.length === codePoint.length ? lower : codePoint;
  }
  return folded;
}

/** UTF-16 start offsets of every non-overlapping case-insensitive occurrence of `term` in `text`. */
export function findMatches(text: string, term: string): number[] {
  const haystack = foldCase(text);
  const needle = foldCase(term);
  const starts: number[] = [];
  if (needle.length === 0) return starts;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
    starts.push(at);
  }
  return starts;
}

/** Context kept before a match in a snippet, and the snippet's length beyond the match (UTF-16 units). */
export const SNIPPET_BEFORE = 60;
export const SNIPPET_AFTER = 100;

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * A snippet of `text` around the match at [start, start + length): whitespace runs become single
 * spaces' worth of units (each whitespace unit a space, so offsets hold), cut at word boundaries when
 * one is near, with `…` where text was left out. Returns the snippet and the match's range within it.
 */
export function snippetAround(
  text: string,
  start: number,
  length: number,
): { snippet: string; range: { start: number; end: number } } {
  let from = Math.max(0, start - SNIPPET_BEFORE);
  let to = Math.min(text.length, start + length + SNIPPET_AFTER);
  // Prefer starting after a space near the cut, never inside a surrogate pair.
  if (from > 0) {
    const space = text.indexOf(" ", from);
    if (space !== -1 && space < start && space - from < 20) from = space + 1;
    if (isLowSurrogate(text.charCodeAt(from))) from += 1;
  }
  if (to < text.length) {
    const space = text.lastIndexOf(" ", to);
    if (space > start + length && to - space < 20) to = space;
    if (isLowSurrogate(text.charCodeAt(to))) to -= 1;
  }
  const prefix = from > 0 ? "…" : "";
  const suffix = to < text.length ? "…" : "";
  const body = text.slice(from, to).replace(/\s/g, " ");
  const matchStart = prefix.length + (start - from);
  return { snippet: `${prefix}${body}${suffix}`, range: { start: matchStart, end: matchStart + length } };
}

/** The snippet for a search hit: around the first match in the text, or the text's start if JS finds none. */
export function snippetFor(text: string, term: string): string {
  const first = findMatches(text, term)[0];
  if (first === undefined) return snippetAround(text, 0, 0).snippet;
  return snippetAround(text, first, term.length).snippet;
}

/**
 * The statements `search` runs for `query` (the benchmark's floor runs the same SQL): the candidate
 * statement when the term has a trigram, then the walk when the candidates were capped.
 */
export function searchStatementsFor(query: SearchQuery): { candidate?: Statement; walk: Statement } {
  return {
    candidate: hasTrigram(query.term) ? candidateStatement(query) : undefined,
    walk: walkStatement(query, query.limit + 1) as Statement,
  };
}
