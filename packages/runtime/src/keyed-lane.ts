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
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  BusHeader,
  type BusSubjects,
  KEYED_PARTITIONS,
  partitionOf,
  type ScopeKey,
  type ServiceName,
  toWireError,
} from "@switchyard/protocol";
import { type BusOutcome, type BusRequest, decodeRequest, fitOutcome, outcomeHeaders, requestHeaders } from "./bus-codec.js";
import type { LogLimiter } from "./log-limiter.js";
import type { Logger } from "./logger.js";
import { maxRequestBodyBytes } from "./nats.js";
import { context, extractTraceContext, injectTraceContext, SpanKind, SpanStatusCode, trace, tracer } from "./tracing.js";

export interface KeyedLaneSettings {
  partitions: number;
  /** How long the server waits for an ack before redelivering to another instance. */
  ackWaitMs: number;
  /** Deliveries before a message is terminated and answered with an error (a poisoned command). */
  maxDeliver: number;
  /** JetStream de-duplication window for publish retries. */
  duplicateWindowMs: number;
}

export const defaultKeyedLaneSettings: KeyedLaneSettings = {
  partitions: KEYED_PARTITIONS,
  ackWaitMs: 5_000,
  maxDeliver: 5,
  duplicateWindowMs: 120_000,
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
  };
  try {
    await jsm.streams.info(stream);
    await jsm.streams.update(stream, { duplicate_window: streamConfig.duplicate_window, max_age: streamConfig.max_age });
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

/** Gateway side: puts a command on its key's partition. Resolves once JetStream has stored it. */
export class KeyedLanePublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly subjects: BusSubjects,
    private readonly partitions = KEYED_PARTITIONS,
  ) {
    this.js = jetstream(nc);
  }

  async publish(
    service: ServiceName,
    key: ScopeKey,
    request: Omit<BusRequest, "params" | "headers">,
    body: Uint8Array,
    replyTo: string,
  ): Promise<void> {
    const headers = requestHeaders(request, replyTo);
    injectTraceContext(headers);
    const subject = this.subjects.keyedPartition(service, partitionOf(key, this.partitions));
    const deadlineIn = Math.max(1, request.deadlineMs - Date.now());
    await this.js.publish(subject, body, { headers, msgID: request.commandId, timeout: Math.min(deadlineIn, 5_000) });
  }
}

/** How long one pull request lives; also the longest back-off while re-attaching after a reconnect. */
const PULL_EXPIRES_MS = 5_000;

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
    await purgeAcknowledged(jsm, subjects, service, settings.partitions, this.options.log);
    // A handler running longer than ack_wait would be redelivered while it still runs (breaking
    // per-key exclusivity): every ack_wait/3, mark each running message as in progress.
    this.heartbeat = setInterval(
      () => {
        for (const msg of this.inFlight) msg.working();
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
    const { log, clientLog, settings, nc } = this.options;
    let request: BusRequest;
    try {
      request = decodeRequest(msg);
    } catch (error) {
      log.error({ err: String(error), partition, seq: msg.seq }, "dropping malformed keyed command");
      msg.term();
      return;
    }
    const replyTo = msg.headers?.get(BusHeader.replyTo) ?? "";
    const reply = (outcome: BusOutcome) => {
      if (!replyTo) return;
      const fitted = fitOutcome(outcome, maxRequestBodyBytes(nc));
      const headers = outcomeHeaders(fitted.outcome);
      nc.publish(replyTo, fitted.body, headers ? { headers } : undefined);
    };
    const fields = { commandId: request.commandId, method: request.method, connection: request.connection };
    if (Date.now() > request.deadlineMs) {
      // The gateway has already answered the client with a timeout; running it now would surprise them.
      clientLog.warn(request.connection, fields, "keyed command expired before it ran; dropped");
      msg.term();
      return;
    }
    if (this.options.isCancelled(request.connection)) {
      clientLog.warn(request.connection, fields, "keyed command's connection closed; dropped");
      msg.term();
      return;
    }
    this.inFlight.add(msg);
    const parentContext = extractTraceContext(msg.headers);
    const span = tracer().startSpan(
      `keyed ${request.method}`,
      { kind: SpanKind.CONSUMER, attributes: { "switchyard.partition": partition, "switchyard.command_id": request.commandId } },
      parentContext,
    );
    try {
      const outcome = await context.with(trace.setSpan(parentContext, span), () => this.options.handle(request));
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
