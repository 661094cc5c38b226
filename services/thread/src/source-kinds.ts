// Source kinds, as Codex 0.171.0 uses them: what a thread a client starts here is recorded as, and
// which threads thread/list and thread/search consider: with no kind named (or an empty list) only
// the interactive ones (`cli`, `vscode`: what the TUI resumes), so sub-agent threads and exec runs
// stay out of a plain listing; `subAgent` names every sub-agent kind (review, compact, thread spawn,
// other) as well as a plain sub-agent.
import type { ThreadListParams } from "@switchyard/protocol";

type SourceKind = NonNullable<ThreadListParams["sourceKinds"]>[number];

const INTERACTIVE_SOURCE_KINDS: readonly SourceKind[] = ["cli", "vscode"];

/**
 * What a thread a client starts here (thread/start, a resume with history) is recorded as: what Codex
 * 0.171.0's app-server records for its clients' threads, whatever the client's name, so the TUI's
 * resume lookups (which ask for the interactive kinds) find it.
 */
export const CLIENT_THREAD_SOURCE = { source: "vscode", sourceKind: "vscode" } as const;

const SUB_AGENT_KINDS: readonly SourceKind[] = [
  "subAgent",
  "subAgentReview",
  "subAgentCompact",
  "subAgentThreadSpawn",
  "subAgentOther",
];

/** The stored `source_kind` values a request's `sourceKinds` selects. */
export function selectedSourceKinds(requested: readonly SourceKind[] | null | undefined): SourceKind[] {
  const named = requested && requested.length > 0 ? requested : INTERACTIVE_SOURCE_KINDS;
  return [...new Set(named.flatMap((kind) => (kind === "subAgent" ? SUB_AGENT_KINDS : [kind])))];
}
