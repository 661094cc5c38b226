// The system under chaos: several instances of every service kind on loopback, on private NATS,
// Postgres and Redis servers the run may kill (never the machine's), with the scripted provider as
// every thread's model. Timings are shortened so faults resolve within seconds: the keyed lane's
// ack_wait, the turn lease and the gateway's request deadline.
import { type PrivateNatsServer, startPrivateNatsServer } from "../harness/nats-server.js";
import { type PrivatePostgres, startPrivatePostgres } from "../harness/private-postgres.js";
import { type PrivateRedis, startPrivateRedis } from "../harness/private-redis.js";
import { type ServiceProcess, startGatewayProcess } from "../harness/processes.js";
import type { ScriptedResponses } from "../harness/scripted-responses.js";
import { scriptedProviderStackEnv, scriptedProviderToml, startScriptedResponses } from "../harness/scripted-responses.js";
import { type Stack, startStack } from "../harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "../harness/tokens.js";

export const CHAOS_TENANT = "chaos";

export const SERVICE_KINDS = ["gateway", "thread", "config", "remote-control"] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export interface ChaosTimings {
  /** The keyed lane's ack_wait: how long a held command waits before another instance gets it. */
  ackWaitMs: number;
  /** The turn lease: a turn whose runner stops renewing is closed by another instance after it. */
  turnLeaseMs: number;
  /** The gateway's request deadline. */
  requestTimeoutMs: number;
}

export interface ChaosScale {
  gateways: number;
  threads: number;
  configs: number;
  remoteControls: number;
}

export class ChaosSystem {
  /** Instances the run killed on purpose; any other exit is a finding. */
  private readonly killedOnPurpose = new Set<ServiceProcess>();

  private constructor(
    readonly stack: Stack,
    readonly nats: PrivateNatsServer,
    readonly postgres: PrivatePostgres,
    readonly redis: PrivateRedis,
    readonly provider: ScriptedResponses,
    readonly timings: ChaosTimings,
    /** A user's bearer token (config writes need a user); every client of the run uses it. */
    readonly token: string,
    private readonly gatewayEnv: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  static async start(options: {
    scale: ChaosScale;
    timings: ChaosTimings;
    turnMs: number;
    log: (line: string) => void;
  }): Promise<ChaosSystem> {
    const { scale, timings, log } = options;
    log("starting private NATS (JetStream), Postgres and Redis");
    const [nats, postgres, redis, provider] = await Promise.all([
      startPrivateNatsServer(),
      startPrivatePostgres(),
      startPrivateRedis(),
      startScriptedResponses({
        recordRequests: false,
        stepFor: () => ({ text: "chaos says hello", chunks: 4, delayMs: options.turnMs }),
      }),
    ]);
    const providerEnv = scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl), {
      THREAD_TURN_LEASE_MS: String(timings.turnLeaseMs),
    });
    const shared = { SWITCHYARD_KEYED_ACK_WAIT_MS: String(timings.ackWaitMs) };
    const gatewayEnv = {
      ...shared,
      GATEWAY_REQUEST_TIMEOUT_MS: String(timings.requestTimeoutMs),
      GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
    };
    const token = await hs256Token({ tenant: CHAOS_TENANT, sub: "chaos-user" }, { expiresInS: 24 * 3600 });
    log(
      `starting ${scale.gateways} gateways, ${scale.threads} thread, ${scale.configs} config and ${scale.remoteControls} remote-control instances`,
    );
    const stack = await startStack("chaos", {
      infraUrls: { nats: nats.url, postgresAdmin: postgres.adminUrl, redis: redis.url },
      gateways: scale.gateways,
      threads: scale.threads,
      configs: scale.configs,
      remoteControls: scale.remoteControls,
      threadEnv: { ...shared, ...providerEnv.threadEnv },
      configEnv: { ...shared, ...providerEnv.configEnv },
      gatewayEnv,
      remoteControlEnv: { ...shared, REMOTE_CONTROL_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
    return new ChaosSystem(stack, nats, postgres, redis, provider, timings, token, gatewayEnv, log);
  }

  /** The gateways clients may connect to now (a killed one is gone until it is replaced). */
  gatewayUrls(): string[] {
    return this.stack.gateways.filter(isRunning).map((gateway) => gateway.url);
  }

  instances(kind: ServiceKind): ServiceProcess[] {
    switch (kind) {
      case "gateway":
        return this.stack.gateways;
      case "thread":
        return this.stack.threads;
      case "config":
        return this.stack.configs;
      case "remote-control":
        return this.stack.remoteControls;
    }
  }

  /** kill -9 the first running instance of `kind`; returns it (to be replaced later). */
  async kill(kind: ServiceKind): Promise<ServiceProcess> {
    const victim = this.instances(kind).find(isRunning);
    if (!victim) throw new Error(`no running ${kind} instance to kill`);
    this.log(`kill -9 ${victim.name} (pid ${victim.child.pid})`);
    this.killedOnPurpose.add(victim);
    await victim.crash();
    return victim;
  }

  /** SIGSTOP the first running instance of `kind`; the returned function sends SIGCONT. */
  pause(kind: ServiceKind): () => void {
    const victim = this.instances(kind).find(isRunning);
    if (!victim) throw new Error(`no running ${kind} instance to pause`);
    this.log(`SIGSTOP ${victim.name} (pid ${victim.child.pid})`);
    victim.child.kill("SIGSTOP");
    return () => {
      this.log(`SIGCONT ${victim.name}`);
      victim.child.kill("SIGCONT");
    };
  }

  /** Instances that exited although nobody killed them: what they said last. */
  unexpectedExits(): string[] {
    return SERVICE_KINDS.flatMap((kind) =>
      this.instances(kind)
        .filter((instance) => !isRunning(instance) && !this.killedOnPurpose.has(instance))
        .map((instance) => {
          const tail = instance.output().trim().split("\n").slice(-6).join("\n    ");
          return `${instance.name} exited (${instance.child.exitCode ?? instance.child.signalCode}) on its own:\n    ${tail}`;
        }),
    );
  }

  /** Replaces every dead instance with a new one (what an orchestrator would do), in place. */
  async replaceDead(): Promise<void> {
    for (const kind of SERVICE_KINDS) {
      const instances = this.instances(kind);
      for (let index = 0; index < instances.length; index++) {
        const dead = instances[index] as ServiceProcess;
        if (isRunning(dead)) continue;
        this.log(`starting a replacement for ${dead.name}${this.killedOnPurpose.has(dead) ? "" : " (it exited on its own)"}`);
        const replacement = await this.startInstance(kind);
        // startInstance appended it (the stack's add* do); move it into the dead one's slot.
        instances.splice(instances.indexOf(replacement), 1);
        instances[index] = replacement;
      }
    }
  }

  private async startInstance(kind: ServiceKind): Promise<ServiceProcess> {
    switch (kind) {
      case "gateway": {
        const gateway = await startGatewayProcess({ ...this.stack.infra.env, ...this.gatewayEnv }, "gateway-r");
        this.stack.gateways.push(gateway);
        return gateway;
      }
      case "thread":
        return this.stack.addThreadService();
      case "config":
        return this.stack.addConfigService();
      case "remote-control":
        return this.stack.addRemoteControl();
    }
  }

  async stop(): Promise<void> {
    // A paused process would never stop on SIGTERM.
    for (const kind of SERVICE_KINDS) for (const instance of this.instances(kind)) instance.child.kill("SIGCONT");
    await this.stack.stop().catch((error) => this.log(`stack stop: ${error instanceof Error ? error.message : error}`));
    await Promise.all([this.nats.dispose(), this.postgres.dispose(), this.redis.dispose(), this.provider.close()]);
  }

  /** Everything a process logged, for the report when a check fails. */
  logsOf(kind: ServiceKind): string {
    return this.instances(kind)
      .map((instance) => `--- ${instance.name}\n${instance.output().split("\n").slice(-40).join("\n")}`)
      .join("\n");
  }
}

export function isRunning(instance: ServiceProcess): boolean {
  return instance.child.exitCode === null && instance.child.signalCode === null;
}
