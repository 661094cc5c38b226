// Group commit: writes that reach one instance at the same time are made by one statement, in one
// transaction, per tenant. Two kinds use it: keyed commands (renames, from different partitions) and
// thread creations (thread/start, fork).
//
// Every write used to commit alone: its own round trip, parse, plan, snapshot and commit — most of
// a rename's or a start's Postgres CPU, and a socket write that wakes a backend. Here a tenant's
// writes that arrive in one turn of the event loop (several deliveries read from the bus at once)
// go together at the end of that turn, so an idle tenant's write waits only for the turn to end;
// those arriving while its statements run wait and go together in the next one, up to `maxBatch`.
// Each keyed command's ledger row and its update are still in the transaction that answers it, so
// exactly-once holds as before: nothing is answered before its batch commits, and a redelivered
// command finds its ledger row whether it was committed alone or with others.
//
// Order: commands on one key never run concurrently (a partition has one message in flight across
// the cluster), so a batch never holds two commands of one thread; the batcher still keeps a second
// write of a key out of any batch while one of that key is queued before it or being written (it
// waits for the next batch), rather than trust that.
// A batch that fails is split: each of its commands runs alone, so one bad command fails alone, and
// a dependency that is down fails each of them (they are retried by the keyed lane as before).
// A batch's statement runs in the async context of its first input, so its span joins the trace of
// the request that opened the batch (alone, each input's own).
import { AsyncResource } from "node:async_hooks";

export interface BatchWrite<Input, Output> {
  /** One statement for the tenant's inputs; an output per input, in the same order. */
  run(tenant: string, inputs: Input[]): Promise<Output[]>;
  /** Inputs with the same key never share a batch. */
  keyOf(input: Input): string;
  /** Most inputs per statement. */
  maxBatch: number;
  /** Statements of one tenant running at once (the next batch forms meanwhile). */
  maxInFlight: number;
}

interface Queued<Input, Output> {
  input: Input;
  /**
   * The async context the input was submitted from (its request's trace). An AsyncResource made per
   * input, not `AsyncLocalStorage.snapshot()`: on Node 20 that binds a function with a deprecation
   * getter each call (measured: 3% of the thread service's CPU under the bench's renames).
   */
  scope: AsyncResource;
  resolve(output: Output): void;
  reject(error: unknown): void;
}

interface TenantQueue<Input, Output> {
  queued: Queued<Input, Output>[];
  inFlight: number;
  /** Keys of the inputs being written now. */
  writing: Set<string>;
  /** A batch forms at the end of this turn of the event loop. */
  isScheduled: boolean;
}

export class WriteBatcher<Input, Output> {
  private readonly tenants = new Map<string, TenantQueue<Input, Output>>();
  /** Batches written so far and the inputs in them (the tests read it). */
  readonly stats = { batches: 0, inputs: 0 };

  constructor(private readonly write: BatchWrite<Input, Output>) {}

  submit(tenant: string, input: Input): Promise<Output> {
    let queue = this.tenants.get(tenant);
    if (!queue) {
      queue = { queued: [], inFlight: 0, writing: new Set(), isScheduled: false };
      this.tenants.set(tenant, queue);
    }
    const tenantQueue = queue;
    const scope = new AsyncResource("SwitchyardBatchWrite");
    const submitted = new Promise<Output>((resolve, reject) => tenantQueue.queued.push({ input, scope, resolve, reject }));
    if (!tenantQueue.isScheduled && tenantQueue.inFlight < this.write.maxInFlight) {
      tenantQueue.isScheduled = true;
      setImmediate(() => {
        tenantQueue.isScheduled = false;
        this.drain(tenant, tenantQueue);
        if (tenantQueue.queued.length === 0 && tenantQueue.inFlight === 0) this.tenants.delete(tenant);
      });
    }
    return submitted;
  }

  private drain(tenant: string, queue: TenantQueue<Input, Output>): void {
    while (queue.queued.length > 0 && queue.inFlight < this.write.maxInFlight) {
      const batch = this.take(queue);
      if (batch.length === 0) return; // every queued key is being written: its batch ends first
      const keys = batch.map((entry) => this.write.keyOf(entry.input));
      for (const key of keys) queue.writing.add(key);
      queue.inFlight++;
      void this.runBatch(tenant, batch).finally(() => {
        for (const key of keys) queue.writing.delete(key);
        queue.inFlight--;
        if (queue.queued.length > 0) this.drain(tenant, queue);
        else if (queue.inFlight === 0 && !queue.isScheduled) this.tenants.delete(tenant);
      });
    }
  }

  /**
   * The oldest queued inputs, one per key and none of a key being written, up to maxBatch; the rest
   * stay queued in their order.
   */
  private take(queue: TenantQueue<Input, Output>): Queued<Input, Output>[] {
    const batch: Queued<Input, Output>[] = [];
    const keys = new Set<string>();
    const left: Queued<Input, Output>[] = [];
    for (const entry of queue.queued) {
      const key = this.write.keyOf(entry.input);
      if (batch.length < this.write.maxBatch && !keys.has(key) && !queue.writing.has(key)) batch.push(entry);
      else left.push(entry);
      keys.add(key); // a later input of this key stays behind this one
    }
    queue.queued = left;
    return batch;
  }

  private async runBatch(tenant: string, batch: Queued<Input, Output>[]): Promise<void> {
    this.stats.batches++;
    this.stats.inputs += batch.length;
    try {
      // In the first input's context: the statement's span joins the trace of the request that opened the batch.
      const first = batch[0] as Queued<Input, Output>;
      const outputs = await first.scope.runInAsyncScope(() =>
        this.write.run(
          tenant,
          batch.map((entry) => entry.input),
        ),
      );
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} wrote ${outputs.length} outputs`);
      for (const [index, entry] of batch.entries()) entry.resolve(outputs[index] as Output);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // Split: each alone, so a command the statement refused fails by itself.
      await Promise.all(
        batch.map(async (entry) => {
          try {
            const [output] = await entry.scope.runInAsyncScope(() => this.write.run(tenant, [entry.input]));
            entry.resolve(output as Output);
          } catch (aloneError) {
            entry.reject(aloneError);
          }
        }),
      );
    }
  }
}
