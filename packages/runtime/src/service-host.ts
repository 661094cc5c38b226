// Hosts one service's request handlers on the bus: unkeyed methods on the request-reply lane,
// keyed methods on the JetStream keyed lane, both validated against the protocol registry. A service
// supplies one handler per method it owns (the registry says which) and nothing else about NATS.
import type { NatsConnection } from "@nats-io/nats-core";
import {
  type BusSubjects,
  type ConnectionClosedEvent,
  findJsonDefect,
  type HandlerMap,
  jsonDefectDetail,
  methodsOwnedBy,
  type ServiceName,
  serdeDetail,
  toWireError,
} from "@switchyard/protocol";
import { type BusOutcome, type BusRequest, decodeJson } from "./bus-codec.js";
import { EventPublisher } from "./events.js";
import { classifyFailure, permanentFailureDetail } from "./failures.js";
import { type KeyedLaneSettings, KeyedLaneWorker } from "./keyed-lane.js";
import { watchKeyedLane } from "./lane-metrics.js";
import { LogLimiter } from "./log-limiter.js";
import type { Logger } from "./logger.js";
import { outcomeLabel, recordRequest } from "./metrics.js";
import { serveUnkeyed, type UnkeyedLane } from "./unkeyed-lane.js";

export interface HandlerContext {
  request: BusRequest;
  /** Aborted when the client connection that sent the request goes away. */
  signal: AbortSignal;
  events: EventPublisher;
  log: Logger;
}

/** A service's handlers, one per method it owns, typed from the registry (see `HandlerMap`). */
export type HandlersFor<S extends ServiceName> = HandlerMap<S, HandlerContext>;

type AnyHandler = (params: unknown, context: HandlerContext) => Promise<unknown>;

/**
 * A request's cancellation: its AbortController is made only when the handler asks for the signal
 * (most never do, and a controller per request is a measurable share of a hot write's CPU).
 */
export class Cancellation {
  private controller: AbortController | undefined;
  private isAborted = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    this.isAborted = true;
    this.controller?.abort();
  }
}

/** How long a closed connection is remembered, so its queued keyed commands are dropped. */
const CLOSED_CONNECTION_MEMORY_MS = 10 * 60_000;

export interface BusServiceHandle {
  /** Both lanes are taking requests (for readiness): the unkeyed service is up and every keyed partition consumed. */
  isServing(): boolean;
  stop(): Promise<void>;
}

export async function startBusService<S extends ServiceName>(options: {
  nc: NatsConnection;
  subjects: BusSubjects;
  service: S;
  version: string;
  handlers: HandlersFor<S>;
  keyedSettings: KeyedLaneSettings;
  log: Logger;
  /** Clean-up when a client connection closes; one instance of the service runs it per event. */
  onConnectionClosed?: (event: ConnectionClosedEvent) => Promise<void>;
}): Promise<BusServiceHandle> {
  const { nc, subjects, service, log } = options;
  const specs = methodsOwnedBy(service);
  const specsByMethod = new Map(specs.map((spec) => [spec.method, spec]));
  const handlers = options.handlers as unknown as Record<string, AnyHandler | undefined>;
  for (const spec of specs) {
    if (!handlers[spec.method]) throw new Error(`${service} service has no handler for ${spec.method}`);
  }
  const events = new EventPublisher(nc, subjects);
  const clientLog = new LogLimiter(log);
  const closedConnections = new Map<string, number>();
  const inFlight = new Map<string, Set<Cancellation>>();

  // Every answer is counted and timed (switchyard_requests_total, switchyard_request_duration_seconds);
  // a keyed command's transient failure, retried by the lane, counts as `unavailable` each time.
  const run = async (request: BusRequest, isKeyed: boolean): Promise<BusOutcome> => {
    const startedAt = performance.now();
    let outcome = "unavailable";
    try {
      const answered = await answer(request, isKeyed);
      outcome = answered.ok ? "ok" : outcomeLabel(answered.error);
      return answered;
    } finally {
      recordRequest(service, request.method, outcome, (performance.now() - startedAt) / 1_000);
    }
  };

  const answer = async (request: BusRequest, isKeyed: boolean): Promise<BusOutcome> => {
    const spec = specsByMethod.get(request.method);
    if (!spec) {
      return { ok: false, error: toWireError({ reason: "methodNotSupported", method: request.method }) };
    }
    // The gateway refuses these already; other publishers on the bus get the same answer here.
    const defect = findJsonDefect(request.params);
    if (defect) return { ok: false, error: toWireError(jsonDefectDetail(defect)) };
    const parsed = spec.params.safeParse(request.params ?? {});
    if (!parsed.success) {
      return { ok: false, error: toWireError({ reason: "invalidRequest", detail: serdeDetail(parsed.error, request.params) }) };
    }
    const controller = new Cancellation();
    const controllers = inFlight.get(request.connection) ?? new Set<Cancellation>();
    inFlight.set(request.connection, controllers);
    controllers.add(controller);
    // The per-request logger is made only when something is logged.
    let requestLog: Logger | undefined;
    const requestLogger = () =>
      (requestLog ??= log.child({ method: request.method, commandId: request.commandId, tenant: request.caller.tenant }));
    try {
      const handler = handlers[spec.method] as AnyHandler;
      const context: HandlerContext = {
        request,
        get signal() {
          return controller.signal;
        },
        events,
        get log() {
          return requestLogger();
        },
      };
      const result = await handler(parsed.data, context);
      return { ok: true, result };
    } catch (error) {
      if (classifyFailure(error) === "permanent") {
        const detail = permanentFailureDetail(error);
        if (detail.reason === "internal") {
          requestLogger().error({ err: error instanceof Error ? error.stack : String(error) }, "handler failed; not retried");
        }
        return { ok: false, error: toWireError(detail) };
      }
      if (isKeyed) throw error; // the keyed lane retries transient failures in order
      clientLog.warn(request.connection, { method: request.method, err: String(error) }, "handler failed transiently");
      return { ok: false, error: toWireError({ reason: "serviceUnavailable", service }) };
    } finally {
      controllers.delete(controller);
      if (controllers.size === 0) inFlight.delete(request.connection);
      // What the handler emitted goes out before its answer (events.ts batches within a microtask run).
      events.flush();
    }
  };

  const isCancelled = (connection: string) => closedConnections.has(connection);
  const closedSubscription = nc.subscribe(subjects.connectionClosed, {
    callback: (error, msg) => {
      if (error) return;
      const event = decodeJson(msg.data) as ConnectionClosedEvent;
      closedConnections.set(event.connection, Date.now());
      for (const controller of inFlight.get(event.connection) ?? []) controller.abort();
    },
  });
  const onConnectionClosed = options.onConnectionClosed;
  const cleanupSubscription = onConnectionClosed
    ? nc.subscribe(subjects.connectionClosed, {
        queue: subjects.rpcQueueGroup(service),
        callback: (error, msg) => {
          if (error) return;
          const event = decodeJson(msg.data) as ConnectionClosedEvent;
          if (!event.tenant) return; // from a gateway older than the tenant field
          onConnectionClosed(event).catch((cleanupError: unknown) =>
            log.warn({ err: String(cleanupError), connection: event.connection }, "connection clean-up failed"),
          );
        },
      })
    : undefined;
  const pruneTimer = setInterval(() => {
    const cutoff = Date.now() - CLOSED_CONNECTION_MEMORY_MS;
    for (const [connection, closedAt] of closedConnections) if (closedAt < cutoff) closedConnections.delete(connection);
  }, 60_000);
  pruneTimer.unref();

  const unkeyedMethods = specs.filter((spec) => spec.scope.kind === "unkeyed").map((spec) => spec.method);
  const keyedMethods = specs.filter((spec) => spec.scope.kind !== "unkeyed").map((spec) => spec.method);

  let unkeyedLane: UnkeyedLane | undefined;
  if (unkeyedMethods.length > 0) {
    unkeyedLane = await serveUnkeyed({
      nc,
      subjects,
      service,
      version: options.version,
      methods: unkeyedMethods,
      handle: (request) => run(request, false),
      log,
    });
  }
  let worker: KeyedLaneWorker | undefined;
  if (keyedMethods.length > 0) {
    worker = new KeyedLaneWorker({
      nc,
      subjects,
      service,
      settings: options.keyedSettings,
      handle: (request) => run(request, true),
      isCancelled,
      log,
      clientLog,
    });
    await worker.start();
  }
  const stopLaneMetrics =
    keyedMethods.length > 0 ? watchKeyedLane({ nc, subjects, service, partitions: options.keyedSettings.partitions }) : undefined;

  return {
    isServing: () => (unkeyedLane?.isServing() ?? true) && (worker?.isServing() ?? true),
    async stop() {
      // Stop taking new work first, then let what is running finish.
      await unkeyedLane?.stop();
      await worker?.stop();
      closedSubscription.unsubscribe();
      cleanupSubscription?.unsubscribe();
      clearInterval(pruneTimer);
      stopLaneMetrics?.();
    },
  };
}
