// The client half of both lanes, for whoever sends client requests onto the bus (the gateway).
// Unkeyed: core NATS request-reply to the owning service's queue group. Keyed: a JetStream publish to
// the key's partition, the reply arriving on this client's own reply subject. Every request settles
// exactly once with a BusOutcome, never a throw:
//   - refused while the bus is down ("retry later") once a short grace for a reconnection has passed
//     (requests waiting for it are sent in arrival order), or at once when its body is larger than
//     the server's max_payload allows ("request too large");
//   - answered when the bus connection drops while it is in flight (its reply can no longer arrive:
//     replies published while we are disconnected are lost), rather than at its deadline; it may
//     still be applied (a keyed command sits in JetStream, a thread/start may have run), and the
//     error says so;
//   - answered at its deadline otherwise.
// A repeatable unkeyed request (`MethodSpec.readOnly` or `repeatable`: asking it twice has the
// effect of asking it once) whose answer is late is asked again (hedged): a core NATS request taken
// by an instance that then dies is otherwise answered only at its deadline (30 s for a client),
// though every other instance could answer it in milliseconds. After `hedgeAfterMs` without an
// answer it is sent again to the service's queue group (which a dead instance has left), and again
// after 2×, 4×, … that delay while its deadline leaves time; the first answer wins. An instance that
// stalls rather than dies keeps its place in the group, so an ask may reach it again; each further
// ask makes it less likely that all of them did. The keyed lane needs none of this: JetStream
// redelivers what a dead instance took.
import type { Msg, Subscription } from "@nats-io/nats-core";
import { errors as natsErrors } from "@nats-io/nats-core";
import { type BusSubjects, type ErrorDetail, type ScopeKey, type ServiceName, toWireError } from "@switchyard/protocol";
import { type BusOutcome, type BusRequest, decodeOutcome, type KeyedScopeKind, requestHeaders } from "./bus-codec.js";
import { DEFAULT_HEDGE_AFTER_MS } from "./env.js";
import { KeyedLanePublisher } from "./keyed-lane.js";
import type { Logger } from "./logger.js";
import { recordHedge } from "./metrics.js";
import { type BusConnection, maxRequestBodyBytes } from "./nats.js";
import { injectTraceContext } from "./tracing.js";

export interface LaneRequest {
  owner: ServiceName;
  /** The key a keyed method serializes on; absent for unkeyed methods. */
  key: ScopeKey | undefined;
  /**
   * The method's scope kind (`MethodSpec.scope.kind`). With a key, `sharedRead` lets the command run
   * together with the shared reads next to it; anything else (or nothing) runs it alone, the safe
   * default. Ignored without a key.
   */
  scope?: "unkeyed" | KeyedScopeKind;
  meta: Omit<BusRequest, "params" | "headers">;
  body: Uint8Array;
  timeoutMs: number;
  /**
   * Asking twice has the effect of asking once (`MethodSpec.readOnly` or `repeatable`): an unkeyed
   * request is asked again when its answer is late.
   */
  repeatable?: boolean;
}

export interface LaneClientOptions {
  /** How long a repeatable unkeyed request waits for its answer before it is asked again (0: never). */
  hedgeAfterMs: number;
}

interface Pending {
  method: string;
  settle(outcome: BusOutcome): void;
}

const failure = (detail: ErrorDetail): BusOutcome => ({ ok: false, error: toWireError(detail) });

/**
 * How long a request that arrives while the bus is down waits for it to come back before it is
 * answered "retry later": long enough for a client to fail over to another node of a cluster, short
 * enough that a real outage is answered promptly.
 */
const BUS_RECONNECT_GRACE_MS = 300;

export class LaneClient {
  private readonly keyed: KeyedLanePublisher;
  /** Requests awaiting their outcome, by command id (keyed replies are matched by it). */
  private readonly pending = new Map<string, Pending>();
  private readonly stopWatching: () => void;
  private readonly stopWatchingUp: () => void;
  /** Requests that arrived while the bus was down, waiting for it in arrival order. */
  private readonly waitingForBus: { release(): void; expire(): void }[] = [];
  private readonly replies: Subscription;

  constructor(
    private readonly bus: BusConnection,
    private readonly subjects: BusSubjects,
    /** This client's reply-subject token (the gateway id). */
    private readonly replyId: string,
    private readonly log: Logger,
    private readonly options: LaneClientOptions = { hedgeAfterMs: DEFAULT_HEDGE_AFTER_MS },
  ) {
    this.keyed = new KeyedLanePublisher(bus.nc, subjects, undefined, (subject, failed) =>
      log.warn({ subject, failed }, "keyed publish not stored (a JetStream leader election?); retrying in order"),
    );
    this.stopWatching = bus.onDown(() => this.failInFlight());
    this.stopWatchingUp = bus.onUp(() => this.releaseWaiting());
    this.replies = bus.nc.subscribe(subjects.replyWildcard(replyId), {
      callback: (error, msg) => {
        if (error) return;
        // A duplicate from a redelivery, or the request was already answered: nothing waits for it.
        this.pending.get(msg.subject.slice(msg.subject.lastIndexOf(".") + 1))?.settle(decodeOutcome(msg));
      },
    });
  }

  request(request: LaneRequest): Promise<BusOutcome> {
    const { meta } = request;
    // Disconnected (or releasing those that waited): wait, in arrival order, for a reconnection —
    // to another node of a cluster it takes milliseconds — up to a short grace, then "retry later".
    if (!this.bus.isConnected() || this.waitingForBus.length > 0) {
      return new Promise<BusOutcome>((resolve) => {
        const waiter = {
          release: () => {
            clearTimeout(timer);
            resolve(this.send(request));
          },
          expire: () => resolve(failure({ reason: "busUnavailable", method: meta.method, mayBeApplied: false })),
        };
        const timer = setTimeout(
          () => {
            const index = this.waitingForBus.indexOf(waiter);
            if (index >= 0) this.waitingForBus.splice(index, 1);
            waiter.expire();
          },
          Math.min(BUS_RECONNECT_GRACE_MS, Math.max(0, meta.deadlineMs - Date.now())),
        );
        this.waitingForBus.push(waiter);
        if (this.bus.isConnected()) this.releaseWaiting();
      });
    }
    return this.send(request);
  }

  /** Sends what waited for the bus, in the order it arrived (synchronously, so keyed order holds). */
  private releaseWaiting(): void {
    const waiting = this.waitingForBus.splice(0);
    for (const waiter of waiting) waiter.release();
  }

  private send(request: LaneRequest): Promise<BusOutcome> {
    const { meta } = request;
    if (!this.bus.isConnected()) {
      return Promise.resolve(failure({ reason: "busUnavailable", method: meta.method, mayBeApplied: false }));
    }
    const limitBytes = maxRequestBodyBytes(this.bus.nc);
    if (request.body.length > limitBytes) {
      return Promise.resolve(failure({ reason: "requestTooLarge", sizeBytes: request.body.length, limitBytes }));
    }
    return new Promise<BusOutcome>((resolve) => {
      const timer = setTimeout(
        () => entry.settle(failure({ reason: "deadlineExceeded", method: meta.method, timeoutMs: request.timeoutMs })),
        request.timeoutMs,
      );
      /** The next ask again of a late repeatable request (one timer at a time). */
      let hedge: NodeJS.Timeout | undefined;
      const entry: Pending = {
        method: meta.method,
        settle: (outcome) => {
          if (this.pending.get(meta.commandId) !== entry) return;
          this.pending.delete(meta.commandId);
          clearTimeout(timer);
          clearTimeout(hedge);
          resolve(outcome);
        },
      };
      this.pending.set(meta.commandId, entry);
      const settleWith = (sent: Promise<BusOutcome | undefined>) =>
        sent.then(
          (outcome) => outcome && entry.settle(outcome),
          (error: unknown) => entry.settle(this.transportFailure(error, request)),
        );
      // The keyed publish is issued synchronously, before any await, so requests from one
      // connection enter the stream in the order they arrived.
      if (request.key) {
        settleWith(this.publishKeyed(request, request.key));
        return;
      }
      settleWith(this.requestUnkeyed(request));
      if (request.repeatable && this.options.hedgeAfterMs > 0) {
        // Asked again at hedgeAfterMs, 2×, 4×, … after sending, while the deadline leaves time.
        const sentAtMs = Date.now();
        const askAgainAt = (waitedMs: number) => {
          if (waitedMs >= meta.deadlineMs - sentAtMs) return;
          hedge = setTimeout(
            () => {
              if (this.pending.get(meta.commandId) !== entry || !this.bus.isConnected()) return;
              recordHedge(request.owner, meta.method);
              this.log.info({ method: meta.method, commandId: meta.commandId, waitedMs }, "request unanswered; asking again");
              // A late ask's own failure (no responders, its timeout) settles nothing the first ask can still answer.
              void this.requestUnkeyed(request).then(
                (outcome) => entry.settle(outcome),
                () => {},
              );
              askAgainAt(waitedMs * 2);
            },
            waitedMs - (Date.now() - sentAtMs),
          );
        };
        askAgainAt(this.options.hedgeAfterMs);
      }
    });
  }

  private publishKeyed(request: LaneRequest, key: ScopeKey): Promise<undefined> {
    const replyTo = this.subjects.reply(this.replyId, request.meta.commandId);
    // A shared read is never acked before it is answered (keyed-lane.ts), so an instance dying
    // mid-read gets it redelivered like any command: nothing here re-publishes it.
    const scope: KeyedScopeKind = request.scope === "sharedRead" ? "sharedRead" : "exclusive";
    return this.keyed.publish(request.owner, key, request.meta, request.body, replyTo, scope).then(() => undefined);
  }

  private async requestUnkeyed(request: LaneRequest): Promise<BusOutcome> {
    const headers = requestHeaders(request.meta);
    injectTraceContext(headers);
    const timeout = Math.max(1, request.meta.deadlineMs - Date.now());
    const reply: Msg = await this.bus.nc.request(this.subjects.rpc(request.meta.method), request.body, { timeout, headers });
    return decodeOutcome(reply);
  }

  private transportFailure(error: unknown, request: LaneRequest): BusOutcome {
    const method = request.meta.method;
    if (error instanceof natsErrors.NoRespondersError || (error instanceof Error && error.name === "JetStreamNotEnabled")) {
      return failure({ reason: "serviceUnavailable", service: request.owner });
    }
    if (error instanceof natsErrors.TimeoutError) {
      return failure({ reason: "deadlineExceeded", method, timeoutMs: request.timeoutMs });
    }
    if (!this.bus.isConnected()) return failure({ reason: "busUnavailable", method, mayBeApplied: true });
    this.log.error({ err: String(error), method }, "bus request failed");
    return failure({ reason: "serviceUnavailable", service: request.owner });
  }

  /** The bus dropped: nothing in flight can be answered any more, so answer it now. */
  private failInFlight(): void {
    if (this.pending.size === 0) return;
    this.log.warn({ inFlight: this.pending.size }, "bus connection lost; answering in-flight requests");
    for (const entry of [...this.pending.values()]) {
      entry.settle(failure({ reason: "busUnavailable", method: entry.method, mayBeApplied: true }));
    }
  }

  /** Answers everything still waiting (at shutdown, after connections have been told). */
  stop(): void {
    this.stopWatching();
    this.stopWatchingUp();
    for (const waiter of this.waitingForBus.splice(0)) waiter.expire();
    this.replies.unsubscribe();
    for (const entry of [...this.pending.values()]) entry.settle(failure({ reason: "cancelled", method: entry.method }));
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}
