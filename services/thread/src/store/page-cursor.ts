// Opaque cursors for the pages of a thread's turns and items: the seq of the boundary row and the
// direction to go on in, base64url-encoded. A cursor is only valid for the kind of page that made it.
import { SwitchyardError } from "@switchyard/protocol";

export type PageKind = "turns" | "items";
export type PageDirection = "asc" | "desc";

export interface PagePosition {
  seq: string;
  direction: PageDirection;
}

export function encodePageCursor(kind: PageKind, position: PagePosition): string {
  return Buffer.from(JSON.stringify([kind, position.seq, position.direction]), "utf8").toString("base64url");
}

export function decodePageCursor(kind: PageKind, cursor: string): PagePosition {
  try {
    const [cursorKind, seq, direction] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (
      cursorKind === kind &&
      typeof seq === "string" &&
      /^\d{1,18}$/.test(seq) &&
      (direction === "asc" || direction === "desc")
    ) {
      return { seq, direction };
    }
  } catch {
    // fall through to the error below
  }
  throw new SwitchyardError({ reason: "invalidCursor", cursor, expected: `not a thread/${kind}/list cursor` });
}

/** The seq bounds a page reads within, from its cursor (exclusive) or none. */
export function pageBounds(position: PagePosition | undefined): { afterSeq: string | null; beforeSeq: string | null } {
  if (!position) return { afterSeq: null, beforeSeq: null };
  return position.direction === "asc" ? { afterSeq: position.seq, beforeSeq: null } : { afterSeq: null, beforeSeq: position.seq };
}

/** The next cursor (on in the same direction) and the backwards cursor (back from the first row). */
export function pageCursors(
  kind: PageKind,
  direction: PageDirection,
  seqs: string[],
  hasMore: boolean,
): { nextCursor: string | null; backwardsCursor: string | null } {
  const first = seqs[0];
  const last = seqs[seqs.length - 1];
  const opposite: PageDirection = direction === "asc" ? "desc" : "asc";
  return {
    nextCursor: hasMore && last ? encodePageCursor(kind, { seq: last, direction }) : null,
    backwardsCursor: first ? encodePageCursor(kind, { seq: first, direction: opposite }) : null,
  };
}

/** A cursor for a page that opens at the row of `seq` (included) and goes on to older rows. */
export function openingCursor(kind: PageKind, seq: string): string {
  return encodePageCursor(kind, { seq: (BigInt(seq) + 1n).toString(), direction: "desc" });
}
