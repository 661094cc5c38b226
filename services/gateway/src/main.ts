// Gateway process entry point.
import { createLogger, Lifecycle, loadMetricsEnv, newToken, startMetrics, startTracing } from "@switchyard/runtime";
import { loadGatewayEnv } from "./env.js";
import { startGateway } from "./gateway.js";

async function main(): Promise<void> {
  const env = loadGatewayEnv();
  const log = createLogger({ service: "gateway", instanceId: env.GATEWAY_ID ?? `gateway-${newToken(4)}`, level: env.LOG_LEVEL });
  const lifecycle = new Lifecycle(log, env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const tracing = await startTracing({ service: "gateway", endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  lifecycle.onShutdown("tracing", () => tracing.shutdown());
  const metricsSettings = loadMetricsEnv();
  const metrics = await startMetrics({
    service: "gateway",
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    otlpMetricsEndpoint: metricsSettings.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    exportIntervalMs: metricsSettings.SWITCHYARD_METRICS_EXPORT_INTERVAL_MS,
  });
  lifecycle.onShutdown("metrics", () => metrics.shutdown());
  const { url } = await startGateway(env, log, lifecycle);
  // One machine-readable line for launchers and tests to find the bound address.
  log.info({ url, event: "gateway.ready" }, "ready");
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
