// Ordered retries of keyed-lane publishes, per partition subject.
//
// A JetStream cluster that loses a node re-elects the leaders the node held; for a few seconds a
// publish to such a stream gets "no responders": nobody stored it. Surfacing that as an error would
// make a node loss visible to every client writing at the time, so the gateway retries, with the
// same message id (the stream's duplicate window would turn a retry of a publish that was in fact
// stored into a no-op that keeps its first position). Which errors are retried is the caller's
// choice (keyed-lane.ts: only those that say nothing was stored).
//
// A retry must not break per-key order: publishes are pipelined, so by the time one fails, later
// publishes to the same partition may already be stored, and storing the failed one now would put
// it behind them. So on the first retryable failure the partition closes: new publishes wait in a
// queue; once every publish already on the wire has settled, the failed ones are retried one at a
// time in the order they were issued — except those issued before a publish that was stored, which
// fail as they are (the caller's error says the write may or may not be applied). Then the queue is
// released in arrival order and the partition pipelines again.

/** One publish attempt; rejects with what the bus threw. */
export type PublishAttempt = () => Promise<void>;

export interface OrderedPublishOptions {
  /** Whether an error may go away by itself (a leader election, a lost ack). */
  isRetryable(error: unknown): boolean;
  /** Back-off before retry `attempt` (1-based). */
  backoffMs?(attempt: number): number;
  /** Called when a partition starts retrying (for the log). */
  onRetrying?(subject: string, failed: number): void;
}

interface Failed {
  issued: number;
  error: unknown;
  attempt: PublishAttempt;
  deadlineMs: number;
  resolve(): void;
  reject(error: unknown): void;
}

interface PartitionState {
  issued: number;
  /** The issue number of the newest publish known to be stored (0: none). */
  newestStored: number;
  inFlight: number;
  failed: Failed[];
  isRecovering: boolean;
  /** The failed publishes are being retried (nothing of the partition is on the wire). */
  isRetrying: boolean;
  /** Publishes that arrived while the partition was recovering, in arrival order. */
  waiting: (() => void)[];
}

const defaultBackoff = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 1_000);

export class OrderedPublisher {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly backoffMs: (attempt: number) => number;

  constructor(private readonly options: OrderedPublishOptions) {
    this.backoffMs = options.backoffMs ?? defaultBackoff;
  }

  /**
   * Publishes through `attempt`, at once unless the subject is recovering (then after the publishes
   * queued before it). Retryable failures are retried until `deadlineMs` when order allows.
   */
  publish(subject: string, deadlineMs: number, attempt: PublishAttempt): Promise<void> {
    const state = this.stateOf(subject);
    return new Promise<void>((resolve, reject) => {
      const send = () => this.send(subject, state, { deadlineMs, attempt, resolve, reject });
      if (state.isRecovering) state.waiting.push(send);
      else send();
    });
  }

  /** Subjects currently retrying (for tests and diagnostics). */
  recoveringSubjects(): string[] {
    return [...this.partitions].filter(([, state]) => state.isRecovering).map(([subject]) => subject);
  }

  private stateOf(subject: string): PartitionState {
    let state = this.partitions.get(subject);
    if (!state) {
      state = { issued: 0, newestStored: 0, inFlight: 0, failed: [], isRecovering: false, isRetrying: false, waiting: [] };
      this.partitions.set(subject, state);
    }
    return state;
  }

  private send(subject: string, state: PartitionState, publish: Omit<Failed, "issued" | "error">): void {
    const issued = ++state.issued;
    state.inFlight++;
    let sent: Promise<void>;
    try {
      sent = publish.attempt();
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      () => {
        state.inFlight--;
        state.newestStored = Math.max(state.newestStored, issued);
        publish.resolve();
        this.maybeRecover(state);
      },
      (error: unknown) => {
        state.inFlight--;
        if (!this.options.isRetryable(error) || Date.now() >= publish.deadlineMs) publish.reject(error);
        else {
          state.failed.push({ ...publish, issued, error });
          if (!state.isRecovering) {
            state.isRecovering = true;
            this.options.onRetrying?.(subject, state.failed.length);
          }
        }
        this.maybeRecover(state);
      },
    );
  }

  /** Once nothing of the partition is on the wire any more, retries its failed publishes in order. */
  private maybeRecover(state: PartitionState): void {
    if (!state.isRecovering || state.isRetrying || state.inFlight > 0) return;
    state.isRetrying = true;
    const failed = state.failed.sort((a, b) => a.issued - b.issued);
    state.failed = [];
    // Nothing is sent while retrying, so no new failure can join: the partition opens afterwards.
    const reopen = () => {
      state.isRetrying = false;
      state.isRecovering = false;
      const waiting = state.waiting;
      state.waiting = [];
      for (const send of waiting) send();
    };
    // retryInOrder settles every publish itself; the partition opens again whatever happens.
    void this.retryInOrder(failed, state).then(reopen, reopen);
  }

  private async retryInOrder(failed: Failed[], state: PartitionState): Promise<void> {
    for (const publish of failed) {
      // Overtaken by a stored publish: storing this one now would put it out of order.
      if (publish.issued < state.newestStored) {
        publish.reject(publish.error);
        continue;
      }
      let error = publish.error;
      for (let attempt = 1; ; attempt++) {
        const wait = Math.min(this.backoffMs(attempt), publish.deadlineMs - Date.now());
        if (wait <= 0) {
          publish.reject(error);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
        try {
          await publish.attempt();
          state.newestStored = Math.max(state.newestStored, publish.issued);
          publish.resolve();
          break;
        } catch (retryError) {
          error = retryError;
          if (!this.options.isRetryable(retryError)) {
            publish.reject(retryError);
            break;
          }
        }
      }
    }
  }
}
