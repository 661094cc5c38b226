// The system under fuzz: the whole Switchyard as a harness stack (gateway, thread service, config
// service and remote-control service on their own database and bus prefix), with the scripted
// Responses provider as every thread's default model provider (so fuzzed turns reach the turn
// runner, and a turn can call a client's dynamic tool), and a capability token enforced at the
// upgrade (plus HS256 JWTs, for the tool lanes' own tenant). It watches every process: an exit is
// recorded (with its log tail and the frames suspected of causing it) and the process is restarted,
// up to a budget, so one crash does not hide every other finding. It also samples the processes'
// resident memory from /proc.
import { readFileSync } from "node:fs";
import { type ServiceProcess, startGatewayProcess } from "../harness/processes.js";
import {
  type ScriptedResponses,
  type ScriptStep,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "../harness/scripted-responses.js";
import { type Stack, startStack } from "../harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "../harness/tokens.js";

export const FUZZ_CAPABILITY_TOKEN = "fuzz-capability-token-0123456789abcdef";
/** The request deadline the contract is checked against. */
export const FUZZ_REQUEST_TIMEOUT_MS = 10_000;
export const FUZZ_TENANT = "default";
/** The tenant of the server-request lanes (their turns must not see the fuzzed tenant's config writes). */
export const FUZZ_TOOLS_TENANT = "fuzz-tools";
/** The dynamic tool the server-request lanes' threads declare; the scripted model calls it. */
export const FUZZ_TOOL_NAME = "fuzz_lookup";
/** How long a turn waits for a client's answer to `item/tool/call` before failing the call. */
export const FUZZ_TOOL_CALL_TIMEOUT_MS = 4_000;

/**
 * The scripted model: a request offering the fuzz tool with no tool output since the last user
 * message calls the tool (once per turn); everything else gets the default reply, so every turn ends.
 */
export function fuzzStepFor(body: Record<string, unknown>): ScriptStep | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as { name?: unknown }[]) : [];
  if (!tools.some((tool) => tool?.name === FUZZ_TOOL_NAME)) return undefined;
  const input = Array.isArray(body.input) ? (body.input as Record<string, any>[]) : [];
  // The tool lanes' user messages say "fuzz round N", N rising: the history must keep that order.
  const rounds = input
    .filter((item) => item?.role === "user")
    .map((item) => /fuzz round (\d+)/.exec(JSON.stringify(item.content ?? ""))?.[1])
    .filter((round): round is string => round !== undefined)
    .map(Number);
  if (rounds.some((round, index) => index > 0 && round < (rounds[index - 1] as number))) {
    modelHistory.disordered++;
    modelHistory.sample ??= `user messages in the model's input in the order: rounds ${rounds.join(", ")}`;
  }
  modelHistory.checked++;
  // One tool call per user message (counted, not placed: a disordered history must not make it loop).
  const users = input.filter((item) => item?.role === "user").length;
  const outputs = input.filter((item) => item?.type === "function_call_output").length;
  return outputs >= users ? { text: "the fuzz tool answered" } : { toolCall: { name: FUZZ_TOOL_NAME, arguments: { q: "fuzz" } } };
}

/** Model requests of the tool lanes whose history was out of order (a thread's items must stay in order). */
export const modelHistory: { checked: number; disordered: number; sample: string | undefined } = {
  checked: 0,
  disordered: 0,
  sample: undefined,
};

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
    readonly provider: ScriptedResponses,
  ) {
    for (const service of [...stack.threads, ...stack.configs, ...stack.remoteControls, gateway]) this.watch(service);
  }

  static async start(options: {
    maxRestarts: number;
    log: (line: string) => void;
    gatewayEnv?: Record<string, string>;
  }): Promise<FuzzTarget> {
    const gatewayEnv = {
      GATEWAY_AUTH_CAPABILITY_TOKEN: FUZZ_CAPABILITY_TOKEN,
      GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
      GATEWAY_REQUEST_TIMEOUT_MS: String(FUZZ_REQUEST_TIMEOUT_MS),
      // The fuzzer tests what bad input gets, not the request-rate limits: one token sends it all,
      // far faster than a client would, so the rates and bursts are as high as they go.
      GATEWAY_LIMIT_REQUESTS_PER_S: "1000000",
      GATEWAY_LIMIT_REQUEST_BURST: "2000000",
      GATEWAY_LIMIT_TOKEN_REQUESTS_PER_S: "1000000",
      GATEWAY_LIMIT_TOKEN_REQUEST_BURST: "2000000",
      ...options.gatewayEnv,
    };
    Object.assign(modelHistory, { checked: 0, disordered: 0, sample: undefined });
    const provider = await startScriptedResponses({ stepFor: fuzzStepFor, recordRequests: false });
    try {
      const stack = await startStack("fuzz", {
        gatewayEnv,
        configs: 1,
        remoteControls: 1,
        remoteControlEnv: {
          REMOTE_CONTROL_JWT_HS256_SECRET: TEST_HS256_SECRET,
          // Pairing claims are rate limited per tenant (-32001 rateLimited) against guessing codes;
          // the fuzzer sends thousands, and wants them to reach the claim handler.
          REMOTE_CONTROL_PAIRING_CLAIMS_PER_MINUTE: "1000000",
        },
        ...scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl), {
          THREAD_TOOL_CALL_TIMEOUT_MS: String(FUZZ_TOOL_CALL_TIMEOUT_MS),
        }),
      });
      return new FuzzTarget(
        stack,
        gatewayEnv,
        options.maxRestarts,
        options.log,
        stack.gateways[0] as ServiceProcess & { url: string },
        provider,
      );
    } catch (error) {
      await provider.close();
      throw error;
    }
  }

  /** A bearer token for the server-request lanes' tenant. */
  toolsToken(): Promise<string> {
    return hs256Token({ tenant: FUZZ_TOOLS_TENANT, sub: "fuzz-tools" }, { expiresInS: 3_600 });
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
      } else if (this.stack.configs.includes(service as never)) {
        this.watch(await this.stack.addConfigService());
      } else if (this.stack.remoteControls.includes(service as never)) {
        this.watch(await this.stack.addRemoteControl());
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
      ...this.stack.configs.filter(isRunning).map((s) => ["config", s] as [string, ServiceProcess]),
      ...this.stack.remoteControls.filter(isRunning).map((s) => ["remote-control", s] as [string, ServiceProcess]),
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
    return [...this.stack.threads, ...this.stack.configs, ...this.stack.remoteControls, ...this.stack.gateways]
      .filter((service) => !isRunning(service))
      .map((service) => service.name);
  }

  /** Stops watching (exits from here on are the teardown's) and stops the stack. */
  async stop(): Promise<void> {
    this.armed = false;
    this.giveUp("stopped");
    await this.stack.stop();
    await this.provider.close();
  }
}
