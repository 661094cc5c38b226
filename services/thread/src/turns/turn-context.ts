// The instructions a turn gives the model ahead of the thread's history, placed as Codex 0.171.0
// places them in its request's `input` (probed on the binary): the base instructions as a developer
// message of their own, then one developer message whose parts are the developer instructions and
// the collaboration mode's own instructions, wrapped in `<collaboration_mode>`. Codex adds built-in
// texts of its own around them (its base prompt, skills, permissions, the modes' default prompts, the
// environment context); Switchyard carries none of those and sends only what the client, the
// orchestrator or the config gave. They are not stored with the history: each request builds them
// from the thread's settings and its effective config as they are then.
import type { StoredSettings } from "../thread-view.js";
import { compactedHistory } from "./turn-items.js";
import type { StoredHistoryRow } from "./turn-store.js";

/** What a thread holds of them (its stored settings), apart from its config. */
export interface ThreadInstructions {
  base: string | null;
  developer: string | null;
  collaborationMode: string | null;
}

export function threadInstructions(settings: StoredSettings | null | undefined): ThreadInstructions {
  return {
    base: settings?.baseInstructions || null,
    developer: settings?.developerInstructions || null,
    collaborationMode: settings?.collaborationMode?.settings.developer_instructions || null,
  };
}

const developerMessage = (texts: string[]) => ({
  type: "message",
  role: "developer",
  content: texts.map((text) => ({ type: "input_text", text })),
});

/**
 * The developer messages that open a request's input: the thread's own developer instructions win
 * over the config's `developer_instructions` (a start's `developerInstructions` is a config override
 * in Codex); none at all when nothing was given.
 */
export function contextInput(thread: ThreadInstructions, configDeveloperInstructions: string | null | undefined) {
  const messages: Record<string, unknown>[] = [];
  if (thread.base) messages.push(developerMessage([thread.base]));
  const parts: string[] = [];
  const developer = thread.developer ?? (configDeveloperInstructions || null);
  if (developer) parts.push(developer);
  if (thread.collaborationMode) parts.push(`<collaboration_mode>${thread.collaborationMode}</collaboration_mode>`);
  if (parts.length > 0) messages.push(developerMessage(parts));
  return messages;
}

/**
 * A request's input over a thread's stored history (compactedHistory): the base instructions first;
 * the developer message ahead of the history, or, after a compaction, where Codex puts it (before the
 * last user message the compaction kept).
 */
export function threadInput(
  thread: ThreadInstructions,
  configDeveloperInstructions: string | null | undefined,
  rows: StoredHistoryRow[],
): Record<string, unknown>[] {
  const { input, contextAt } = compactedHistory(rows);
  return placeContext(thread, configDeveloperInstructions, input, contextAt);
}

/** `history` with the instructions placed in it: the base first, the developer message at `contextAt`. */
export function placeContext(
  thread: ThreadInstructions,
  configDeveloperInstructions: string | null | undefined,
  history: Record<string, unknown>[],
  contextAt: number,
): Record<string, unknown>[] {
  const context = contextInput(thread, configDeveloperInstructions);
  const base = thread.base ? context.slice(0, 1) : [];
  const developer = context.slice(base.length);
  return [...base, ...history.slice(0, contextAt), ...developer, ...history.slice(contextAt)];
}
