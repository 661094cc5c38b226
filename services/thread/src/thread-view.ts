// Renders stored threads in the wire shape of the official schema (v2 Thread).
import type { Thread, ThreadStartParams, ThreadStartResponse } from "@switchyard/protocol";
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
    // Loaded by start, resume and fork (any instance serves it); unloaded by archive and the idle
    // sweeper. Turns will make it active.
    status: row.loaded_at ? { type: "idle" } : { type: "notLoaded" },
    path: null,
    cwd: row.cwd,
    cliVersion: row.cli_version,
    source: row.source as Thread["source"],
    threadSource: row.thread_source,
    historyMode: row.history_mode,
    name: row.name,
    projectId: row.project_id,
    gitInfo: row.git_info,
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

/** The sandbox policy a sandbox mode stands for. */
export function sandboxPolicy(mode: ThreadStartParams["sandbox"]): ThreadStartResponse["sandbox"] {
  switch (mode) {
    case "danger-full-access":
      return { type: "dangerFullAccess" };
    case "workspace-write":
      return {
        type: "workspaceWrite",
        writableRoots: [],
        networkAccess: false,
        excludeTmpdirEnvVar: false,
        excludeSlashTmp: false,
      };
    default:
      return { type: "readOnly", networkAccess: false };
  }
}

/** What a thread's stored settings hold (`thread.threads.settings`). */
export interface StoredSettings {
  approvalPolicy: ThreadStartResponse["approvalPolicy"];
  approvalsReviewer: ThreadStartResponse["approvalsReviewer"];
  sandbox: ThreadStartResponse["sandbox"];
  serviceTier: string | null;
  effort?: string | null;
  summary?: string | null;
  collaborationMode?: { mode: "plan" | "default"; settings: { model: string; reasoning_effort?: string | null } } | null;
  disabledPluginIds?: string[];
}

/** The session answer of thread/start, resume and fork. */
export function sessionView(row: ThreadRow, thread: Thread, defaultModel: string): ThreadStartResponse {
  const settings = row.settings as unknown as StoredSettings;
  return {
    thread,
    model: row.model ?? defaultModel,
    modelProvider: row.model_provider,
    serviceTier: settings.serviceTier ?? null,
    cwd: row.cwd,
    approvalPolicy: settings.approvalPolicy ?? "on-request",
    approvalsReviewer: settings.approvalsReviewer ?? "user",
    sandbox: settings.sandbox ?? sandboxPolicy(null),
    reasoningEffort: (settings.effort as ThreadStartResponse["reasoningEffort"]) ?? null,
    instructionSources: [],
    runtimeWorkspaceRoots: [],
  };
}
