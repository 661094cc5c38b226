// Keeps one process running for the launcher: starts it (or adopts one already running), restarts it
// with back-off whenever it dies, and stops restarting as soon as it is asked to stop. What a process
// is (a service, a local server) is the caller's business: the supervisor sees only an Incarnation.
//
// A process that has never been ready is given up on after a few failed starts (bad configuration
// does not fix itself); once it has been ready, it is restarted for as long as the supervisor runs.
import { type BackoffPolicy, defaultBackoffPolicy, RestartBackoff } from "./backoff.js";
import type { LogLevel } from "./log-format.js";
import { describeExit, type ExitStatus } from "./service-process.js";

/** One run of the supervised process. */
export interface Incarnation<Ready = unknown> {
  readonly pid: number;
  /** Resolves once the process can do its work; rejects if it exits first or never gets there. */
  readonly ready: Promise<Ready>;
  readonly exited: Promise<ExitStatus>;
  readonly hasExited: boolean;
  /** Graceful, bounded stop; resolves once the process has exited. */
  stop(): Promise<unknown>;
  /** SIGKILL now. */
  kill(): void;
  /** Its last output lines, to show the operator why it died. */
  lastOutput(): string;
}

export type SupervisorEvent =
  /** `attempt` 0 is the first start; n is the n-th restart of the current failure streak. */
  | { type: "started"; name: string; pid: number; attempt: number }
  | { type: "ready"; name: string; pid: number; attempt: number }
  /** It is alive but will not become ready (e.g. a start-up timeout); it is stopped. */
  | { type: "not-ready"; name: string; pid: number; reason: string }
  | {
      type: "died";
      name: string;
      pid: number;
      status: ExitStatus;
      uptimeMs: number;
      lastOutput: string;
      restart: { attempt: number; delayMs: number };
    }
  | { type: "gave-up"; name: string; pid: number; status: ExitStatus; failures: number; lastOutput: string };

export interface SupervisorOptions<Ready> {
  name: string;
  /** Starts a new incarnation (the same command, ports and data every time). */
  launch: () => Incarnation<Ready>;
  onEvent: (event: SupervisorEvent) => void;
  policy?: BackoffPolicy;
  /** Failed starts tolerated before the process has ever been ready. */
  maxFailuresBeforeReady?: number;
}

export class Supervisor<Ready = unknown> {
  readonly name: string;
  private readonly backoff: RestartBackoff;
  private current: Incarnation<Ready> | undefined;
  private loop: Promise<void> | undefined;
  private isStopping = false;
  private hasBeenReady = false;
  private failuresBeforeReady = 0;
  private wakeUp: (() => void) | undefined;
  private readonly firstReady: Promise<Ready>;
  private resolveFirstReady: (value: Ready) => void = () => {};
  private rejectFirstReady: (error: Error) => void = () => {};

  constructor(private readonly options: SupervisorOptions<Ready>) {
    this.name = options.name;
    this.backoff = new RestartBackoff(options.policy ?? defaultBackoffPolicy);
    this.firstReady = new Promise<Ready>((resolve, reject) => {
      this.resolveFirstReady = resolve;
      this.rejectFirstReady = reject;
    });
    this.firstReady.catch(() => {}); // observed by whoever awaits start(); never an unhandled rejection
  }

  /** Launches the process and supervises it; resolves when it is first ready, rejects if it gives up first. */
  start(): Promise<Ready> {
    if (!this.loop) this.loop = this.supervise(this.launch(0));
    return this.firstReady;
  }

  /** Supervises a process someone else started (and already saw ready). */
  adopt(running: Incarnation<Ready>): Promise<Ready> {
    if (!this.loop) this.loop = this.supervise(running);
    return this.firstReady;
  }

  /** The pid of the incarnation running now, if any. */
  get pid(): number | undefined {
    return this.current && !this.current.hasExited ? this.current.pid : undefined;
  }

  /** From now on nothing is restarted (a pending restart is cancelled); what runs keeps running. */
  stopRestarting(): void {
    if (!this.isStopping) this.rejectFirstReady(new Error(`${this.name} was stopped before it was ready`));
    this.isStopping = true;
    this.wakeUp?.();
  }

  /** Stops restarting and stops the running incarnation; its exit status, or undefined if none was running. */
  async stop(): Promise<ExitStatus | undefined> {
    this.stopRestarting();
    const incarnation = this.current;
    if (incarnation && !incarnation.hasExited) await incarnation.stop();
    await this.loop;
    return incarnation?.exited;
  }

  /** Stops restarting and SIGKILLs the running incarnation now. */
  kill(): void {
    this.stopRestarting();
    this.current?.kill();
  }

  private launch(attempt: number): Incarnation<Ready> {
    let incarnation: Incarnation<Ready>;
    try {
      incarnation = this.options.launch();
    } catch (error) {
      incarnation = failedLaunch(error);
    }
    this.options.onEvent({ type: "started", name: this.name, pid: incarnation.pid, attempt });
    return incarnation;
  }

  private async supervise(first: Incarnation<Ready>): Promise<void> {
    let incarnation = first;
    let attempt = 0;
    for (;;) {
      this.current = incarnation;
      const startedAt = performance.now();
      this.watchReadiness(incarnation, attempt);
      const status = await incarnation.exited;
      if (this.isStopping) return;
      this.current = undefined;
      const uptimeMs = Math.round(performance.now() - startedAt);
      const lastOutput = incarnation.lastOutput();
      if (!this.hasBeenReady) {
        this.failuresBeforeReady += 1;
        if (this.failuresBeforeReady >= (this.options.maxFailuresBeforeReady ?? 3)) {
          const failures = this.failuresBeforeReady;
          this.options.onEvent({ type: "gave-up", name: this.name, pid: incarnation.pid, status, failures, lastOutput });
          this.rejectFirstReady(new Error(`${this.name} never became ready (${failures} failed starts)`));
          return;
        }
      }
      const restart = this.backoff.next(uptimeMs);
      this.options.onEvent({ type: "died", name: this.name, pid: incarnation.pid, status, uptimeMs, lastOutput, restart });
      await this.sleep(restart.delayMs);
      if (this.isStopping) return;
      attempt = restart.attempt;
      incarnation = this.launch(attempt);
    }
  }

  private watchReadiness(incarnation: Incarnation<Ready>, attempt: number): void {
    incarnation.ready.then(
      (value) => {
        if (incarnation.hasExited || this.isStopping) return;
        this.hasBeenReady = true;
        this.options.onEvent({ type: "ready", name: this.name, pid: incarnation.pid, attempt });
        this.resolveFirstReady(value);
      },
      (error: unknown) => {
        // Exited (the death is reported by the loop) or stopped on purpose: nothing to add.
        if (incarnation.hasExited || this.isStopping) return;
        const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
        this.options.onEvent({ type: "not-ready", name: this.name, pid: incarnation.pid, reason });
        void incarnation.stop();
      },
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}

/** A launch that threw (e.g. the log file could not be opened), as an incarnation that died at once. */
function failedLaunch<Ready>(error: unknown): Incarnation<Ready> {
  const message = error instanceof Error ? error.message : String(error);
  const ready = Promise.reject(new Error(message));
  ready.catch(() => {});
  return {
    pid: -1,
    ready,
    exited: Promise.resolve({ code: 127, signal: null }),
    hasExited: true,
    stop: async () => {},
    kill: () => {},
    lastOutput: () => message,
  };
}

function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** An event as one operator log line: level, message and fields (the last output goes in a field). */
export function describeSupervisorEvent(event: SupervisorEvent): {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
} {
  const pid = event.pid >= 0 ? { pid: event.pid } : {};
  const which = event.pid >= 0 ? `${event.name} (pid ${event.pid})` : event.name;
  const output = (text: string) => (text.trim() === "" ? {} : { lastOutput: text });
  switch (event.type) {
    case "started":
      return event.attempt === 0
        ? { level: "info", message: `started ${which}`, fields: pid }
        : { level: "warn", message: `restarted ${which}, attempt ${event.attempt}`, fields: pid };
    case "ready":
      return event.attempt === 0
        ? { level: "debug", message: `${which} is ready`, fields: pid }
        : { level: "info", message: `${which} is ready again after restart attempt ${event.attempt}`, fields: pid };
    case "not-ready":
      return { level: "warn", message: `${which} did not become ready (${event.reason}); stopping it`, fields: pid };
    case "died":
      return {
        level: "error",
        message:
          `${which} died unexpectedly (${describeExit(event.status)}, after ${formatDuration(event.uptimeMs)}); ` +
          `restarting in ${formatDuration(event.restart.delayMs)}, attempt ${event.restart.attempt}`,
        fields: { ...pid, ...output(event.lastOutput) },
      };
    case "gave-up":
      return {
        level: "error",
        message:
          `${which} never became ready: it failed ${event.failures} times in a row ` +
          `(last: ${describeExit(event.status)}); giving up`,
        fields: { ...pid, ...output(event.lastOutput) },
      };
  }
}
