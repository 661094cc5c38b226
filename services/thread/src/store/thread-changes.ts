// Change notices: after every commit that changes what thread/read answers for a thread, the thread
// service publishes `threadChanged(tenant, threadId)` (an empty message) — or, for a commit that
// changed several threads of a tenant (a group-committed batch of renames, say), one
// `threadsChanged(tenant)` listing them (a JSON array of ids) — and gateways drop their cached
// answers for them (services/gateway/src/read-cache.ts). A notice goes out after the commit and
// before the request that made the change is answered or any notification about it is emitted (all
// on this service's one NATS connection, so in that order): whoever learns of a change and then
// reads the thread misses the cache.
//
// Writes mark the threads they change on their transaction (`mark`); `transaction` publishes the
// marks once the transaction commits (nothing when it rolls back). Marking outside a tracked
// transaction is a defect and throws, so a write path that bypasses this cannot pass its tests
// quietly. Single statements outside a transaction announce after they return (`announce`).
import type { NatsConnection } from "@nats-io/nats-core";
import type { BusSubjects } from "@switchyard/protocol";
import type { TenantDb, TenantQueryable } from "@switchyard/runtime";

export class ThreadChanges {
  private readonly marks = new WeakMap<TenantQueryable, Set<string>>();

  /** `publish` sends one notice for one or more threads of a tenant; tests pass a recorder. */
  constructor(private readonly publish: (tenant: string, threadIds: string[]) => void) {}

  static onBus(nc: NatsConnection, subjects: Pick<BusSubjects, "threadChanged" | "threadsChanged">): ThreadChanges {
    const encoder = new TextEncoder();
    return new ThreadChanges((tenant, threadIds) => {
      try {
        if (threadIds.length === 1) nc.publish(subjects.threadChanged(tenant, threadIds[0] as string));
        else nc.publish(subjects.threadsChanged(tenant), encoder.encode(JSON.stringify(threadIds)));
      } catch {
        // This connection is closed (shutting down): the notice is lost, and gateways' answers for the
        // thread last until they expire (GATEWAY_READ_CACHE_TTL_MS), as after a crash.
      }
    });
  }

  /** Runs `work` in one transaction of `db`; the threads it marks are announced once it commits. */
  async transaction<T>(db: TenantDb, tenant: string, work: (tx: TenantQueryable) => Promise<T>): Promise<T> {
    const changed = new Set<string>();
    const result = await db.transaction(tenant, (tx) => {
      this.marks.set(tx, changed);
      return work(tx);
    });
    this.announce(tenant, changed);
    return result;
  }

  /** The transaction `tx` changes these threads (announced when it commits). */
  mark(tx: TenantQueryable, threadIds: string | Iterable<string>): void {
    const changed = this.marks.get(tx);
    if (!changed) throw new Error("a thread change marked outside a transaction that announces it (ThreadChanges.transaction)");
    for (const id of typeof threadIds === "string" ? [threadIds] : threadIds) changed.add(id);
  }

  /** Announces threads changed by something already committed. */
  announce(tenant: string, threadIds: Iterable<string>): void {
    const ids = [...new Set(threadIds)];
    if (ids.length > 0) this.publish(tenant, ids);
  }
}
