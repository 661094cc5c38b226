// Everything `start` prints goes through here: children's log lines (pretty or JSON), the
// launcher's own messages in the same shape, and the ready banner.
import { formatJson, formatPretty, isLevelEnabled, type LogLevel, type OutputStream, parseJsonLine } from "./log-format.js";

export const LAUNCHER_NAME = "switchyard";

export class LauncherOutput {
  private nameWidth = LAUNCHER_NAME.length;

  constructor(
    private readonly options: {
      format: "pretty" | "json";
      useColor: boolean;
      /** LOG_LEVEL: lines below it are not shown (children still log at info so readiness is seen). */
      level: string;
      write?: (text: string) => void;
    },
  ) {}

  private write(text: string): void {
    (this.options.write ?? ((line: string) => process.stdout.write(`${line}\n`)))(text);
  }

  /** Makes room in the name column for a child's name. */
  reserveName(name: string): void {
    this.nameWidth = Math.max(this.nameWidth, name.length);
  }

  childLine(name: string, line: string, stream: OutputStream): void {
    if (line.trim() === "") return;
    const record = parseJsonLine(line);
    const level = record ? (typeof record.level === "string" ? record.level : "info") : stream === "stderr" ? "error" : "info";
    if (!isLevelEnabled(level, this.options.level)) return;
    this.write(
      this.options.format === "json"
        ? formatJson(name, line, stream)
        : formatPretty(name, line, stream, { useColor: this.options.useColor, nameWidth: this.nameWidth }),
    );
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (!isLevelEnabled(level, this.options.level)) return;
    const line = JSON.stringify({ level, time: new Date().toISOString(), service: LAUNCHER_NAME, msg: message, ...fields });
    this.write(
      this.options.format === "json"
        ? line
        : formatPretty(LAUNCHER_NAME, line, "stdout", { useColor: this.options.useColor, nameWidth: this.nameWidth }),
    );
  }

  /** A block of text for people (pretty) or one JSON event with the same facts (json). */
  banner(text: string, facts: Record<string, unknown>): void {
    if (this.options.format === "json") {
      this.write(
        JSON.stringify({ level: "info", time: new Date().toISOString(), service: LAUNCHER_NAME, msg: "ready", ...facts }),
      );
      return;
    }
    this.write(text);
  }
}
