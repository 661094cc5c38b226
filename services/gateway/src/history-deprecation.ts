// Codex 0.171.0 sends a `deprecationNotice` before answering a `thread/read` with `includeTurns` of a
// paginated thread (a legacy-history thread gets none). The gateway sends it, not the thread service,
// because the answer may come from the gateway's read cache.
import type { Thread, ThreadReadParams } from "@switchyard/protocol";
import type { BusOutcome } from "@switchyard/runtime";

type ThreadHistoryMode = Thread["historyMode"];

const HISTORY_MODE_FIELD = '"historyMode":"';

/**
 * The thread's history mode in a successful thread/read answer. From the answer's text when there is
 * one (a cached answer has nothing else), without parsing it: the thread's own `historyMode` is the
 * first such field, as every thread is serialized with it before `turns` (the schema's field order,
 * which the thread service follows), and a string value cannot hold an unescaped quote, so no text
 * the user wrote can look like it.
 */
export function historyModeOf(outcome: Extract<BusOutcome, { ok: true }>): ThreadHistoryMode | undefined {
  if (outcome.json === undefined) {
    const thread = (outcome.result as { thread?: { historyMode?: ThreadHistoryMode } } | undefined)?.thread;
    return thread?.historyMode;
  }
  const at = outcome.json.indexOf(HISTORY_MODE_FIELD);
  if (at < 0) return undefined;
  const start = at + HISTORY_MODE_FIELD.length;
  return outcome.json.slice(start, outcome.json.indexOf('"', start)) as ThreadHistoryMode;
}

/** Whether this thread/read answer loads a paginated thread's whole history (Codex warns about that). */
export function readsPaginatedHistory(params: ThreadReadParams, outcome: BusOutcome): boolean {
  return outcome.ok && params.includeTurns === true && historyModeOf(outcome) === "paginated";
}
