// Reusable thread-start answers. The config service marks an answer reusable (internal/config/
// resolveThread's `reuse`) when it came from inputs it already held: the same caller, cwd, overrides
// and client version give the same settings and snapshot until the tenant's config generation moves.
// The thread service keeps such answers here and starts the next thread with the same inputs in one
// statement (the snapshot stored by the config schema's guarded function, the thread's row with it)
// without asking the config service: one hop and one commit, as a start with nothing to resolve costs.
// Nothing here decides freshness: the statement's generation guard does, and a start it refuses
// drops the answer and asks the config service again.
import type { ResolveThreadConfigParams, ResolveThreadConfigResponse } from "@switchyard/protocol";

/** A remembered answer: what the start reports, and the snapshot it stores (its documents as JSON text). */
export interface ReusableAnswer {
  /** The config service's answer, without its `reuse` documents. */
  answer: ResolveThreadConfigResponse;
  /** The tenant's config generation the answer holds at. */
  generation: string;
  /** The snapshot's documents, serialized once for every start that reuses them. */
  snapshotJson: { sessionLayer: string; effective: string; resolved: string };
}

/** Inputs longer than this (large `config` overrides) are not remembered: they would crowd the rest out. */
const MAX_KEY_CHARS = 4_096;
/** Nor are answers whose snapshot is larger than this (characters of JSON text). */
const MAX_ENTRY_CHARS = 1 << 20;

/** Remembered answers, least recently used out, within a budget of characters (keys and snapshot text). */
export class StartTemplates {
  private readonly answers = new Map<string, ReusableAnswer & { chars: number }>();
  private chars = 0;

  constructor(private readonly budgetChars = 16 << 20) {}

  /** The key of a start's inputs, or undefined when they are not remembered. */
  static keyOf(tenant: string, subject: string, params: Omit<ResolveThreadConfigParams, "threadId">): string | undefined {
    if (params.forkedFromId) return undefined;
    const key = JSON.stringify([tenant, subject, params.cwd, params.clientVersion, params.overrides]);
    return key.length <= MAX_KEY_CHARS ? key : undefined;
  }

  get(key: string): ReusableAnswer | undefined {
    const entry = this.answers.get(key);
    if (entry) {
      // Most recently used last: the first entry is the one to evict.
      this.answers.delete(key);
      this.answers.set(key, entry);
    }
    return entry;
  }

  /** Remembers the answer if the config service marked it reusable (and it fits). */
  remember(key: string, answer: ResolveThreadConfigResponse): void {
    const { reuse, ...rest } = answer;
    if (!reuse) return;
    const snapshotJson = {
      sessionLayer: JSON.stringify(reuse.sessionLayer),
      effective: JSON.stringify(reuse.effective),
      resolved: JSON.stringify(reuse.resolved),
    };
    const chars = key.length + snapshotJson.sessionLayer.length + snapshotJson.effective.length + snapshotJson.resolved.length;
    this.forget(key);
    if (chars > Math.min(MAX_ENTRY_CHARS, this.budgetChars)) return;
    this.answers.set(key, { answer: rest, generation: reuse.generation, snapshotJson, chars });
    this.chars += chars;
    for (const [oldest, entry] of this.answers) {
      if (this.chars <= this.budgetChars) break;
      this.answers.delete(oldest);
      this.chars -= entry.chars;
    }
  }

  forget(key: string): void {
    const entry = this.answers.get(key);
    if (!entry) return;
    this.answers.delete(key);
    this.chars -= entry.chars;
  }

  get size(): number {
    return this.answers.size;
  }

  /** Characters held (keys and snapshot text). */
  get heldChars(): number {
    return this.chars;
  }
}
