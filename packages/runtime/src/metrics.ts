// Metrics: one OpenTelemetry MeterProvider per process, read two ways — Prometheus text on
// `GET /metrics` of the process's existing health server (the gateway: its main port), and, when an
// OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT), pushed
// to the collector every SWITCHYARD_METRICS_EXPORT_INTERVAL_MS.
// Call sites record through the functions below; until `startMetrics` runs (unit tests, tools)
// they cost a branch. Labels are kept bounded: methods come from the registry, outcomes are classes.
import type { IncomingMessage, ServerResponse } from "node:http";
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  ObservableCounter,
  ObservableGauge,
  ObservableResult,
} from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import {
  INTERNAL_ERROR_CODE,
  INVALID_PARAMS_CODE,
  INVALID_REQUEST_CODE,
  lookupMethod,
  methodRegistry,
  OVERLOADED_CODE,
  type WireError,
} from "@switchyard/protocol";
import { z } from "zod";
import { envParts, parseEnv } from "./env.js";

/** Metrics settings beside `commonEnv`'s OTEL_EXPORTER_OTLP_ENDPOINT (read by `loadMetricsEnv`). */
export const metricsEnv = {
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: z
    .string()
    .optional()
    .describe("full OTLP/HTTP metrics URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics"),
  SWITCHYARD_METRICS_EXPORT_INTERVAL_MS: envParts.positiveInt.default(60_000).describe("how often metrics are pushed over OTLP"),
};

export function loadMetricsEnv(source: NodeJS.ProcessEnv = process.env) {
  return parseEnv(z.object(metricsEnv), source);
}

/** Latency buckets (seconds) for requests and provider calls: 1 ms … 2 min. */
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Gauges read on collection from whoever registered a callback (see `observeGauge`). */
export type GaugeName =
  | "connections"
  | "turnsRunning"
  | "keyedLaneDepth"
  | "keyedLaneOldestAge"
  | "readCacheEntries"
  | "readCacheLookups"
  | "dbWaiting";
type Observe = (value: number, attributes?: Attributes) => void;
type GaugeCallback = (observe: Observe) => void | Promise<void>;
const gaugeCallbacks = new Map<GaugeName, Set<GaugeCallback>>();

interface Instruments {
  requests: Counter;
  requestDuration: Histogram;
  overflow: Counter;
  readPauses: Counter;
  hedges: Counter;
  providerLatency: Histogram;
  gauges: Array<ObservableGauge | ObservableCounter>;
}

let prometheus: PrometheusExporter | undefined;
let provider: MeterProvider | undefined;
let instruments: Instruments | undefined;

function createInstruments(meter: Meter): Instruments {
  const gauge = (name: GaugeName, metricName: string, description: string, unit: string, isCounter = false) => {
    const instrument = isCounter
      ? meter.createObservableCounter(metricName, { description, unit })
      : meter.createObservableGauge(metricName, { description, unit });
    instrument.addCallback(async (result: ObservableResult) => {
      const observe: Observe = (value, attributes) => result.observe(value, attributes);
      await Promise.all([...(gaugeCallbacks.get(name) ?? [])].map(async (callback) => callback(observe)));
    });
    return instrument;
  };
  return {
    requests: meter.createCounter("switchyard_requests_total", {
      description: "Requests handled, by service, method and outcome (ok or an error class)",
    }),
    requestDuration: meter.createHistogram("switchyard_request_duration_seconds", {
      description: "Time to answer a request, by service, method and outcome",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
    }),
    overflow: meter.createCounter("switchyard_overflow_total", {
      description: "Outbound overflow at the gateway: connections closed (1013) and the frames that did not fit",
    }),
    readPauses: meter.createCounter("switchyard_read_pauses_total", {
      description:
        "Connections the gateway stopped reading for a while because they kept sending past their rate limit, by the limit's scope (tenant or token)",
    }),
    hedges: meter.createCounter("switchyard_request_hedges_total", {
      description:
        "Repeatable requests (reads, thread/start) asked again of their service's group because the first ask was not answered in time, by service and method",
    }),
    providerLatency: meter.createHistogram("switchyard_provider_latency_seconds", {
      description: "Model provider calls: time to the first event and in total, by phase and outcome",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
    }),
    gauges: [
      gauge("connections", "switchyard_connections", "Open connections, by kind", "{connection}"),
      gauge("turnsRunning", "switchyard_turns_running", "Turns running on this thread-service instance", "{turn}"),
      gauge(
        "dbWaiting",
        "switchyard_db_waiting",
        "Statements waiting for one of this instance's Postgres connections (all busy; served a tenant at a time, in turn), and the tenants they belong to (`of`: statements, tenants)",
        "{statement}",
      ),
      gauge(
        "keyedLaneDepth",
        "switchyard_keyed_lane_depth",
        "Commands waiting or running on a keyed-lane partition (stream-wide: every instance reports the same)",
        "{command}",
      ),
      gauge(
        "keyedLaneOldestAge",
        "switchyard_keyed_lane_oldest_age_seconds",
        "Age of the oldest command on a keyed-lane partition (0 when empty)",
        "s",
      ),
      gauge(
        "readCacheEntries",
        "switchyard_read_cache_entries",
        "thread/read and config/read answers kept by this gateway",
        "{entry}",
      ),
      gauge(
        "readCacheLookups",
        "switchyard_read_cache_lookups_total",
        "thread/read and config/read lookups in this gateway's cache, by method and outcome (hit or miss), and change notices applied (invalidation)",
        "{lookup}",
        true,
      ),
    ],
  };
}

export interface MetricsHandle {
  shutdown(): Promise<void>;
}

/**
 * Starts the process's metrics (once per process). `otlpEndpoint` is the base OTLP/HTTP URL
 * (`/v1/metrics` is appended); `otlpMetricsEndpoint`, a full metrics URL, wins over it. Without
 * either, metrics are only scraped.
 */
export async function startMetrics(options: {
  service: string;
  otlpEndpoint?: string;
  otlpMetricsEndpoint?: string;
  exportIntervalMs?: number;
}): Promise<MetricsHandle> {
  if (provider) throw new Error("metrics already started in this process");
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const readers: IMetricReader[] = [exporter];
  const otlpUrl =
    options.otlpMetricsEndpoint ?? (options.otlpEndpoint ? `${options.otlpEndpoint.replace(/\/$/, "")}/v1/metrics` : undefined);
  if (otlpUrl) {
    // Loaded only when used, as tracing's exporter is.
    const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-http");
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: otlpUrl }),
        exportIntervalMillis: options.exportIntervalMs ?? 60_000,
      }),
    );
  }
  const owned = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": `switchyard-${options.service}` }),
    readers,
  });
  provider = owned;
  prometheus = exporter;
  instruments = createInstruments(owned.getMeter("switchyard"));
  return {
    shutdown: async () => {
      if (provider === owned) {
        provider = undefined;
        prometheus = undefined;
        instruments = undefined;
      }
      await owned.shutdown();
    },
  };
}

/** Answers `GET /metrics` with the Prometheus text exposition (404 until metrics are started). */
export function serveMetrics(request: IncomingMessage, response: ServerResponse): void {
  if (!prometheus) {
    response.writeHead(404, { "content-type": "text/plain" }).end("metrics are not enabled");
    return;
  }
  prometheus.getMetricsRequestHandler(request, response);
}

/** Registers a gauge's reader, called on every collection; returns the unregister. */
export function observeGauge(name: GaugeName, callback: GaugeCallback): () => void {
  const callbacks = gaugeCallbacks.get(name) ?? new Set<GaugeCallback>();
  gaugeCallbacks.set(name, callbacks);
  callbacks.add(callback);
  return () => void callbacks.delete(callback);
}

/** The bounded method label: a method the registry (or Codex's list) knows, else `unknown`. */
export function methodLabel(method: string): string {
  return methodRegistry.has(method) || lookupMethod(method).kind !== "unknown" ? method : "unknown";
}

/** The outcome label of an answer: `ok`, or the class of its error. */
export function outcomeLabel(error: WireError | undefined): string {
  if (!error) return "ok";
  const reason = (error.data as { reason?: unknown } | undefined)?.reason;
  switch (error.code) {
    case INVALID_REQUEST_CODE:
    case INVALID_PARAMS_CODE:
      return "invalid_request";
    case OVERLOADED_CODE:
      return "overloaded";
    case INTERNAL_ERROR_CODE:
      if (reason === "serviceUnavailable" || reason === "busUnavailable" || reason === "environmentOffline") return "unavailable";
      if (reason === "deadlineExceeded") return "deadline_exceeded";
      if (reason === "cancelled") return "cancelled";
      return "internal";
    default:
      return "other";
  }
}

/**
 * One frozen label set per (service, method, outcome): the metrics SDK hashes a frozen set once
 * (patches/@opentelemetry__sdk-metrics), not on every record. Bounded: methods outside the registry
 * share the `unknown` label, and there are a handful of services and outcomes.
 */
const requestLabelSets = new Map<string, Readonly<Record<string, string>>>();
function requestLabels(service: string, method: string, outcome: string): Readonly<Record<string, string>> {
  const key = `${service}\u0000${method}\u0000${outcome}`;
  let labels = requestLabelSets.get(key);
  if (!labels) {
    labels = Object.freeze({ service, method: methodLabel(method), outcome });
    // An unregistered method's name is not kept as a key (a client chooses it): its set is rebuilt.
    if (labels.method === method) requestLabelSets.set(key, labels);
  }
  return labels;
}

/** One answered request: counted and timed under `service`, `method` (bounded) and `outcome`. */
export function recordRequest(service: string, method: string, outcome: string, seconds: number): void {
  if (!instruments) return;
  const attributes = requestLabels(service, method, outcome);
  instruments.requests.add(1, attributes);
  instruments.requestDuration.record(seconds, attributes);
}

/** Outbound overflow at the gateway: `connection_closed` once per closed connection, `frame_dropped` per frame that did not fit. */
export function recordOverflow(action: "connection_closed" | "frame_dropped"): void {
  instruments?.overflow.add(1, { action });
}

/** A connection not read for a while: it kept sending past its `scope`'s rate limit (the gateway's refusal throttle). */
export function recordReadPause(scope: "tenant" | "token"): void {
  instruments?.readPauses.add(1, { scope });
}

/** A repeatable request asked again because its first ask was late (lane-client.ts). */
export function recordHedge(service: string, method: string): void {
  instruments?.hedges.add(1, { service, method: methodLabel(method) });
}

/** A model provider call: `first_event` when its first event arrives, `total` when it ends. */
export function recordProviderLatency(phase: "first_event" | "total", outcome: string, seconds: number): void {
  instruments?.providerLatency.record(seconds, { phase, outcome });
}
