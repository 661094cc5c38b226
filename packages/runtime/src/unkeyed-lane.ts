// The unkeyed lane: core NATS request-reply to the owning service's queue group, through the NATS
// services framework (so `nats micro ls/stats` shows every endpoint). Any instance may serve any
// request, concurrently.
import type { Msg, MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { type Service, type ServiceMsg, Svcm } from "@nats-io/services";
import { type BusSubjects, type ServiceName, toWireError } from "@switchyard/protocol";
import { type BusOutcome, type BusRequest, decodeOutcome, decodeRequest, outcomeBody, requestHeaders } from "./bus-codec.js";
import type { Logger } from "./logger.js";
import { context, extractTraceContext, injectTraceContext, SpanKind, trace, tracer } from "./tracing.js";

export type UnkeyedHandler = (request: BusRequest) => Promise<BusOutcome>;

export async function serveUnkeyed(options: {
  nc: NatsConnection;
  subjects: BusSubjects;
  service: ServiceName;
  version: string;
  methods: string[];
  handle: UnkeyedHandler;
  log: Logger;
}): Promise<Service> {
  const { subjects, service } = options;
  const svc = await new Svcm(options.nc).add({
    name: subjects.serviceName(service),
    version: options.version,
    description: `Switchyard ${service} service`,
    queue: subjects.rpcQueueGroup(service),
  });
  for (const method of options.methods) {
    svc.addEndpoint(subjects.rpcEndpointName(method), {
      subject: subjects.rpc(method),
      metadata: { method },
      handler: (error, msg) => {
        if (error) {
          options.log.error({ err: error.message, method }, "endpoint subscription failed");
          return;
        }
        void respond(msg, options);
      },
    });
  }
  options.log.info({ methods: options.methods.length, queue: subjects.rpcQueueGroup(service) }, "unkeyed lane serving");
  return svc;
}

async function respond(msg: ServiceMsg, options: { handle: UnkeyedHandler; log: Logger }): Promise<void> {
  let outcome: BusOutcome;
  const parentContext = extractTraceContext(msg.headers);
  const span = tracer().startSpan("rpc", { kind: SpanKind.SERVER }, parentContext);
  try {
    const request = decodeRequest(msg);
    span.updateName(`rpc ${request.method}`);
    outcome = await context.with(trace.setSpan(parentContext, span), () => options.handle(request));
  } catch (error) {
    options.log.error({ err: String(error) }, "unkeyed request failed");
    outcome = { ok: false, error: toWireError({ reason: "internal", message: "the request could not be processed" }) };
  } finally {
    span.end();
  }
  if (outcome.ok) msg.respond(outcomeBody(outcome));
  else msg.respondError(outcome.error.code, outcome.error.message, outcomeBody(outcome));
}

export class UnkeyedLaneClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: BusSubjects,
  ) {}

  /** Throws `NoRespondersError`/`TimeoutError` from nats-core; callers map them to wire errors. */
  async request(request: Omit<BusRequest, "params" | "headers">, body: Uint8Array): Promise<BusOutcome> {
    const headers: MsgHdrs = requestHeaders(request);
    injectTraceContext(headers);
    const timeout = Math.max(1, request.deadlineMs - Date.now());
    const reply: Msg = await this.nc.request(this.subjects.rpc(request.method), body, { timeout, headers });
    return decodeOutcome(reply);
  }
}
