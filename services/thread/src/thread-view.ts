// Renders stored threads in the wire shape of the official schema (v2 Thread).
import type { Thread } from "@switchyard/protocol";
import type { StoredItem, ThreadRow } from "./store/thread-store.js";

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export function threadView(row: ThreadRow, turns: unknown[] = []): Thread {
  return {
    id: row.id,
    sessionId: row.session_id,
    forkedFromId: row.forked_from_id,
    parentThreadId: row.parent_thread_id,
    preview: row.preview,
    ephemeral: row.is_ephemeral,
    modelProvider: row.model_provider,
    model: row.model,
    createdAt: seconds(row.created_at),
    updatedAt: seconds(row.updated_at),
    recencyAt: row.recency_at ? seconds(row.recency_at) : null,
    // Any instance can serve any thread, so a stored thread is never "notLoaded" here; turns will
    // make it active.
    status: { type: "idle" },
    path: null,
    cwd: row.cwd,
    cliVersion: row.cli_version,
    source: row.source as Thread["source"],
    threadSource: row.thread_source,
    historyMode: row.history_mode,
    name: row.name,
    projectId: row.project_id,
    gitInfo: null,
    turns,
  };
}

/** Groups stored items into turns, in the order they were stored. */
export function turnsView(items: StoredItem[]): unknown[] {
  const turns: { id: string; items: unknown[]; status: "completed" }[] = [];
  for (const stored of items) {
    let turn = turns[turns.length - 1];
    if (!turn || turn.id !== stored.turnId) {
      turn = { id: stored.turnId, items: [], status: "completed" };
      turns.push(turn);
    }
    turn.items.push(stored.item);
  }
  return turns;
}
