// Opaque turn cursors: what `thread/searchOccurrences` hands out as `turnCursor` and what
// `thread/turns/list` accepts as `cursor` to open a thread at one turn. A turn's position in its
// thread is the `seq` of its first stored item (thread.items is append-only and a turn's items are
// appended in order, so first-item seqs order turns as they happened) — the same anchor the turn pages
// of page-cursor.ts bound by. A turn cursor is *inclusive* (the named turn is on the page it opens) and
// names its thread, so one thread's cursor is refused on another.
import { SwitchyardError } from "@switchyard/protocol";

export interface TurnCursorPosition {
  threadId: string;
  turnId: string;
  /** `seq` of the turn's first stored item, as decimal digits (a Postgres bigint). */
  firstItemSeq: string;
}

const TAG = "turn";
const SEQ_PATTERN = /^[1-9]\d{0,17}$/;

export function encodeTurnCursor(position: TurnCursorPosition): string {
  return Buffer.from(JSON.stringify([TAG, position.threadId, position.turnId, position.firstItemSeq]), "utf8").toString(
    "base64url",
  );
}

/** Whether `cursor` is a turn cursor at all (thread/turns/list also takes its own page cursors). */
export function isTurnCursor(cursor: string): boolean {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    return Array.isArray(decoded) && decoded[0] === TAG;
  } catch {
    return false;
  }
}

/** Decodes a turn cursor for `threadId`; anything else is `invalid cursor: …` (-32600). */
export function decodeTurnCursor(cursor: string, threadId: string): TurnCursorPosition {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(decoded) && decoded.length === 4) {
      const [tag, cursorThreadId, turnId, firstItemSeq] = decoded as unknown[];
      if (
        tag === TAG &&
        cursorThreadId === threadId &&
        typeof turnId === "string" &&
        typeof firstItemSeq === "string" &&
        SEQ_PATTERN.test(firstItemSeq)
      ) {
        return { threadId, turnId, firstItemSeq };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw new SwitchyardError({
    reason: "invalidCursor",
    cursor,
    expected: "a turn cursor is only valid for the thread that returned it",
  });
}

/**
 * The exclusive first-item seq bounds (page-cursor.ts's `pageBounds` shape) of a page that starts
 * *at* the cursor's turn and goes on in `direction`.
 */
export function turnCursorBounds(
  position: TurnCursorPosition,
  direction: "asc" | "desc",
): { afterSeq: string | null; beforeSeq: string | null } {
  const seq = BigInt(position.firstItemSeq);
  return direction === "asc"
    ? { afterSeq: (seq - 1n).toString(), beforeSeq: null }
    : { afterSeq: null, beforeSeq: (seq + 1n).toString() };
}
