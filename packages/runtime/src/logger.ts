// Structured JSON logs (pino), one logger per process with service and instance on every line, and
// the trace and span ids of the active OpenTelemetry span (when tracing is on and a span is active).
import { type Context, isSpanContextValid, context as otelContext, trace } from "@opentelemetry/api";
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/** `trace_id` and `span_id` of the span active in `ctx`, or nothing when there is no valid one. */
export function traceFields(ctx: Context = otelContext.active()): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

export function createLogger(
  options: { service: string; instanceId: string; level: string },
  destination?: DestinationStream,
): Logger {
  const settings = {
    level: options.level,
    base: { service: options.service, instance: options.instanceId },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => traceFields(),
  };
  return destination ? pino(settings, destination) : pino(settings);
}
