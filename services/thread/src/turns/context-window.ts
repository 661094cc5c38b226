// The context window a thread's usage notifications name (`thread/tokenUsage/updated`'s
// `modelContextWindow`), as Codex 0.171.0 reports it: 95% of the model's window (its models'
// effective share, the rest kept for the model's own output), rounded down. The window is the one
// the thread's config sets (`model_context_window`), else the one Codex assumes for a model it has
// no metadata for, 272,000 tokens (checked against the binary: 258,400 for any model outside its
// bundled catalog, 95,018 for a configured 100,019).

/** The window Codex 0.171.0 assumes for a model it has no metadata for. */
const FALLBACK_CONTEXT_WINDOW = 272_000;
/** The share of a model's window Codex reports and plans with, in percent. */
const EFFECTIVE_CONTEXT_WINDOW_PERCENT = 95;

/** `modelContextWindow` for a thread whose config sets `configured` (null or undefined: not set). */
export function reportedContextWindow(configured: number | null | undefined): number {
  return Math.floor(((configured ?? FALLBACK_CONTEXT_WINDOW) * EFFECTIVE_CONTEXT_WINDOW_PERCENT) / 100);
}
