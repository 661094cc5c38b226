// Which threads thread/list and thread/search consider, by their source kind, as Codex 0.171.0 does:
// with no kind named (or an empty list) only its interactive sessions (`cli`, `vscode`: what the TUI
// resumes), so sub-agent threads and exec runs stay out of a plain listing; `subAgent` names every
// sub-agent kind (review, compact, thread spawn, other) as well as a plain sub-agent.
import type { ThreadListParams } from "@switchyard/protocol";

type SourceKind = NonNullable<ThreadListParams["sourceKinds"]>[number];

export const INTERACTIVE_SOURCE_KINDS: readonly SourceKind[] = ["cli", "vscode"];

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
