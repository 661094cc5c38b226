// The well-behaved connection, seen from the fuzzer: it runs in its own process (canary-process.ts)
// so its latencies measure the gateway, not the fuzzer's own event loop, which stalls for hundreds
// of milliseconds while it masks and writes 10 MB frames. It runs thread/start once, then
// thread/read and thread/name/set on its own thread in a loop, one request at a time. Every request
// must succeed; latencies are kept per phase (baseline before the flood, during it, after it).
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { after } from "./frames.js";
import type { FuzzTarget } from "./target.js";

export type CanaryPhase = "baseline" | "flood" | "after";
export const CANARY_METHODS = ["thread/read", "thread/name/set"] as const;
export type CanaryMethod = (typeof CANARY_METHODS)[number];

/** Messages from the canary process. */
export type CanaryReport =
  | { kind: "ready"; threadId: string }
  | { kind: "startFailed"; detail: string }
  | { kind: "latency"; phase: CanaryPhase; method: CanaryMethod; latencyMs: number }
  | { kind: "failure"; phase: CanaryPhase; detail: string }
  | { kind: "disconnected" };

/** Messages to the canary process. */
export type CanaryCommand = { kind: "phase"; phase: CanaryPhase } | { kind: "reconnect"; url: string } | { kind: "stop" };

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(latencies: number[]): LatencySummary {
  if (latencies.length === 0) return { count: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] as number;
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] as number };
}

const emptyLatencies = (): Record<CanaryMethod, number[]> => ({ "thread/read": [], "thread/name/set": [] });

export class Canary {
  readonly latencies: Record<CanaryPhase, Record<CanaryMethod, number[]>> = {
    baseline: emptyLatencies(),
    flood: emptyLatencies(),
    after: emptyLatencies(),
  };
  readonly failures: string[] = [];
  failureCount = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly threadId: string,
  ) {}

  /** Starts the canary process; resolves once its connection has started its thread (it idles until a phase is set). */
  static async create(target: FuzzTarget): Promise<Canary> {
    const child = fork(new URL("./canary-process.ts", import.meta.url), [target.url, target.token], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const ready = await new Promise<CanaryReport>((resolve) => {
      child.on("message", (message: CanaryReport) => {
        if (message.kind === "ready" || message.kind === "startFailed") resolve(message);
      });
      child.once("exit", (code) => resolve({ kind: "startFailed", detail: `exited with ${code}` }));
    });
    if (ready.kind !== "ready") {
      child.kill("SIGKILL");
      throw new Error(`the canary did not start: ${ready.kind === "startFailed" ? ready.detail : ready.kind}`);
    }
    const canary = new Canary(child, ready.threadId);
    child.removeAllListeners("message");
    child.on("message", (message: CanaryReport) => canary.onReport(message, target));
    return canary;
  }

  private send(command: CanaryCommand): void {
    if (this.child.connected) this.child.send(command);
  }

  set phase(phase: CanaryPhase) {
    this.send({ kind: "phase", phase });
  }

  private onReport(message: CanaryReport, target: FuzzTarget): void {
    switch (message.kind) {
      case "latency":
        this.latencies[message.phase][message.method].push(message.latencyMs);
        return;
      case "failure":
        this.failureCount++;
        if (this.failures.length < 10) this.failures.push(`${message.phase}: ${message.detail}`);
        return;
      case "disconnected":
        // The gateway went away: point the canary at its replacement, or stop it.
        void target.whenUp().then((isUp) => this.send(isUp ? { kind: "reconnect", url: target.url } : { kind: "stop" }));
        return;
      default:
        return;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.send({ kind: "stop" });
    const stopped = await Promise.race([exited.then(() => true), after(20_000, false)]);
    if (!stopped) {
      this.child.kill("SIGKILL");
      await exited;
    }
  }

  summary(): Record<CanaryPhase, Record<CanaryMethod, LatencySummary>> {
    const byPhase = (phase: CanaryPhase) => ({
      "thread/read": summarize(this.latencies[phase]["thread/read"]),
      "thread/name/set": summarize(this.latencies[phase]["thread/name/set"]),
    });
    return { baseline: byPhase("baseline"), flood: byPhase("flood"), after: byPhase("after") };
  }
}
