// One service child process (`node services/<name>/dist/main.js`, or a source through tsx): its output lines go
// to the launcher output (the last few are kept, to say why it died), a readiness line resolves
// `ready`, and `stop` is SIGTERM with a bound.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { OutputStream } from "./log-format.js";
import { readinessOf } from "./log-format.js";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  /** Display name: the service, numbered when several instances run (thread-1, thread-2). */
  name: string;
  service: string;
  pid: number;
  /** Resolves with the readiness log record; rejects if the process exits first. */
  ready: Promise<Record<string, unknown>>;
  exited: Promise<ExitStatus>;
  readonly hasExited: boolean;
  /** SIGTERM (the service's own graceful shutdown), then SIGKILL after `timeoutMs`. */
  stop(timeoutMs: number): Promise<ExitStatus>;
  /** SIGKILL now. */
  kill(): void;
  /** Its last output lines, oldest first. */
  lastOutput(): string;
}

const KEPT_LINES = 12;

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

export function spawnService(options: {
  name: string;
  service: string;
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  onLine: (name: string, line: string, stream: OutputStream) => void;
}): ServiceProcess {
  // A bundle as built (stack traces name the sources through its source map), a source through tsx.
  const args = options.entry.endsWith(".js") ? ["--enable-source-maps", options.entry] : ["--import", "tsx", options.entry];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group: a terminal Ctrl-C reaches only the launcher, which stops services in order.
    detached: true,
  });
  let hasExited = false;
  let markReady: (record: Record<string, unknown>) => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  const exited = new Promise<ExitStatus>((resolve) => {
    const finish = (status: ExitStatus, readyError: Error) => {
      if (hasExited) return;
      hasExited = true;
      failReady(readyError);
      resolve(status);
    };
    const exitedBeforeReady = (status: ExitStatus) =>
      new Error(`${options.name} exited (${describeExit(status)}) before it was ready`);
    // "close" comes once its output has been read to the end, so the last lines (a stack trace) are
    // known; "exit" bounds the wait in case something else holds the pipes open.
    child.once("close", (code, signal) => finish({ code, signal }, exitedBeforeReady({ code, signal })));
    child.once("exit", (code, signal) => {
      setTimeout(() => finish({ code, signal }, exitedBeforeReady({ code, signal })), 1_000);
    });
    child.once("error", (error) => {
      finish({ code: 127, signal: null }, new Error(`${options.name} could not start: ${error.message}`));
    });
  });
  const recentLines: string[] = [];
  const follow = (stream: NodeJS.ReadableStream | null, kind: OutputStream) => {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      const readiness = readinessOf(line);
      if (readiness) markReady(readiness);
      recentLines.push(line);
      if (recentLines.length > KEPT_LINES) recentLines.shift();
      options.onLine(options.name, line, kind);
    });
  };
  follow(child.stdout, "stdout");
  follow(child.stderr, "stderr");

  return {
    name: options.name,
    service: options.service,
    pid: child.pid ?? -1,
    ready,
    exited,
    get hasExited() {
      return hasExited;
    },
    async stop(timeoutMs) {
      if (hasExited) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
    kill() {
      if (!hasExited) child.kill("SIGKILL");
    },
    lastOutput() {
      return recentLines.join("\n");
    },
  };
}
