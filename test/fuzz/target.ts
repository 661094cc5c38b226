// The system under fuzz: a harness stack (real gateway and thread service on their own database and
// bus prefix) with a capability token enforced at the upgrade. It watches its processes: an exit is
// recorded (with its log tail and the frames suspected of causing it) and the process is restarted,
// up to a budget, so one crash does not hide every other finding. It also samples the processes'
// resident memory from /proc.
import { readFileSync } from "node:fs";
import { type ServiceProcess, startGatewayProcess } from "../harness/processes.js";
import { type Stack, startStack } from "../harness/stack.js";

export const FUZZ_CAPABILITY_TOKEN = "fuzz-capability-token-0123456789abcdef";
/** The request deadline the contract is checked against. */
export const FUZZ_REQUEST_TIMEOUT_MS = 10_000;
export const FUZZ_TENANT = "default";

export interface ProcessExitRecord {
  name: string;
  pid: number | undefined;
  code: number | null;
  signal: string | null;
  /** Milliseconds since the target started. */
  atMs: number;
  /** Frames in flight or last sent on each connection when it exited. */
  suspects: string[];
  logTail: string;
}

export interface RssRecord {
  beforeKb: number;
  peakKb: number;
  afterKb: number;
}

function readRssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

const isRunning = (service: ServiceProcess) => service.child.exitCode === null && service.child.signalCode === null;

export class FuzzTarget {
  readonly exits: ProcessExitRecord[] = [];
  restarts = 0;
  /** Set when the restart budget ran out or a restart failed: the run must end. */
  gaveUp: string | undefined;
  private upWaiters: ((isUp: boolean) => void)[] = [];
  private armed = true;
  private readonly startedAtMs = Date.now();
  private readonly rss = new Map<string, RssRecord>();
  private rssPhase: "before" | "during" | "after" = "before";
  /** Supplies suspects when a process exits (the runner knows what is in flight). */
  suspects: () => string[] = () => [];
  onExit: (record: ProcessExitRecord) => void = () => {};

  private constructor(
    readonly stack: Stack,
    private readonly gatewayEnv: Record<string, string>,
    private readonly maxRestarts: number,
    private readonly log: (line: string) => void,
    private gateway: ServiceProcess & { url: string },
  ) {
    for (const service of [...stack.threads, gateway]) this.watch(service);
  }

  static async start(options: {
    maxRestarts: number;
    log: (line: string) => void;
    gatewayEnv?: Record<string, string>;
  }): Promise<FuzzTarget> {
    const gatewayEnv = {
      GATEWAY_AUTH_CAPABILITY_TOKEN: FUZZ_CAPABILITY_TOKEN,
      GATEWAY_REQUEST_TIMEOUT_MS: String(FUZZ_REQUEST_TIMEOUT_MS),
      ...options.gatewayEnv,
    };
    const stack = await startStack("fuzz", { gatewayEnv });
    return new FuzzTarget(
      stack,
      gatewayEnv,
      options.maxRestarts,
      options.log,
      stack.gateways[0] as ServiceProcess & { url: string },
    );
  }

  get url(): string {
    return `${this.gateway.url}/`;
  }

  get token(): string {
    return FUZZ_CAPABILITY_TOKEN;
  }

  get isUp(): boolean {
    return isRunning(this.gateway) && this.gaveUp === undefined;
  }

  get gatewayPid(): number | undefined {
    return this.gateway.child.pid;
  }

  /** Resolves true once a gateway is serving, false if the target gave up. */
  whenUp(): Promise<boolean> {
    if (this.gaveUp !== undefined) return Promise.resolve(false);
    if (isRunning(this.gateway)) return Promise.resolve(true);
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /** Whether a process exited at or after `sinceMs` (epoch ms). */
  exitedSince(sinceMs: number): boolean {
    return this.exits.some((exit) => this.startedAtMs + exit.atMs >= sinceMs);
  }

  /**
   * Whether a failure seen at `sinceMs` is explained by a process exit. Sockets close before the
   * exit event arrives, so this waits a moment before looking.
   */
  async explainedByExit(sinceMs: number): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return this.exitedSince(sinceMs - 3_000) || !this.isUp;
  }

  private watch(service: ServiceProcess): void {
    service.child.once("exit", (code, signal) => {
      if (!this.armed) return;
      const record: ProcessExitRecord = {
        name: service.name,
        pid: service.child.pid,
        code,
        signal,
        atMs: Date.now() - this.startedAtMs,
        suspects: this.suspects(),
        logTail: service.output().split("\n").slice(-25).join("\n").slice(-4000),
      };
      this.exits.push(record);
      this.log(`${service.name} exited (code ${code}, signal ${signal}); ${this.maxRestarts - this.restarts} restarts left`);
      this.onExit(record);
      void this.restart(service);
    });
  }

  private async restart(service: ServiceProcess): Promise<void> {
    const isGateway = service === this.gateway;
    if (this.restarts >= this.maxRestarts) {
      this.giveUp(`${this.exits.length} process exits; restart budget (${this.maxRestarts}) spent`);
      return;
    }
    this.restarts++;
    try {
      if (isGateway) {
        const gateway = await startGatewayProcess(
          { ...this.stack.infra.env, ...this.gatewayEnv },
          `gateway-restart-${this.restarts}`,
        );
        this.stack.gateways.push(gateway);
        this.gateway = gateway;
        this.watch(gateway);
        for (const waiter of this.upWaiters.splice(0)) waiter(true);
      } else {
        this.watch(await this.stack.addThreadService());
      }
    } catch (error) {
      this.giveUp(`restarting ${service.name} failed: ${String(error).slice(0, 300)}`);
    }
  }

  private giveUp(reason: string): void {
    this.gaveUp ??= reason;
    for (const waiter of this.upWaiters.splice(0)) waiter(false);
  }

  /** Samples every live process's VmRSS into the current phase (before / during / after). */
  sampleRss(): void {
    const services: [string, ServiceProcess][] = [
      ["gateway", this.gateway],
      ...this.stack.threads.filter(isRunning).map((s) => ["thread", s] as [string, ServiceProcess]),
    ];
    for (const [role, service] of services) {
      const kb = readRssKb(service.child.pid);
      if (kb === undefined) continue;
      const record = this.rss.get(role) ?? { beforeKb: kb, peakKb: kb, afterKb: kb };
      if (this.rssPhase === "before") record.beforeKb = kb;
      if (this.rssPhase === "after") record.afterKb = kb;
      record.peakKb = Math.max(record.peakKb, kb);
      this.rss.set(role, record);
    }
  }

  setRssPhase(phase: "before" | "during" | "after"): void {
    this.sampleRss();
    this.rssPhase = phase;
    this.sampleRss();
  }

  rssRecords(): Record<string, RssRecord> {
    return Object.fromEntries(this.rss);
  }

  /** Processes that are not running now (an exit the watcher may not have seen yet included). */
  deadProcesses(): string[] {
    return [...this.stack.threads, ...this.stack.gateways]
      .filter((service) => !isRunning(service))
      .map((service) => service.name);
  }

  /** Stops watching (exits from here on are the teardown's) and stops the stack. */
  async stop(): Promise<void> {
    this.armed = false;
    this.giveUp("stopped");
    await this.stack.stop();
  }
}
