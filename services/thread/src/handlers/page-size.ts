// The page a list answers, as Codex 0.171.0 sizes its pages: `limit` when given, else 25; at least 1
// (Codex answers `limit: 0` with one entry) and at most `max`.
export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export const pageSize = (limit: number | null | undefined, max = MAX_PAGE_SIZE) =>
  Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), max);
