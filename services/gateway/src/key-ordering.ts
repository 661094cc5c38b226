// Per-key ordering within one connection (read-your-writes). Keyed writes are published at once, in
// arrival order (the keyed lane orders them across every gateway); a read of key K that this
// connection sends while one of its writes to K is in flight waits for that write to settle, so a
// client always reads its own writes even though reads are served concurrently by any instance.
import type { ScopeKey } from "@switchyard/protocol";

export class KeyOrdering {
  /** The last write per key still in flight. */
  private readonly pendingWrites = new Map<ScopeKey, Promise<unknown>>();

  /** Starts a write now; later reads of `key` wait for it. */
  write<T>(key: ScopeKey, start: () => Promise<T>): Promise<T> {
    const outcome = start();
    const settled = outcome.then(
      () => undefined,
      () => undefined,
    );
    this.pendingWrites.set(key, settled);
    void settled.then(() => {
      if (this.pendingWrites.get(key) === settled) this.pendingWrites.delete(key);
    });
    return outcome;
  }

  /** Starts a read now, or after this connection's in-flight write to `key`. */
  read<T>(key: ScopeKey | undefined, start: () => Promise<T>): Promise<T> {
    const earlierWrite = key ? this.pendingWrites.get(key) : undefined;
    return earlierWrite ? earlierWrite.then(start) : start();
  }

  /** Whether this connection has a keyed request of `key` in flight (a later read must come after it). */
  hasPending(key: ScopeKey): boolean {
    return this.pendingWrites.has(key);
  }

  get pendingWriteCount(): number {
    return this.pendingWrites.size;
  }
}
