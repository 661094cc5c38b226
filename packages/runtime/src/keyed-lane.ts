// The keyed lane: per-key FIFO across every gateway and every service instance.
//
// One JetStream work-queue stream per service, subjects `<prefix>.keyed.<service>.<partition>`.
// Publishers compute the partition from the tenant-qualified scope key (FNV-1a mod P; nats-server
// 2.9 has no subject transforms). Each partition has one durable pull consumer with
// max_ack_pending = 1, and every instance consumes every partition: the server itself allows one
// message in flight per partition, so commands on one key run one at a time in publish order, and a
// message held by an instance that dies is redelivered after ack_wait. Redelivery means a command
// can run twice: handlers are idempotent by command id (see the thread store's command ledger).
// `term()` is always called without a reason: nats-server 2.9 does not parse `+TERM <reason>` and
// would redeliver the message; reasons go to the log instead.
//
// Failures (see failures.ts): the handler answers everything it can — results, SwitchyardErrors and
// permanent failures — and the worker replies and acks at once. Only what the handler throws is
// transient (a dependency down): nak'd with back-off and retried in order, the partition waiting,
// and answered "unavailable; retry later" after max_deliver attempts.
//
// Shared reads (Codex's per-key reader/writer rule: FIFO, an exclusive runs alone, consecutive
// shared reads run together, a read never overtakes a queued exclusive). Each message carries its
// scope kind (`Sy-Scope`). When the message the server delivers — the partition's head, the one
// message in flight — is a shared read, the worker keeps it un-acked and, while it runs, reads the
// partition's next messages straight from the stream (STREAM.MSG.GET next_by_subj) and starts every
// shared read it finds, up to the first message that is not one. Each such read is answered, then
// deleted from the stream (its "ack"); the head is acked only when the whole group has finished, and
// only then does the server deliver what follows — the exclusive the group stopped at.
//
// Why not ack each read at once and track running reads in memory: the partition's next message
// may go to another instance, which cannot see this instance's running reads, so a write could run
// beside them. Holding the head keeps the server's one-in-flight rule as the cross-instance lock,
// and nothing is acked or deleted before it is answered, so a group whose instance dies is
// redelivered after ack_wait like any command (its unanswered reads run again; reads are
// idempotent and the gateway ignores a second reply) — no client-side re-publishing is needed.
// Groups are per partition, not per key: a group stops at an exclusive of any key in the partition
// (a partition already serializes unrelated keys that hash together).
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StoredMsg,
} from "@nats-io/jetstream";
import { type MsgHdrs, type NatsConnection, errors as natsErrors } from "@nats-io/nats-core";
import {
  BusHeader,
  type BusSubjects,
  KEYED_PARTITIONS,
  partitionOf,
  type ScopeKey,
  type ServiceName,
  toWireError,
} from "@switchyard/protocol";
import {
  type BusOutcome,
  type BusRequest,
  decodeRequest,
  fitOutcome,
  type KeyedScopeKind,
  keyedScopeOf,
  outcomeHeaders,
  requestHeaders,
} from "./bus-codec.js";
import type { LogLimiter } from "./log-limiter.js";
import type { Logger } from "./logger.js";
import { maxRequestBodyBytes } from "./nats.js";
import { OrderedPublisher } from "./ordered-publish.js";
import { context, extractTraceContext, injectTraceContext, SpanKind, SpanStatusCode, trace, tracer } from "./tracing.js";

export interface KeyedLaneSettings {
  partitions: number;
  /** How long the server waits for an ack before redelivering to another instance. */
  ackWaitMs: number;
  /** Deliveries before a message is terminated and answered with an error (a poisoned command). */
  maxDeliver: number;
  /** JetStream de-duplication window for publish retries. */
  duplicateWindowMs: number;
  /** Copies of the stream in a JetStream cluster (3 survives the loss of one node; 1 on a single server). */
  replicas: number;
}

export const defaultKeyedLaneSettings: KeyedLaneSettings = {
  partitions: KEYED_PARTITIONS,
  ackWaitMs: 5_000,
  maxDeliver: 5,
  duplicateWindowMs: 120_000,
  replicas: 1,
};

const nanos = (ms: number) => ms * 1_000_000;

/** Creates (or reconciles) the stream and its partition consumers. Safe to run from every instance. */
export async function ensureKeyedLane(
  jsm: JetStreamManager,
  subjects: BusSubjects,
  service: ServiceName,
  settings: KeyedLaneSettings,
): Promise<void> {
  const stream = subjects.keyedStream(service);
  const streamConfig = {
    name: stream,
    subjects: [subjects.keyedStreamSubjects(service)],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_age: nanos(24 * 3_600_000),
    num_replicas: settings.replicas,
    // Shared-read groups look ahead with direct gets: the raw message, no JSON/base64 envelope, and
    // "none yet" is a status rather than an error.
    allow_direct: true,
  };
  try {
    await jsm.streams.info(stream);
    await jsm.streams.update(stream, {
      duplicate_window: streamConfig.duplicate_window,
      max_age: streamConfig.max_age,
      num_replicas: streamConfig.num_replicas,
      allow_direct: true,
    });
  } catch (error) {
    if (!String(error).includes("not found")) throw error;
    await jsm.streams.add(streamConfig).catch((addError) => {
      if (!String(addError).includes("already in use")) throw addError;
    });
  }
  for (let partition = 0; partition < settings.partitions; partition++) {
    const consumer = {
      durable_name: subjects.keyedConsumer(service, partition),
      filter_subject: subjects.keyedPartition(service, partition),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 1,
      ack_wait: nanos(settings.ackWaitMs),
      max_deliver: settings.maxDeliver,
    };
    await jsm.consumers.add(stream, consumer).catch(async (error) => {
      // An existing consumer with other settings: bring the mutable ones in line.
      if (!String(error).includes("already")) throw error;
      await jsm.consumers.update(stream, consumer.durable_name, {
        ack_wait: consumer.ack_wait,
        max_deliver: consumer.max_deliver,
        max_ack_pending: 1,
      });
    });
  }
}

/**
 * Whether a keyed publish is retried: the stream had no leader (a JetStream cluster electing one
 * after losing a node answers "no responders", or "temporarily unavailable"), so nothing was stored.
 * A publish whose ack did not come in time is not: it may be stored, and waiting on it again would
 * hold its partition's later publishes behind a slow server (it is answered as before).
 */
export function isRetryablePublishFailure(error: unknown): boolean {
  if (error instanceof natsErrors.NoRespondersError) return true;
  if (error instanceof Error && error.name === "JetStreamNotEnabled") return true; // no responders, as jetstream wraps it
  return error instanceof JetStreamApiError && error.status === 503;
}

/**
 * Gateway side: puts a command on its key's partition. Resolves once JetStream has stored it; a
 * publish that meets a leader election is retried until its deadline, in order (ordered-publish.ts).
 */
export class KeyedLanePublisher {
  private readonly js: JetStreamClient;
  private readonly ordered: OrderedPublisher;

  constructor(
    nc: NatsConnection,
    private readonly subjects: BusSubjects,
    private readonly partitions = KEYED_PARTITIONS,
    onRetrying?: (subject: string, failed: number) => void,
  ) {
    this.js = jetstream(nc);
    this.ordered = new OrderedPublisher({ isRetryable: isRetryablePublishFailure, onRetrying });
  }

  publish(
    service: ServiceName,
    key: ScopeKey,
    request: Omit<BusRequest, "params" | "headers">,
    body: Uint8Array,
    replyTo: string,
    scope: KeyedScopeKind = "exclusive",
  ): Promise<void> {
    const headers = requestHeaders(request, replyTo);
    // Only the kind travels, not the key: groups of shared reads are formed per partition (above).
    headers.set(BusHeader.scope, scope);
    injectTraceContext(headers);
    const subject = this.subjects.keyedPartition(service, partitionOf(key, this.partitions));
    return this.ordered.publish(subject, request.deadlineMs, async () => {
      const deadlineIn = Math.max(1, request.deadlineMs - Date.now());
      await this.js.publish(subject, body, { headers, msgID: request.commandId, timeout: Math.min(deadlineIn, 5_000) });
    });
  }
}

/** How long one pull request lives; also the longest back-off while re-attaching after a reconnect. */
const PULL_EXPIRES_MS = 5_000;

/** Most shared reads one group starts: the rest form the next group (bounds one instance's share of a partition). */
const SHARED_READ_GROUP_LIMIT = 64;
/** How often a group with reads still running looks for shared reads published behind it. */
const SHARED_READ_POLL_MS = 5;

/**
 * One group of shared reads: the head the server delivered and the reads started behind it, which
 * are contiguous on the partition's subject from the head.
 *
 * The group is removed from the stream in one step when it ends: a purge of the partition's subject
 * below the last member (a prefix of the partition, as in-order acks would remove it), then the
 * head's ack. Never a delete of single members: on nats-server 2.9.10, deleting a partition's newest
 * messages while an older, undelivered one stays and then acking the head makes the consumer skip
 * that older message for good (reproduced: p1 q2 p3 q4 … p19 q20, deliver p1, delete p5…p19, ack
 * p1: p3 is never delivered). A transient failure of a member is retried inside the group; a member
 * still unanswered when the group ends (we are stopping), or a purge that fails, sends the head back
 * for redelivery instead, so the group forms again (answered reads then run again: the gateway
 * ignores a second reply).
 */
/** A message read ahead of the consumer (a direct get): what a group needs of it. */
type LookedAhead = Pick<StoredMsg, "seq" | "header" | "data">;

interface ReadGroup {
  headSeq: number;
  partition: number;
  /** The stream sequence of the group's last member (started or dropped); the head's when none. */
  lastSeq: number;
  /** The head's and the members' work (run, answer); each removes itself when done. */
  running: Set<Promise<void>>;
  /** Reads of the group that were not answered (we are stopping). */
  leftBehind: number;
}

function track(group: ReadGroup, work: Promise<void>): void {
  group.running.add(work);
  void work.then(() => group.running.delete(work));
}

/** Answers a command: a result, or an error to send as is. Throws only for transient failures (retried). */
export type KeyedHandler = (request: BusRequest) => Promise<BusOutcome>;

/** Worker side: consumes every partition of one service's stream, one message at a time per partition. */
export class KeyedLaneWorker {
  private readonly loops: Promise<void>[] = [];
  private readonly closeConsumers = new Set<() => Promise<void>>();
  /** Partitions whose consume loop is running. */
  private readonly consuming = new Set<number>();
  /** Messages whose handlers are running; one timer tells the server they are alive. */
  private readonly inFlight = new Set<JsMsg>();
  private heartbeat: NodeJS.Timeout | undefined;
  private isStopping = false;
  /** For reading and deleting a shared-read group's messages; set by start(). */
  private jsm: JetStreamManager | undefined;

  constructor(
    private readonly options: {
      nc: NatsConnection;
      subjects: BusSubjects;
      service: ServiceName;
      settings: KeyedLaneSettings;
      handle: KeyedHandler;
      isCancelled: (connection: string) => boolean;
      log: Logger;
      /** Rate-limits lines a client can cause (dropped and retried commands), per connection. */
      clientLog: LogLimiter;
    },
  ) {}

  async start(): Promise<void> {
    const { nc, subjects, service, settings } = this.options;
    const jsm = await jetstreamManager(nc);
    await ensureKeyedLane(jsm, subjects, service, settings);
    // A short API timeout: a group's look-ahead must not hold its head for long while the bus is away.
    this.jsm = await jetstreamManager(nc, { timeout: 2_000 });
    await purgeAcknowledged(jsm, subjects, service, settings.partitions, this.options.log);
    // A handler running longer than ack_wait would be redelivered while it still runs (breaking
    // per-key exclusivity): every ack_wait/3, mark each running message as in progress.
    this.heartbeat = setInterval(
      () => {
        for (const msg of this.inFlight) {
          try {
            msg.working();
          } catch {
            // The connection is closed (shutting down): the server redelivers after ack_wait.
          }
        }
      },
      Math.max(250, Math.floor(settings.ackWaitMs / 3)),
    );
    for (let partition = 0; partition < settings.partitions; partition++) {
      this.loops.push(this.consumePartition(partition));
    }
    this.options.log.info({ stream: subjects.keyedStream(service), partitions: settings.partitions }, "keyed lane consuming");
  }

  /** True when every partition is being consumed. */
  isServing(): boolean {
    return !this.isStopping && this.consuming.size === this.options.settings.partitions;
  }

  /** Consumes one partition for as long as the worker runs, starting again if the consumer ends. */
  private async consumePartition(partition: number): Promise<void> {
    const { nc, subjects, service, log } = this.options;
    const js = jetstream(nc);
    for (let attempt = 0; !this.isStopping; attempt++) {
      try {
        const consumer = await js.consumers.get(subjects.keyedStream(service), subjects.keyedConsumer(service, partition));
        // A short pull expiry bounds recovery after a nats-server restart: the client re-checks the
        // consumer on reconnect with back-off up to `expires` (30 s by default).
        const messages = await consumer.consume({ max_messages: 8, expires: PULL_EXPIRES_MS });
        const close = async () => void (await messages.close());
        this.closeConsumers.add(close);
        // stop() ran while this consumer was attaching, so it could not close it: close it now (not
        // awaited: closing settles once the loop below has seen the end).
        if (this.isStopping) void close().catch(() => {});
        this.consuming.add(partition);
        if (attempt > 0) log.info({ partition }, "keyed partition consuming again");
        attempt = 0;
        try {
          for await (const msg of messages) {
            if (this.isStopping) {
              msg.nak(); // hand it back at once rather than waiting out ack_wait
              continue;
            }
            await this.process(msg, partition);
          }
        } finally {
          this.consuming.delete(partition);
          this.closeConsumers.delete(close);
        }
        if (!this.isStopping) log.warn({ partition }, "keyed partition consumer ended; starting it again");
      } catch (error) {
        if (this.isStopping) return;
        log.warn({ partition, err: String(error), attempt: attempt + 1 }, "keyed partition consumer failed; retrying");
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5_000)));
    }
  }

  private async process(msg: JsMsg, partition: number): Promise<void> {
    const { log, clientLog, settings } = this.options;
    let request: BusRequest;
    try {
      request = decodeRequest(msg);
    } catch (error) {
      log.error({ err: String(error), partition, seq: msg.seq }, "dropping malformed keyed command");
      msg.term();
      return;
    }
    const replyTo = msg.headers?.get(BusHeader.replyTo) ?? "";
    const reply = (outcome: BusOutcome) => this.reply(replyTo, outcome);
    const fields = { commandId: request.commandId, method: request.method, connection: request.connection };
    const dropped = this.dropReason(request);
    if (dropped) {
      clientLog.warn(request.connection, fields, dropped);
      msg.term();
      return;
    }
    if (keyedScopeOf(msg.headers) === "sharedRead") {
      await this.processSharedReads(msg, request, partition);
      return;
    }
    this.inFlight.add(msg);
    const { span, parent } = this.startSpan(request, msg.headers, partition);
    try {
      const outcome = await context.with(trace.setSpan(parent, span), () => this.options.handle(request));
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
      // Reply before ack: if we die in between, the redelivered command is answered from the ledger.
      reply(outcome);
      msg.ack();
    } catch (error) {
      // Transient: a dependency is down. Retry later; the partition waits, so order holds.
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      const deliveries = msg.info.deliveryCount;
      if (deliveries >= settings.maxDeliver) {
        log.error(
          { ...fields, err: String(error), deliveries },
          "keyed command still failing after its last attempt; answered unavailable",
        );
        reply({ ok: false, error: toWireError({ reason: "serviceUnavailable", service: this.options.service }) });
        msg.term();
      } else {
        clientLog.warn(
          request.connection,
          { ...fields, err: String(error), deliveries },
          "keyed command failed transiently; will retry",
        );
        msg.nak(Math.min(200 * 2 ** deliveries, 5_000));
      }
    } finally {
      this.inFlight.delete(msg);
      span.end();
    }
  }

  /** Why a command must not run (the log line), or undefined when it may. */
  private dropReason(request: BusRequest): string | undefined {
    // Past its deadline the gateway has already answered the client with a timeout; running it
    // now would surprise them.
    if (Date.now() > request.deadlineMs) return "keyed command expired before it ran; dropped";
    if (this.options.isCancelled(request.connection)) return "keyed command's connection closed; dropped";
    return undefined;
  }

  /** Sends an outcome to the gateway. Never throws: a reply that cannot be sent (the connection is closed) is logged. */
  private reply(replyTo: string, outcome: BusOutcome): void {
    if (!replyTo) return;
    const { nc } = this.options;
    const fitted = fitOutcome(outcome, maxRequestBodyBytes(nc));
    const headers = outcomeHeaders(fitted.outcome);
    try {
      nc.publish(replyTo, fitted.body, headers ? { headers } : undefined);
    } catch (error) {
      this.options.log.warn({ err: String(error), replyTo }, "keyed reply not sent");
    }
  }

  private startSpan(request: BusRequest, headers: MsgHdrs | undefined, partition: number, readGroup?: number) {
    const parent = extractTraceContext(headers);
    const attributes: Record<string, string | number | boolean> = {
      "switchyard.partition": partition,
      "switchyard.command_id": request.commandId,
    };
    // The stream sequence of the group's head: the reads that ran together share it.
    if (readGroup !== undefined) attributes["switchyard.read_group"] = readGroup;
    const span = tracer().startSpan(`keyed ${request.method}`, { kind: SpanKind.CONSUMER, attributes }, parent);
    return { span, parent };
  }

  /**
   * Runs one shared read and answers it. Resolves with the transient failure the handler threw
   * (not answered: the read runs again later), or undefined once it is answered. Never rejects.
   */
  private async runRead(
    request: BusRequest,
    headers: MsgHdrs | undefined,
    partition: number,
    readGroup: number,
  ): Promise<{ failure: unknown } | undefined> {
    const { span, parent } = this.startSpan(request, headers, partition, readGroup);
    try {
      const outcome = await context.with(trace.setSpan(parent, span), () => this.options.handle(request));
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
      // Answered at once: a read's reply does not wait for the rest of its group.
      this.reply(headers?.get(BusHeader.replyTo) ?? "", outcome);
      return undefined;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      return { failure: error };
    } finally {
      span.end();
    }
  }

  /**
   * The partition's head is a shared read: run it, and with it every shared read queued right
   * behind it (see the header). The head stays un-acked until the whole group has finished, so the
   * server delivers nothing else of the partition — in particular not the exclusive the group
   * stopped at — to any instance meanwhile.
   */
  private async processSharedReads(head: JsMsg, request: BusRequest, partition: number): Promise<void> {
    const { log, clientLog, settings } = this.options;
    this.inFlight.add(head); // kept alive for as long as the group runs
    try {
      let headFailure: { failure: unknown } | undefined;
      const group: ReadGroup = { headSeq: head.seq, partition, lastSeq: head.seq, running: new Set(), leftBehind: 0 };
      track(
        group,
        this.runRead(request, head.headers, partition, head.seq).then((failed) => {
          headFailure = failed;
        }),
      );
      // Nothing was queued behind the head when it was delivered: the first look waits a poll interval
      // (most reads are answered before it), so an uncontended read costs no stream lookup.
      await this.extendReadGroup(group, head.info.pending > 0);
      const deliveries = head.info.deliveryCount;
      if (!headFailure) {
        if (group.leftBehind > 0 && deliveries < settings.maxDeliver) {
          // A read of the group is still stored (its delete failed, or we are stopping): hand the
          // head back rather than ack it, so the group forms again — here or on another instance —
          // and finds it. Acking would leave it behind deleted ones (see ReadGroup).
          log.warn({ partition, seq: head.seq, leftBehind: group.leftBehind }, "shared-read group redelivered to finish");
          head.nak();
          return;
        }
        if (group.lastSeq > head.seq && !(await this.purgeGroup(group))) {
          head.nak(); // the group's reads are still stored: it forms again and removes them
          return;
        }
        head.ack(); // every read of the group has been answered and removed
        return;
      }
      const fields = { commandId: request.commandId, method: request.method, connection: request.connection };
      const error = headFailure.failure;
      if (deliveries >= settings.maxDeliver) {
        log.error(
          { ...fields, err: String(error), deliveries },
          "keyed command still failing after its last attempt; answered unavailable",
        );
        this.reply(head.headers?.get(BusHeader.replyTo) ?? "", {
          ok: false,
          error: toWireError({ reason: "serviceUnavailable", service: this.options.service }),
        });
        head.term();
      } else {
        clientLog.warn(
          request.connection,
          { ...fields, err: String(error), deliveries },
          "keyed command failed transiently; will retry",
        );
        head.nak(Math.min(200 * 2 ** deliveries, 5_000));
      }
    } finally {
      this.inFlight.delete(head);
    }
  }

  /**
   * Starts the shared reads stored behind the group's head, in stream order, stopping for good at
   * the first message that is not one (or at the group limit), and looks again every
   * SHARED_READ_POLL_MS while any read of the group still runs. Resolves when none runs any more.
   */
  private async extendReadGroup(group: ReadGroup, isAnythingQueued: boolean): Promise<void> {
    const { subjects, service, clientLog } = this.options;
    const stream = subjects.keyedStream(service);
    const subject = subjects.keyedPartition(service, group.partition);
    let cursor = group.headSeq + 1;
    let started = 1;
    let isOpen = true;
    let shouldLook = isAnythingQueued;
    while (group.running.size > 0) {
      while (shouldLook && isOpen && !this.isStopping) {
        if (started >= SHARED_READ_GROUP_LIMIT) {
          isOpen = false;
          break;
        }
        const stored = await this.nextStored(stream, subject, cursor);
        if (!stored) break;
        cursor = stored.seq + 1;
        if (keyedScopeOf(stored.header) !== "sharedRead") {
          isOpen = false; // an exclusive: it, and everything behind it, waits for this group to end
          break;
        }
        let request: BusRequest;
        try {
          request = decodeRequest({ headers: stored.header, data: stored.data });
        } catch {
          isOpen = false; // left for the consumer, which drops it
          break;
        }
        group.lastSeq = stored.seq;
        const dropped = this.dropReason(request);
        if (dropped) {
          clientLog.warn(request.connection, { commandId: request.commandId, method: request.method }, dropped);
          continue;
        }
        started++;
        track(group, this.runGroupMember(group, stored, request));
      }
      if (group.running.size === 0) return;
      const allDone = Promise.all([...group.running]);
      if (!isOpen || this.isStopping) {
        await allDone; // closed: nothing joins any more (and no read starts after this snapshot)
        return;
      }
      // Open: look again after a pause, or stop as soon as the group's reads have all finished.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([allDone, new Promise((resolve) => (timer = setTimeout(resolve, SHARED_READ_POLL_MS)))]);
      clearTimeout(timer);
      shouldLook = true;
    }
  }

  /**
   * A read found behind the head: run it and answer it (the group removes it from the stream when it
   * ends; dying before then only means it runs and is answered again, which a read allows). A
   * transient failure is retried here, with the keyed lane's back-off and max_deliver, instead of
   * leaving the read in the stream for later (see ReadGroup).
   */
  private async runGroupMember(group: ReadGroup, stored: LookedAhead, request: BusRequest): Promise<void> {
    const { settings, log, clientLog } = this.options;
    const fields = { commandId: request.commandId, method: request.method, connection: request.connection };
    for (let attempt = 1; ; attempt++) {
      const failed = await this.runRead(request, stored.header, group.partition, group.headSeq);
      if (!failed) break;
      if (attempt >= settings.maxDeliver) {
        log.error(
          { ...fields, err: String(failed.failure), deliveries: attempt },
          "keyed command still failing after its last attempt; answered unavailable",
        );
        this.reply(stored.header?.get(BusHeader.replyTo) ?? "", {
          ok: false,
          error: toWireError({ reason: "serviceUnavailable", service: this.options.service }),
        });
        break;
      }
      clientLog.warn(
        request.connection,
        { ...fields, err: String(failed.failure), deliveries: attempt },
        "keyed command failed transiently; will retry",
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** attempt, 5_000)));
      if (this.isStopping) {
        group.leftBehind++; // the head goes back (nak) and the next instance retries it
        return;
      }
      if (Date.now() > request.deadlineMs) {
        clientLog.warn(request.connection, fields, "keyed command expired before it ran; dropped");
        break;
      }
    }
  }

  /** The first message of the partition at or after `seq`, or null (none yet, or the bus did not answer). */
  private async nextStored(stream: string, subject: string, seq: number): Promise<LookedAhead | null> {
    try {
      const found = await (this.jsm as JetStreamManager).direct.getMessage(stream, { seq, next_by_subj: subject });
      return found;
    } catch (error) {
      this.options.log.debug({ err: String(error), stream, subject }, "shared-read look-ahead failed; trying again");
      return null;
    }
  }

  /** Removes the group's head and members from the stream: the partition's messages up to its last member. */
  private async purgeGroup(group: ReadGroup): Promise<boolean> {
    const { subjects, service } = this.options;
    const stream = subjects.keyedStream(service);
    for (let attempt = 1; ; attempt++) {
      try {
        await (this.jsm as JetStreamManager).streams.purge(stream, {
          filter: subjects.keyedPartition(service, group.partition),
          seq: group.lastSeq + 1, // everything of the partition below it
        });
        return true;
      } catch (error) {
        if (attempt >= 3 || this.isStopping) {
          this.options.log.warn(
            { err: String(error), stream, lastSeq: group.lastSeq },
            "could not remove an answered shared-read group",
          );
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  /** Stops pulling, hands back what is not started, and waits for in-flight handlers to finish. */
  async stop(): Promise<void> {
    this.isStopping = true;
    await Promise.all([...this.closeConsumers].map((close) => close().catch(() => {})));
    await Promise.all(this.loops);
    clearInterval(this.heartbeat);
  }
}

/**
 * Removes messages a partition's consumer has already acknowledged but the stream still holds. A
 * work-queue stream deletes a message when it is acked; after a nats-server kill -9 the consumer's
 * ack floor (on disk) can be ahead of the stream's deletions, leaving applied commands behind that
 * the consumer will never deliver again. With max_ack_pending = 1 and in-order delivery, everything
 * at or below the ack floor has been acked or terminated, so it is safe to purge.
 */
async function purgeAcknowledged(
  jsm: JetStreamManager,
  subjects: BusSubjects,
  service: ServiceName,
  partitions: number,
  log: Logger,
): Promise<void> {
  const stream = subjects.keyedStream(service);
  for (let partition = 0; partition < partitions; partition++) {
    const info = await jsm.consumers.info(stream, subjects.keyedConsumer(service, partition));
    const ackFloor = info.ack_floor.stream_seq;
    if (ackFloor === 0) continue;
    const purged = await jsm.streams.purge(stream, { filter: subjects.keyedPartition(service, partition), seq: ackFloor + 1 });
    if (purged.purged > 0) log.warn({ partition, purged: purged.purged, ackFloor }, "purged already-acknowledged keyed commands");
  }
}
