// The unkeyed lane's serving half: core NATS request-reply to the owning service's queue group,
// through the NATS services framework (so `nats micro ls/stats` shows every endpoint). Any instance
// may serve any request, concurrently.
//
// Two things the framework does not do for an async handler, done here:
//   - Stats: it times only the synchronous part of a handler, so every endpoint would show ~0 ms and
//     no errors. Requests, errors and latency are counted where the handler finishes, and written
//     into the endpoint's stats through the framework's stats hook.
//   - Liveness: it stops a service for good when its connection closes or a subscription ends. The
//     lane watches for that, reports not-serving (readiness turns false) and starts it again.
import type { NatsConnection } from "@nats-io/nats-core";
import { type Endpoint, type Service, type ServiceMsg, Svcm } from "@nats-io/services";
import { type BusSubjects, type ServiceName, toWireError } from "@switchyard/protocol";
import { type BusOutcome, type BusRequest, decodeRequest, fitOutcome } from "./bus-codec.js";
import type { Logger } from "./logger.js";
import { maxRequestBodyBytes } from "./nats.js";
import { context, extractTraceContext, SpanKind, trace, tracer } from "./tracing.js";

export type UnkeyedHandler = (request: BusRequest) => Promise<BusOutcome>;

/** Per-endpoint counts as `nats micro stats` reports them (times in nanoseconds). */
class EndpointCounts {
  requests = 0;
  errors = 0;
  processingNanos = 0;
  lastError = "";

  record(startedAt: bigint, outcome: BusOutcome): void {
    this.requests++;
    this.processingNanos += Number(process.hrtime.bigint() - startedAt);
    if (!outcome.ok) {
      this.errors++;
      this.lastError = `${outcome.error.code} ${outcome.error.message}`.slice(0, 200);
    }
  }
}

interface EndpointStats {
  num_requests: number;
  num_errors: number;
  processing_time: number;
  average_processing_time: number;
  last_error?: string;
}

export interface UnkeyedLane {
  /** False while the service is stopped (its connection or a subscription ended) and not yet restarted. */
  isServing(): boolean;
  stop(): Promise<void>;
}

const RESTART_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 5_000];

export async function serveUnkeyed(options: {
  nc: NatsConnection;
  subjects: BusSubjects;
  service: ServiceName;
  version: string;
  methods: string[];
  handle: UnkeyedHandler;
  log: Logger;
}): Promise<UnkeyedLane> {
  const { subjects, service, log } = options;
  const counts = new Map(options.methods.map((method) => [subjects.rpcEndpointName(method), new EndpointCounts()]));
  let current: Service | undefined;
  let isStopping = false;
  let restarts = 0;

  // The framework passes its own endpoint record, which carries the stats it is about to report.
  const writeStats = async (endpoint: Endpoint): Promise<unknown> => {
    const record = endpoint as unknown as { name: string; stats?: EndpointStats };
    const endpointCounts = counts.get(record.name);
    const stats = record.stats;
    if (!endpointCounts || !stats) return undefined;
    stats.num_requests = endpointCounts.requests;
    stats.num_errors = endpointCounts.errors;
    stats.processing_time = endpointCounts.processingNanos;
    stats.average_processing_time = endpointCounts.requests
      ? Math.round(endpointCounts.processingNanos / endpointCounts.requests)
      : 0;
    if (endpointCounts.lastError) stats.last_error = endpointCounts.lastError;
    return { restarts };
  };

  const start = async (): Promise<void> => {
    const svc = await new Svcm(options.nc).add({
      name: subjects.serviceName(service),
      version: options.version,
      description: `Switchyard ${service} service`,
      queue: subjects.rpcQueueGroup(service),
      statsHandler: writeStats,
    });
    for (const method of options.methods) {
      const name = subjects.rpcEndpointName(method);
      const endpointCounts = counts.get(name) as EndpointCounts;
      svc.addEndpoint(name, {
        subject: subjects.rpc(method),
        metadata: { method },
        handler: (error, msg) => {
          if (error) return; // the framework stops the service; the watch below restarts it
          const startedAt = process.hrtime.bigint();
          void respond(msg, options).then((outcome) => endpointCounts.record(startedAt, outcome));
        },
      });
    }
    current = svc;
    void svc.stopped.then((reason) => {
      if (isStopping || current !== svc) return;
      current = undefined;
      log.error({ err: reason instanceof Error ? reason.message : String(reason) }, "unkeyed lane stopped; restarting it");
      void restart();
    });
  };

  const restart = async (): Promise<void> => {
    for (let attempt = 0; !isStopping; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)]));
      if (isStopping) return;
      try {
        await start();
        restarts++;
        log.info({ attempt: attempt + 1 }, "unkeyed lane serving again");
        return;
      } catch (error) {
        log.warn({ err: String(error), attempt: attempt + 1 }, "unkeyed lane restart failed; retrying");
      }
    }
  };

  await start();
  log.info({ methods: options.methods.length, queue: subjects.rpcQueueGroup(service) }, "unkeyed lane serving");
  return {
    isServing: () => current !== undefined && !current.isStopped,
    async stop() {
      isStopping = true;
      await current?.stop().catch(() => {});
    },
  };
}

async function respond(
  msg: ServiceMsg,
  options: { nc: NatsConnection; handle: UnkeyedHandler; log: Logger },
): Promise<BusOutcome> {
  let outcome: BusOutcome;
  const parentContext = extractTraceContext(msg.headers);
  const span = tracer().startSpan("rpc", { kind: SpanKind.SERVER }, parentContext);
  try {
    const request = decodeRequest(msg);
    span.updateName(`rpc ${request.method}`);
    outcome = await context.with(trace.setSpan(parentContext, span), () => options.handle(request));
  } catch (error) {
    options.log.error({ err: String(error) }, "unkeyed request could not be decoded");
    outcome = { ok: false, error: toWireError({ reason: "internal", message: "the request could not be processed" }) };
  } finally {
    span.end();
  }
  const fitted = fitOutcome(outcome, maxRequestBodyBytes(options.nc));
  if (fitted.outcome !== outcome)
    options.log.error({ method: msg.subject }, "result too large for the bus; answered with an error");
  if (fitted.outcome.ok) msg.respond(fitted.body);
  else msg.respondError(fitted.outcome.error.code, fitted.outcome.error.message, fitted.body);
  return fitted.outcome;
}
