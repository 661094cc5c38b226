// Offset pagination for the config service's short lists (permission profiles, models), as Codex
// 0.171.0 pages them (checked against the binary): the cursor is the offset in decimal, a page holds
// at least one entry, a cursor at the end gives an empty page, and one past it is refused.
import { SwitchyardError } from "@switchyard/protocol";

/** The largest offset Codex parses (its cursors are unsigned 64-bit); anything else is not a cursor. */
const MAX_OFFSET = 2n ** 64n - 1n;

/**
 * One page of `all` from `cursor` (absent: the start), `limit` entries (absent: the rest; below one:
 * one). `what` names the entries in Codex's refusal of a cursor past the end (`models`, …).
 */
export function pageOf<T>(
  all: T[],
  cursor: string | null | undefined,
  limit: number | null | undefined,
  what: string,
): { page: T[]; nextCursor: string | null } {
  let start = 0;
  if (cursor !== null && cursor !== undefined) {
    if (!/^\+?\d+$/.test(cursor) || BigInt(cursor) > MAX_OFFSET) {
      throw new SwitchyardError({ reason: "invalidCursor", cursor, expected: "a cursor returned by an earlier page" });
    }
    if (BigInt(cursor) > BigInt(all.length)) {
      throw new SwitchyardError({
        reason: "invalidArgument",
        message: `cursor ${BigInt(cursor)} exceeds total ${what} ${all.length}`,
      });
    }
    start = Number(cursor);
  }
  const size = limit === null || limit === undefined ? all.length : Math.max(1, limit);
  const page = all.slice(start, start + size);
  const next = start + page.length;
  return { page, nextCursor: next < all.length ? String(next) : null };
}
