// Reusable thread-start answers. The config service marks an answer reusable (internal/config/
// resolveThread's `reuse`) when it came from inputs it already held: the same caller, cwd, overrides
// and client version give the same settings and snapshot until the tenant's config generation moves.
// The thread service keeps such answers here and starts the next thread with the same inputs in one
// statement (the snapshot stored by the config schema's guarded function, the thread's row with it)
// without asking the config service: one hop and one commit, as a start with nothing to resolve costs.
// Nothing here decides freshness: the statement's generation guard does, and a start it refuses
// drops the answer and asks the config service again.
import type { ResolveThreadConfigParams, ResolveThreadConfigResponse } from "@switchyard/protocol";

export type ReusableAnswer = ResolveThreadConfigResponse & {
  reuse: NonNullable<ResolveThreadConfigResponse["reuse"]>;
  /** The snapshot's documents as JSON text, serialized once for every start that reuses them. */
  snapshotJson: { sessionLayer: string; effective: string; resolved: string };
};

/** Inputs longer than this (large `config` overrides) are not remembered: they would crowd the rest out. */
const MAX_KEY_CHARS = 4_096;

export class StartTemplates {
  private readonly answers = new Map<string, ReusableAnswer>();

  constructor(private readonly capacity = 1_000) {}

  /** The key of a start's inputs, or undefined when they are not remembered. */
  static keyOf(tenant: string, subject: string, params: Omit<ResolveThreadConfigParams, "threadId">): string | undefined {
    if (params.forkedFromId) return undefined;
    const key = JSON.stringify([tenant, subject, params.cwd, params.clientVersion, params.overrides]);
    return key.length <= MAX_KEY_CHARS ? key : undefined;
  }

  get(key: string): ReusableAnswer | undefined {
    const answer = this.answers.get(key);
    if (answer) {
      // Most recently used last: the first entry is the one to evict.
      this.answers.delete(key);
      this.answers.set(key, answer);
    }
    return answer;
  }

  /** Remembers the answer if the config service marked it reusable. */
  remember(key: string, answer: ResolveThreadConfigResponse): void {
    const reuse = answer.reuse;
    if (!reuse) return;
    this.answers.delete(key);
    this.answers.set(key, {
      ...answer,
      reuse,
      snapshotJson: {
        sessionLayer: JSON.stringify(reuse.sessionLayer),
        effective: JSON.stringify(reuse.effective),
        resolved: JSON.stringify(reuse.resolved),
      },
    });
    if (this.answers.size > this.capacity) this.answers.delete(this.answers.keys().next().value as string);
  }

  forget(key: string): void {
    this.answers.delete(key);
  }

  get size(): number {
    return this.answers.size;
  }
}
