// How `start` shows what its children print. Services log pino JSON lines; for an operator at a
// terminal each becomes `time LEVEL name  message key=value…`, and with SWITCHYARD_LOG_FORMAT=json the
// JSON goes through untouched (non-JSON lines are wrapped into JSON so the stream stays parseable).

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";
export type OutputStream = "stdout" | "stderr";

const levelRank: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };
const pinoNumericLevels: Record<number, LogLevel> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** Keys every line has (or that the name column already shows); not repeated as key=value. */
const omittedKeys = new Set(["level", "time", "msg", "service", "instance", "pid", "hostname", "v"]);

const colors: Record<string, string> = {
  fatal: "\x1b[35m",
  error: "\x1b[31m",
  warn: "\x1b[33m",
  info: "\x1b[32m",
  debug: "\x1b[36m",
  trace: "\x1b[90m",
  out: "\x1b[90m",
  err: "\x1b[31m",
};
const dim = "\x1b[2m";
const reset = "\x1b[0m";

export function isLevelEnabled(level: string, minimum: string): boolean {
  return (levelRank[level] ?? levelRank.info!) >= (levelRank[minimum] ?? levelRank.info!);
}

/** A pino line as an object, or undefined for anything else. */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function levelOf(record: Record<string, unknown>): string {
  const level = record.level;
  if (typeof level === "number") return pinoNumericLevels[level] ?? "info";
  return typeof level === "string" ? level : "info";
}

function clock(time: unknown): string {
  const date = typeof time === "string" || typeof time === "number" ? new Date(time) : new Date();
  const valid = Number.isNaN(date.getTime()) ? new Date() : date;
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(valid.getHours())}:${pad(valid.getMinutes())}:${pad(valid.getSeconds())}.${pad(valid.getMilliseconds(), 3)}`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return JSON.stringify(value);
}

export interface PrettyOptions {
  useColor: boolean;
  nameWidth: number;
}

/** One display line for a child's output line (JSON or not). */
export function formatPretty(name: string, line: string, stream: OutputStream, options: PrettyOptions): string {
  const record = parseJsonLine(line);
  const paint = (color: string | undefined, text: string) => (options.useColor && color ? `${color}${text}${reset}` : text);
  const paddedName = name.padEnd(options.nameWidth);
  if (!record) {
    const label = stream === "stderr" ? "err" : "out";
    return `${paint(dim, clock(undefined))} ${paint(colors[label], label.toUpperCase().padEnd(5))} ${paint(dim, paddedName)} ${line}`;
  }
  const level = levelOf(record);
  const message = typeof record.msg === "string" ? record.msg : "";
  const multiline: string[] = [];
  const fields = Object.entries(record)
    .filter(([key]) => !omittedKeys.has(key))
    .map(([key, value]) => {
      if (typeof value === "string" && value.includes("\n")) {
        multiline.push(...value.split("\n").map((text) => `    ${text}`));
        return `${key}=↓`;
      }
      return `${key}=${formatValue(value)}`;
    });
  const head = `${paint(dim, clock(record.time))} ${paint(colors[level], level.toUpperCase().padEnd(5))} ${paint(dim, paddedName)} ${message}`;
  const tail = fields.length > 0 ? `  ${paint(dim, fields.join(" "))}` : "";
  return [head + tail, ...multiline].join("\n");
}

/** The line as JSON: pino lines unchanged, anything else wrapped. */
export function formatJson(name: string, line: string, stream: OutputStream): string {
  if (parseJsonLine(line)) return line;
  return JSON.stringify({
    level: stream === "stderr" ? "error" : "info",
    time: new Date().toISOString(),
    service: name,
    msg: line,
  });
}

/**
 * Whether a line says the process is ready: `"event":"<service>.ready"` (the gateway) or a message
 * ending in "ready" ("thread service ready"). Returns the record so callers can read e.g. its `url`.
 */
export function readinessOf(line: string): Record<string, unknown> | undefined {
  const record = parseJsonLine(line);
  if (!record) return undefined;
  const event = record.event;
  const message = record.msg;
  const isReady =
    (typeof event === "string" && event.endsWith(".ready")) || (typeof message === "string" && /\bready$/i.test(message.trim()));
  return isReady ? record : undefined;
}
