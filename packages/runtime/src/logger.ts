// Structured JSON logs (pino), one logger per process with service and instance on every line.
import { type Logger, pino } from "pino";

export type { Logger };

export function createLogger(options: { service: string; instanceId: string; level: string }): Logger {
  return pino({
    level: options.level,
    base: { service: options.service, instance: options.instanceId },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
