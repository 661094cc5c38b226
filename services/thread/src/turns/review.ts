// review/start as Codex 0.171.0 runs it (probed on the binary): a review is a turn of the thread it
// names. The turn opens with an `enteredReviewMode` item (the review's label), shows the reviewer's
// prompt as a user message, makes its model calls on their own (the reviewer's instructions, the
// thread's developer context and the prompt; none of the thread's history), and closes with an
// `exitedReviewMode` item and an agent message, both the review as text. The thread's model history
// then holds the review (the user action and the agent's message), so the next turn can act on it.
//
// The reviewer's instructions are Switchyard's own words; the JSON they ask for is Codex's review
// output, which is what turns the model's answer into findings.
import type { ReviewTarget, ThreadItem } from "@switchyard/protocol";
import { SwitchyardError } from "@switchyard/protocol";

/** What the model is told a reviewer does, and the one JSON object it answers with. */
export const REVIEW_INSTRUCTIONS = `# Reviewing a code change

You review a change another engineer made. Find the defects the author would want to fix once told of them: bugs, regressions, security problems, broken contracts, missing error handling that matters. Leave out matters of taste, style nits and anything the change did not introduce.

For each finding:
- the title says what is wrong in at most 80 characters, prefixed with its priority: [P0] blocks a release, [P1] is urgent, [P2] should be fixed, [P3] is nice to have;
- the body explains in one short paragraph why it is a defect and when it shows, without code longer than three lines;
- the location is the narrowest range of lines (absolute path, first and last line) that shows the problem, within the change.

Then judge the change as a whole: correct if existing code and tests keep working and it has no blocking defect.

Answer with this JSON object only, no prose or code fences around it:
{
  "findings": [
    {
      "title": "<the finding, at most 80 characters>",
      "body": "<why it is a defect, in Markdown>",
      "confidence_score": <0.0 to 1.0>,
      "priority": <0 to 3, or null>,
      "code_location": {
        "absolute_file_path": "<file>",
        "line_range": {"start": <line>, "end": <line>}
      }
    }
  ],
  "overall_correctness": "patch is correct" | "patch is incorrect",
  "overall_explanation": "<one to three sentences on the verdict>",
  "overall_confidence_score": <0.0 to 1.0>
}`;

/** What a review turn keeps in its request: the prompt to the model and the review's label for clients. */
export interface ReviewRequest {
  prompt: string;
  hint: string;
}

/** The review's prompt and label, as Codex words both; a blank field is refused. */
export function reviewRequest(target: ReviewTarget): ReviewRequest {
  switch (target.type) {
    case "uncommittedChanges":
      return {
        prompt: "Review the current code changes (staged, unstaged, and untracked files) and provide prioritized findings.",
        hint: "current changes",
      };
    case "baseBranch": {
      const branch = nonBlank(target.branch, "branch");
      return {
        // Codex computes the merge base in its working tree first; a cloud thread has none, so the
        // reviewer is asked to find it (Switchyard's words).
        prompt: `Review the code changes against the base branch '${branch}'. First find the merge base of the current branch and ${branch} (for example \`git merge-base HEAD ${branch}\`), then review the diff from that commit. Provide prioritized, actionable findings.`,
        hint: `changes against '${branch}'`,
      };
    }
    case "commit": {
      const sha = nonBlank(target.sha, "sha");
      const title = target.title?.trim() || null;
      return {
        prompt: `Review the code changes introduced by commit ${sha}${title ? ` ("${title}")` : ""}. Provide prioritized, actionable findings.`,
        hint: `commit ${[...sha].slice(0, 7).join("")}${title ? `: ${title}` : ""}`,
      };
    }
    case "custom": {
      const instructions = nonBlank(target.instructions, "instructions");
      return { prompt: instructions, hint: instructions };
    }
  }
}

function nonBlank(value: string, field: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw new SwitchyardError({ reason: "invalidArgument", message: `${field} must not be empty` });
  return trimmed;
}

/** Codex's review output: what the model's answer must be, every field present, to count as findings. */
interface ReviewOutput {
  findings: { title: string; body: string; location: string }[];
  explanation: string;
}

const isNumber = (value: unknown) => typeof value === "number" && Number.isFinite(value);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The model's answer read as Codex's review output, or undefined when it is not one (then shown as written). */
export function parseReviewOutput(text: string): ReviewOutput | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.findings)) return undefined;
  if (typeof parsed.overall_correctness !== "string" || typeof parsed.overall_explanation !== "string") return undefined;
  if (!isNumber(parsed.overall_confidence_score)) return undefined;
  const findings: ReviewOutput["findings"] = [];
  for (const finding of parsed.findings) {
    if (!isRecord(finding) || typeof finding.title !== "string" || typeof finding.body !== "string") return undefined;
    if (!isNumber(finding.confidence_score)) return undefined;
    if (finding.priority != null && !(Number.isInteger(finding.priority) && (finding.priority as number) >= 0)) return undefined;
    const location = finding.code_location;
    if (!isRecord(location) || typeof location.absolute_file_path !== "string" || !isRecord(location.line_range))
      return undefined;
    const { start, end } = location.line_range;
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) < 0) return undefined;
    findings.push({ title: finding.title, body: finding.body, location: `${location.absolute_file_path}:${start}-${end}` });
  }
  return { findings, explanation: parsed.overall_explanation };
}

/** Codex's texts when the reviewer gave nothing to show, and when it did not finish. */
export const REVIEW_FAILED = "Reviewer failed to output a response.";
export const REVIEW_INTERRUPTED = "Review was interrupted. Please re-run /review and wait for it to complete.";

/**
 * The review as clients see it (exitedReviewMode's text) and as the turn's agent message says it: the
 * verdict's explanation, then the findings, as Codex lays them out; an answer that is not a review
 * output is shown as written. `results`: what the model history's user action holds (Codex keeps an
 * empty explanation there); undefined when the reviewer never answered (no text, a failure, a stop).
 */
export function reviewText(answer: string | undefined): { review: string; message: string; results?: string } {
  if (answer === undefined || answer === "") return { review: REVIEW_FAILED, message: REVIEW_INTERRUPTED };
  const output = parseReviewOutput(answer);
  if (!output) return { review: answer, message: answer, results: answer };
  const explanation = output.explanation.trim();
  const comments = renderFindings(output.findings);
  const text = [explanation, comments].filter(Boolean).join("\n\n");
  const results = comments === undefined ? explanation : `${explanation}\n\n${comments}`;
  return text ? { review: text, message: text, results } : { review: REVIEW_FAILED, message: REVIEW_FAILED, results };
}

function renderFindings(findings: ReviewOutput["findings"]): string | undefined {
  if (findings.length === 0) return undefined;
  const heading = findings.length === 1 ? "Review comment:" : "Full review comments:";
  const listed = findings.map((finding) => `- ${finding.title} — ${finding.location}\n${indent(finding.body)}`);
  return `${heading}\n\n${listed.join("\n\n")}`;
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");

export function reviewModeItem(
  type: "enteredReviewMode" | "exitedReviewMode",
  id: string,
  review: string,
  atMs: number,
): ThreadItem {
  return { type, id, review, startedAtMs: atMs, completedAtMs: atMs };
}

/**
 * What the thread's model history keeps of a review: the user's action with its results, or that it
 * was interrupted when there are none (Codex's words, its layout too).
 */
export function reviewUserAction(results: string | undefined): Record<string, unknown> {
  const text =
    results === undefined
      ? "<user_action>\n  <context>User initiated a review task, but was interrupted. If user asks about this, tell them to re-initiate a review with `/review` and wait for it to complete.</context>\n  <action>review</action>\n  <results>\n  None.\n  </results>\n</user_action>\n\n"
      : `<user_action>\n  <context>User initiated a review task. Here's the full review output from reviewer model. User may select one or more comments to resolve.</context>\n  <action>review</action>\n  <results>\n  ${results}\n  </results>\n  </user_action>\n`;
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}
