// Cancels of client requests that run on a thread instance for a while (thread/search,
// thread/search/stream, thread/sample), by the JSON-RPC id their connection sent them with.
//
// The request may run on another instance than the one that receives its cancel, so a cancel is
// broadcast on the control subject `requestCancel` (every thread instance subscribes) keyed by
// (connection, kind, requestId); the instance running that request aborts its signal. A cancel that
// arrives before its request has started is remembered briefly, so the request stops as soon as it
// starts. A request that finished first is unaffected.
import type { RequestCancelEvent, RequestCancelKind, RequestId } from "@switchyard/protocol";

/** How long a cancel for a request this instance is not running is remembered (it may not have started yet). */
export const EARLY_CANCEL_MEMORY_MS = 10_000;

/** How cancels travel between instances (main.ts binds it to the `requestCancel` NATS subject). */
export interface RequestCancelTransport {
  publish(event: RequestCancelEvent): void;
  /** Calls `onCancel` for every cancel any instance publishes (this one's included); returns an unsubscribe. */
  subscribe(onCancel: (event: RequestCancelEvent) => void): () => void;
}

const cancelKey = (connection: string, kind: RequestCancelKind, requestId: RequestId) =>
  JSON.stringify([connection, kind, requestId]);

/** The cancellable requests this instance is running, by (connection, kind, requestId), and the cancels that reach them. */
export class RequestCancellations {
  private readonly running = new Map<string, AbortController>();
  private readonly early = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly transport: RequestCancelTransport,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = transport.subscribe((event) => this.apply(event));
  }

  /** Registers a request; its signal aborts when a cancel names it. Call `finish` when it ends. */
  start(connection: string, kind: RequestCancelKind, requestId: RequestId): { signal: AbortSignal; finish: () => void } {
    const key = cancelKey(connection, kind, requestId);
    const controller = new AbortController();
    this.running.set(key, controller);
    const cancelledAt = this.early.get(key);
    if (cancelledAt !== undefined) {
      this.early.delete(key);
      if (this.now() - cancelledAt <= EARLY_CANCEL_MEMORY_MS) controller.abort();
    }
    return {
      signal: controller.signal,
      finish: () => {
        if (this.running.get(key) === controller) this.running.delete(key);
      },
    };
  }

  /** Cancels wherever the request runs: here at once, elsewhere through the broadcast. Idempotent. */
  cancel(event: RequestCancelEvent): void {
    this.apply(event);
    this.transport.publish(event);
  }

  stop(): void {
    this.unsubscribe();
  }

  private apply(event: RequestCancelEvent): void {
    const key = cancelKey(event.connection, event.kind, event.requestId);
    const controller = this.running.get(key);
    if (controller) {
      controller.abort();
      return;
    }
    const now = this.now();
    for (const [remembered, at] of this.early) if (now - at > EARLY_CANCEL_MEMORY_MS) this.early.delete(remembered);
    this.early.set(key, now);
  }
}
