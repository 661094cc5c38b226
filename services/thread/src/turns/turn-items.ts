// The two faces of a turn's content: the wire ThreadItems clients see (Codex 0.171.0's shapes, as
// its app-server emits them) and the Responses API items the model sees. Each stored item keeps
// both; this module builds them and turns a thread's stored history into the next request's input.
import type { ThreadItem, Turn, TurnError, UserInput } from "@switchyard/protocol";
import { SwitchyardError } from "@switchyard/protocol";
import { newId } from "@switchyard/runtime";
import type { StoredHistoryRow, TurnItem, TurnRow } from "./turn-store.js";

const seconds = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : null);

/**
 * What Codex 0.171.0 records after an interrupted turn, so the model knows: a developer message, or,
 * after an interrupted review, a user message saying the user interrupted it.
 */
export function turnAbortedMessage(kind: "regular" | "compact" | "review"): Record<string, unknown> {
  const what = kind === "review" ? "The user interrupted the previous turn" : "The previous turn was interrupted";
  const text = `<turn_aborted>\n${what} on purpose. Any running unified exec processes may still be running in the background. If any tools/commands were aborted, they may have partially executed.\n</turn_aborted>`;
  return { type: "message", role: kind === "review" ? "user" : "developer", content: [{ type: "input_text", text }] };
}

/** Codex's compaction prompt (the model writes a hand-off summary that then replaces the history). */
export const COMPACTION_PROMPT = `You are performing a CONTEXT CHECKPOINT COMPACTION. Create a handoff summary for another LLM that will resume the task.

Include:
- Current progress and key decisions made
- Important context, constraints, or user preferences
- What remains to be done (clear next steps)
- Any critical data, examples, or references needed to continue

Be concise, structured, and focused on helping the next LLM seamlessly continue the work.`;

const SUMMARY_PREFIX =
  "Another language model started to solve this problem and produced a summary of its thinking process. You also have access to the state of the tools that were used by that language model. Use this to build on the work that has already been done and avoid duplicating work. Here is the summary produced by the other language model, use the information in this summary to assist with your own analysis:\n";

/**
 * A user's input as a userMessage item and as a Responses user message. Text and images by URL are
 * what a cloud thread can take; inputs that name local files need a machine.
 */
export function userInputItem(input: UserInput[], clientId: string | null, atMs: number): TurnItem & { item: ThreadItem } {
  const content: Record<string, unknown>[] = [];
  for (const part of input) {
    if (part.type === "text") {
      if (typeof part.text !== "string") throw invalid("text input needs a `text` string");
      content.push({ type: "input_text", text: part.text });
    } else if (part.type === "image" && typeof part.url === "string") {
      content.push({ type: "input_image", image_url: part.url, detail: part.detail ?? "auto" });
    } else if (part.type === "localImage" || part.type === "mention" || part.type === "skill") {
      throw invalid(
        `\`${part.type}\` input refers to a local file: Switchyard's cloud threads have no local files. Send the content itself (text, or an image URL), or run the turn on an enrolled machine (remote control)`,
      );
    } else {
      throw invalid(`\`${String(part.type)}\` input is not supported on Switchyard's cloud threads (text and image URLs are)`);
    }
  }
  return {
    item: {
      type: "userMessage",
      id: newId(),
      clientId,
      content: input.map((part) => (part.type === "text" ? { text_elements: [], ...part } : part)),
      startedAtMs: atMs,
      completedAtMs: atMs,
    },
    responseItem: { type: "message", role: "user", content },
  };
}

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });

/** The text a thread's preview takes from a user's input. */
export function previewOf(input: UserInput[]): string | null {
  const text = input
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text as string)
    .join(" ")
    .trim();
  return text ? text.slice(0, 1_000) : null;
}

export function agentMessageItem(id: string, text: string, startedAtMs: number, completedAtMs: number | null): ThreadItem {
  return {
    type: "agentMessage",
    moderation: null,
    id,
    text,
    phase: null,
    memoryCitation: null,
    delivery: null,
    questions: null,
    startedAtMs,
    completedAtMs,
  };
}

/** A proposed plan (plan mode, proposed-plan.ts): kept for the clients, not sent back to the model. */
export function planItem(id: string, text: string, startedAtMs: number, completedAtMs: number | null): ThreadItem {
  return { type: "plan", id, text, startedAtMs, completedAtMs };
}

export function reasoningItem(id: string, summary: string[], startedAtMs: number, completedAtMs: number | null): ThreadItem {
  return { type: "reasoning", id, summary, content: [], startedAtMs, completedAtMs };
}

export function dynamicToolCallItem(call: {
  callId: string;
  namespace: string | null;
  tool: string;
  arguments: unknown;
  status: "inProgress" | "completed" | "failed";
  contentItems: unknown[] | null;
  success: boolean | null;
  startedAtMs: number;
  completedAtMs: number | null;
}): ThreadItem {
  return {
    type: "dynamicToolCall",
    id: call.callId,
    namespace: call.namespace,
    tool: call.tool,
    arguments: call.arguments,
    status: call.status,
    contentItems: call.contentItems,
    success: call.success,
    durationMs: call.completedAtMs === null ? null : call.completedAtMs - call.startedAtMs,
    startedAtMs: call.startedAtMs,
    completedAtMs: call.completedAtMs,
  };
}

export function contextCompactionItem(id: string, startedAtMs: number, completedAtMs: number | null): ThreadItem {
  return { type: "contextCompaction", id, startedAtMs, completedAtMs };
}

/** The Responses `function_call_output` for a dynamic tool's answer (a string when it is all text). */
export function toolOutput(callId: string, contentItems: Record<string, unknown>[]): Record<string, unknown> {
  const isAllText = contentItems.every((part) => part.type === "inputText");
  const output = isAllText
    ? contentItems.map((part) => String(part.text ?? "")).join("\n")
    : contentItems.map((part) =>
        part.type === "inputText"
          ? { type: "input_text", text: part.text }
          : part.type === "inputImage"
            ? { type: "input_image", image_url: part.imageUrl }
            : { type: "input_text", text: JSON.stringify(part) },
      );
  return { type: "function_call_output", call_id: callId, output };
}

/** A compaction's stored Responses item: the summary that replaces everything before it. */
export const compactionResponseItem = (summary: string) => ({ type: "compaction", summary });

/**
 * The next request's `input` from a thread's stored history: Responses items as stored (item ids
 * dropped: requests are not stored server-side), and items stored without one (older or injected
 * content) rebuilt from their ThreadItem. A compaction replaces what came before it as Codex 0.171.0 does (probed): the
 * user's earlier messages are kept (the newest, within COMPACTED_USER_MESSAGES_BUDGET_BYTES), then
 * the summary. `contextAt`: where the developer context goes after a compaction, as Codex puts it
 * there (before the last kept user message); 0 (ahead of everything) without one.
 */
export function compactedHistory(rows: StoredHistoryRow[]): { input: Record<string, unknown>[]; contextAt: number } {
  let input: Record<string, unknown>[] = [];
  let contextAt = 0;
  for (const row of rows) {
    const responseItem = row.response_item ?? (row.item ? responseItemOf(row.item) : null);
    if (!responseItem) continue;
    if (responseItem.type === "compaction") {
      const kept = keptUserMessages(input);
      input = [...kept, userText(`${SUMMARY_PREFIX}${String(responseItem.summary ?? "")}`)];
      contextAt = Math.max(0, kept.length - 1);
      continue;
    }
    const rest = asRequestInput(responseItem);
    // Reasoning goes back as Codex 0.171.0 sends it, encrypted or not (its content and encrypted
    // content null when it has none).
    if (rest.type === "reasoning")
      input.push({ ...rest, content: rest.content ?? null, encrypted_content: rest.encrypted_content ?? null });
    else input.push(rest);
  }
  return { input, contextAt };
}

/** A Responses output item as a request's input takes it back: its id and status dropped (requests are not stored server-side). */
export function asRequestInput(item: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, status: _status, ...rest } = item;
  return rest;
}

export function historyInput(rows: StoredHistoryRow[]): Record<string, unknown>[] {
  return compactedHistory(rows).input;
}

/** How much of the user's earlier messages a compaction keeps (Codex: 20,000 tokens, about four bytes each). */
export const COMPACTED_USER_MESSAGES_BUDGET_BYTES = 80_000;

const userText = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });

/** User-role notes that are context, not the user's words: a compaction does not keep them (Codex's `<turn_aborted>`; a goal's reminder). */
const CONTEXT_NOTES = ["<turn_aborted>", "<codex_internal_context"];

/**
 * The user's own messages in `input` that a compaction keeps, in order: their text (images and other
 * parts are not kept), not an earlier summary or a context note, the newest first within the budget.
 */
function keptUserMessages(input: Record<string, unknown>[]): Record<string, unknown>[] {
  const texts: string[] = [];
  for (const item of input) {
    if (item.type !== "message" || item.role !== "user" || !Array.isArray(item.content)) continue;
    const text = (item.content as Record<string, unknown>[])
      .filter((part) => part.type === "input_text" && typeof part.text === "string")
      .map((part) => part.text as string)
      .join("\n");
    if (text && !text.startsWith(SUMMARY_PREFIX) && !CONTEXT_NOTES.some((note) => text.startsWith(note))) texts.push(text);
  }
  const kept: string[] = [];
  let budget = COMPACTED_USER_MESSAGES_BUDGET_BYTES;
  for (let index = texts.length - 1; index >= 0; index--) {
    const text = texts[index] as string;
    budget -= Buffer.byteLength(text);
    if (budget < 0) break;
    kept.unshift(text);
  }
  return kept.map(userText);
}

function responseItemOf(item: Record<string, unknown>): Record<string, unknown> | null {
  if (item.type === "userMessage" && Array.isArray(item.content)) {
    const content = (item.content as Record<string, unknown>[])
      .filter((part) => part.type === "text")
      .map((part) => ({ type: "input_text", text: String(part.text ?? "") }));
    return { type: "message", role: "user", content };
  }
  if (item.type === "agentMessage") {
    return { type: "message", role: "assistant", content: [{ type: "output_text", text: String(item.text ?? "") }] };
  }
  return null;
}

/** A turn in the wire shape; `items` as its notification carries them. */
export function turnView(
  row: Pick<TurnRow, "id" | "root_turn_id" | "status" | "error" | "started_at" | "completed_at">,
  items: ThreadItem[] = [],
  itemsView: Turn["itemsView"] = "notLoaded",
): Turn {
  return {
    id: row.id,
    rootTurnId: row.root_turn_id ?? row.id,
    items,
    itemsView,
    status: row.status,
    error: (row.error as TurnError | null) ?? null,
    startedAt: seconds(row.started_at),
    completedAt: seconds(row.completed_at),
    durationMs: row.completed_at ? row.completed_at.getTime() - row.started_at.getTime() : null,
  };
}

/** As `turn/start` answers it: Codex reports the new turn with no times yet. */
export function admittedTurnView(row: Pick<TurnRow, "id" | "root_turn_id">): Turn {
  return {
    id: row.id,
    rootTurnId: row.root_turn_id ?? row.id,
    items: [],
    itemsView: "notLoaded",
    status: "inProgress",
    error: null,
    startedAt: null,
    completedAt: null,
    durationMs: null,
  };
}
