// Fair shares of a service's Postgres connections between tenants. A service's pool has a fixed
// number of connections; when every one is busy, pg.Pool queues the rest first come, first served,
// so a tenant with hundreds of statements waiting (a flood its gateway limits still admit, or many
// of its users at once) puts every other tenant's next statement behind all of them. FairSlots
// hands out the same number of slots, and when they run out it keeps one queue per tenant and gives
// each freed slot to the tenants with waiters in turn: a tenant with one statement waiting waits for
// at most one slot per other waiting tenant, however many the others have queued. With slots free
// and nobody waiting, a statement takes one at once, without a promise.
export class FairSlots {
  private inUse = 0;
  /** Tenants with waiters, in the order they are served next (a Map keeps insertion order). */
  private readonly waiting = new Map<string, Array<() => void>>();
  private waiters = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Takes a slot for `tenant`: at once (undefined) when one is free and nobody waits, else a promise of one. */
  acquire(tenant: string): Promise<void> | undefined {
    if (this.inUse < this.capacity && this.waiters === 0) {
      this.inUse++;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      const queue = this.waiting.get(tenant);
      if (queue) queue.push(resolve);
      else this.waiting.set(tenant, [resolve]);
      this.waiters++;
    });
  }

  /** Gives a slot back: to the next tenant in turn when some wait (the slot passes on), else to the free ones. */
  release(): void {
    const next = this.waiting.entries().next();
    if (next.done) {
      this.inUse--;
      return;
    }
    const [tenant, queue] = next.value;
    const wake = queue.shift() as () => void;
    this.waiters--;
    // The tenant served goes to the back of the turn, behind every other tenant waiting.
    this.waiting.delete(tenant);
    if (queue.length > 0) this.waiting.set(tenant, queue);
    wake();
  }

  /** Statements waiting for a slot, and the tenants they belong to. */
  get queued(): { statements: number; tenants: number } {
    return { statements: this.waiters, tenants: this.waiting.size };
  }
}
