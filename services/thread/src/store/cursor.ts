// Opaque keyset cursors for thread/list: the sort key and the (timestamp, id) position of a row,
// base64url-encoded. The timestamp is Postgres's own text form so it round-trips to the microsecond;
// a section_position cursor holds the thread's position in its section instead.
import { SwitchyardError } from "@switchyard/protocol";

export type SortColumn = "created_at" | "updated_at" | "recency_at";
/** thread/list's sort keys: the timestamps, and a thread's place in its section (migration 0036). */
export type ListSortKey = SortColumn | "section_position";

export interface CursorPosition {
  sortKey: ListSortKey;
  at: string;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.sortKey, position.at, position.id]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string, expectedSortKey: ListSortKey): CursorPosition {
  try {
    const [sortKey, at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as string[];
    const isPosition = (value: unknown) => typeof value === "string" && /^-?\d{1,18}$/.test(value);
    if (
      sortKey === expectedSortKey &&
      typeof at === "string" &&
      typeof id === "string" &&
      (sortKey !== "section_position" || isPosition(at))
    ) {
      return { sortKey: expectedSortKey, at, id };
    }
  } catch {
    // fall through to the error below
  }
  throw new SwitchyardError({
    reason: "invalidCursor",
    cursor,
    expected: "cursors are only valid with the sortKey of the list that returned them",
  });
}
