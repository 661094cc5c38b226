// OpenTelemetry: one trace per client request across gateway → NATS → service → Postgres.
// The SDK starts only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise the API is a no-op and
// costs nothing on the hot path. Trace context travels in NATS headers as W3C traceparent.

import type { MsgHdrs } from "@nats-io/nats-core";
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";

export type { Context, Span };
export { context, SpanKind, SpanStatusCode, trace };

const setter: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };
const getter: TextMapGetter<MsgHdrs> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: (carrier) => carrier.keys(),
};

export function injectTraceContext(headers: MsgHdrs, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, setter);
}

export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return headers ? propagation.extract(context.active(), headers, getter) : context.active();
}

export const tracer = () => trace.getTracer("switchyard");

export interface TracingHandle {
  shutdown(): Promise<void>;
}

export async function startTracing(options: { service: string; endpoint?: string }): Promise<TracingHandle> {
  if (!options.endpoint) return { shutdown: async () => {} };
  const [{ NodeSDK }, { OTLPTraceExporter }, { resourceFromAttributes }, { W3CTraceContextPropagator }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/core"),
  ]);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ "service.name": `switchyard-${options.service}` }),
    traceExporter: new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, "")}/v1/traces` }),
    textMapPropagator: new W3CTraceContextPropagator(),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
