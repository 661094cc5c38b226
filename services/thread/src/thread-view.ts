// Renders stored threads in the wire shape of the official schema (v2 Thread).
import type { Thread, ThreadReadState, ThreadStartParams, ThreadStartResponse } from "@switchyard/protocol";
import type { StoredItem, ThreadRow } from "./store/thread-store.js";

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * `isStoredView`: the thread as a listing or a metadata write shows it, from its stored record,
 * where Codex 0.171.0 does not say whether it takes direct input (null) even while it is loaded.
 */
export function threadView(row: ThreadRow, turns: unknown[] = [], options: { isStoredView?: boolean } = {}): Thread {
  // Every field Codex 0.171.0 sends, in its order. Sub-agents, attachments, environments
  // and Daybreak are not part of Switchyard's cloud threads: those are null, as Codex reports them
  // when it has none.
  return {
    id: row.id,
    environments: null,
    extra: null,
    sessionId: row.session_id,
    forkedFromId: row.forked_from_id,
    attachedToThreadId: null,
    parentThreadId: row.parent_thread_id,
    preview: row.preview,
    ephemeral: row.is_ephemeral,
    section: row.section,
    sectionEnteredAt: row.section_entered_at && seconds(row.section_entered_at),
    projectId: row.project_id,
    historyMode: row.history_mode,
    modelProvider: row.model_provider,
    // As Codex 0.171.0: a loaded thread's configured model; one not loaded shows the model its turns
    // recorded, null while none has started.
    model: row.loaded_at !== null || row.model_recorded ? row.model : null,
    reasoningEffort: (row.settings as unknown as StoredSettings).effort ?? null,
    createdAt: seconds(row.created_at),
    updatedAt: seconds(row.updated_at),
    // Codex starts a thread's recency at its creation.
    recencyAt: seconds(row.recency_at ?? row.created_at),
    // Loaded by start, resume and fork (any instance serves it); unloaded by archive and the idle
    // sweeper; active while a turn runs.
    status: row.active_turn_id ? { type: "active", activeFlags: [] } : row.loaded_at ? { type: "idle" } : { type: "notLoaded" },
    path: null,
    cwd: row.cwd,
    cliVersion: row.cli_version,
    originator: row.originator,
    source: row.source as Thread["source"],
    // A loaded thread takes turns; for one not loaded the capability is unknown (null), as in Codex.
    canAcceptDirectInput: row.loaded_at && !options.isStoredView ? true : null,
    threadSource: row.thread_source,
    agentNickname: null,
    agentRole: null,
    gitInfo: row.git_info,
    name: row.name,
    daybreakEnabled: null,
    turns,
  };
}

/**
 * The thread's durable read state, or null while it has none (nothing recorded about it yet, or it
 * is ephemeral): thread/read's `readState`, thread/list's `readStates`, what thread/readState/update
 * checks and edits.
 */
export function readStateView(
  row: Pick<ThreadRow, "id" | "has_read_state" | "read_revision" | "first_unread">,
): ThreadReadState | null {
  if (!row.has_read_state) return null;
  // The revision is opaque to clients; the unedited one is named as Codex names it.
  const revision = String(row.read_revision);
  return { revision: revision === "0" ? `initial:${row.id}` : revision, firstUnread: row.first_unread };
}

/** A turn's recorded state (thread.turns); turns of injected or forked items have none: completed. */
export interface TurnState {
  status: "completed" | "interrupted" | "failed" | "inProgress";
  error: unknown;
  root_turn_id: string | null;
  started_at: Date;
  completed_at: Date | null;
}

/** Groups stored items into turns, in the order they were stored, with each turn's recorded state. */
export function turnsView(items: StoredItem[], states: ReadonlyMap<string, TurnState> = new Map()): unknown[] {
  const turns: Record<string, unknown>[] = [];
  let current: { id: string; items: unknown[] } | undefined;
  for (const stored of items) {
    if (!current || current.id !== stored.turnId) {
      const state = states.get(stored.turnId);
      current = { id: stored.turnId, items: [] };
      turns.push(
        Object.assign(current, {
          rootTurnId: state?.root_turn_id ?? stored.turnId,
          itemsView: "full",
          status: state?.status ?? "completed",
          error: state?.error ?? null,
          startedAt: state ? Math.floor(state.started_at.getTime() / 1000) : null,
          completedAt: state?.completed_at ? Math.floor(state.completed_at.getTime() / 1000) : null,
          durationMs: state?.completed_at ? state.completed_at.getTime() - state.started_at.getTime() : null,
        }),
      );
    }
    current.items.push(stored.item);
  }
  return turns;
}

/** The recorded states of a thread's turns (thread.turns), by turn id. */
export const TURN_STATES_SQL = `SELECT id, status, error, root_turn_id, started_at, completed_at
  FROM thread.turns WHERE tenant = $1 AND thread_id = $2`;

export function turnStatesOf(rows: (TurnState & { id: string })[]): Map<string, TurnState> {
  return new Map(rows.map((row) => [row.id, row]));
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
  /**
   * The collaboration mode last set (updatedSettings); its model and effort are the thread's own.
   * Rows written before that rule hold the mode's `model` and `reasoning_effort` instead: the effort
   * is read from there when the thread has none of its own.
   */
  collaborationMode?: {
    mode: "plan" | "default";
    settings: { developer_instructions?: string | null; model?: string; reasoning_effort?: string | null };
  } | null;
  disabledPluginIds?: string[];
  /**
   * Instructions the client gave at start, resume or fork (`baseInstructions`, `developerInstructions`):
   * a turn gives them to the model (turn-context.ts); the developer instructions over the config's.
   */
  baseInstructions?: string;
  developerInstructions?: string;
  /** The named or built-in permission profile the config service resolved at thread/start (null: legacy sandbox mode). */
  activePermissionProfile?: { id: string; extends: string | null } | null;
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
    activePermissionProfile: settings.activePermissionProfile ?? null,
    disabledPluginIds: settings.disabledPluginIds ?? [],
    // Deprecated in Codex 0.171.0 and always this value.
    multiAgentMode: "explicitRequestOnly",
  };
}

/**
 * A thread nothing has been recorded about yet (no turn, items, rename, metadata or goal: what also
 * gives it a read state, migration 0027), which Codex 0.171.0 has written nothing for: its history
 * cannot be read or paged there (refused, in Codex's words). An ephemeral thread keeps its own.
 */
export function hasNothingRecorded(row: Pick<ThreadRow, "has_read_state" | "is_ephemeral">): boolean {
  return !row.has_read_state && !row.is_ephemeral;
}

/**
 * A thread Codex 0.171.0 has no rollout for: one nothing is recorded about yet, or an ephemeral one
 * (never written). Codex cannot resume or fork it (`no rollout found for thread id …`), and Switchyard
 * answers the same.
 */
export function hasNoRollout(row: Pick<ThreadRow, "has_read_state">): boolean {
  return !row.has_read_state;
}
