// Offset pagination for the config service's short lists (permission profiles, models).
import { SwitchyardError } from "@switchyard/protocol";

/** Offset pages with an opaque cursor (the offset, base64url). */
export function pageOf<T>(all: T[], cursor: string | null | undefined, limit: number): { page: T[]; nextCursor: string | null } {
  let start = 0;
  if (cursor) {
    const decoded = Number(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0) {
      throw new SwitchyardError({ reason: "invalidCursor", cursor, expected: "a cursor returned by an earlier page" });
    }
    start = decoded;
  }
  const size = limit > 0 ? limit : all.length;
  const page = all.slice(start, start + size);
  const next = start + page.length;
  return { page, nextCursor: next < all.length ? Buffer.from(String(next)).toString("base64url") : null };
}
