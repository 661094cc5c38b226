// The context window a thread's usage notifications name (`thread/tokenUsage/updated`'s
// `modelContextWindow`), as Codex 0.171.0 reports it: the model's effective share of its window
// (95% unless its catalog entry says otherwise; the rest is kept for the model's own output), rounded
// down. The window is the one the thread's config sets (`model_context_window`), else the one the
// tenant's model catalog gives the turn's model, else, for a model the catalog does not list, the one
// Codex assumes for a model it has no metadata for, 272,000 tokens. A model the catalog lists without
// a window has none: null. Checked against the binary with a `model_catalog_json`: 258,400 for a
// model outside the catalog, 95,018 for a configured 100,019, 270,000 for a listed 300,000 at 90%,
// 90,017 for a configured 100,019 on that model, null for a listed model without a window.
import type { ResolveModelProviderResponse } from "@switchyard/protocol";

/** The window Codex 0.171.0 assumes for a model it has no metadata for. */
const FALLBACK_CONTEXT_WINDOW = 272_000;
/** The share of a model's window Codex reports and plans with, in percent, unless its catalog entry names one. */
const EFFECTIVE_CONTEXT_WINDOW_PERCENT = 95;

/**
 * `modelContextWindow` for a turn whose thread's config sets `configured` (null or undefined: not
 * set) on a model the tenant's catalog describes as `catalog` (null or undefined: not listed).
 */
export function reportedContextWindow(
  configured: number | null | undefined,
  catalog?: ResolveModelProviderResponse["catalogWindow"],
): number | null {
  const window = configured ?? (catalog ? catalog.contextWindow : FALLBACK_CONTEXT_WINDOW);
  if (window === null) return null;
  return Math.floor((window * (catalog?.effectiveContextWindowPercent ?? EFFECTIVE_CONTEXT_WINDOW_PERCENT)) / 100);
}

/** What Codex reports for a model it has no metadata for and no configured window. */
export const FALLBACK_REPORTED_CONTEXT_WINDOW = reportedContextWindow(null) as number;
