// A whole Switchyard on real infrastructure for one suite: its own database and bus prefix, any
// number of thread-service instances and gateways.
import assert from "node:assert/strict";
import { type ConfigAdmin, openConfigAdmin } from "../../services/config/src/admin.js";
import { conformance } from "./conformance.js";
import { createTestInfra, type InfraUrls, type TestInfra } from "./infra.js";
import {
  type ServiceProcess,
  startConfigService,
  startGatewayProcess,
  startRemoteControlProcess,
  startThreadService,
} from "./processes.js";

export type RemoteControlProcess = ServiceProcess & { baseUrl: string; port: number; instanceId: string };
export type ConfigProcess = Awaited<ReturnType<typeof startConfigService>>;

export interface Stack {
  infra: TestInfra;
  threads: (ServiceProcess & { healthUrl: string })[];
  /** Config-service instances (`configs` option, default 1), in start order. */
  configs: ConfigProcess[];
  addConfigService(extraEnv?: Record<string, string>): Promise<ConfigProcess>;
  /** The first port the suite's tenants' thread-config listeners are given. */
  grpcPortBase: number;
  gateways: (ServiceProcess & { url: string })[];
  /** The first gateway's URL. */
  url: string;
  addThreadService(extraEnv?: Record<string, string>): Promise<ServiceProcess & { healthUrl: string }>;
  /** Remote-control instances (`remoteControls` option), in start order. */
  remoteControls: RemoteControlProcess[];
  addRemoteControl(extraEnv?: Record<string, string>): Promise<RemoteControlProcess>;
  stop(): Promise<void>;
}

export async function startStack(
  name: string,
  options: {
    threads?: number;
    gateways?: number;
    threadEnv?: Record<string, string>;
    configs?: number;
    configEnv?: Record<string, string>;
    gatewayEnv?: Record<string, string>;
    remoteControls?: number;
    remoteControlEnv?: Record<string, string>;
    /** Private servers in place of the machine's (suites that kill NATS, Postgres or Redis). */
    infraUrls?: Partial<InfraUrls>;
  } = {},
): Promise<Stack> {
  const infra = await createTestInfra(name, options.infraUrls);
  const threads: (ServiceProcess & { healthUrl: string })[] = [];
  const gateways: (ServiceProcess & { url: string })[] = [];
  const addThreadService = async (extraEnv: Record<string, string> = {}) => {
    const started = await startThreadService({ ...infra.env, ...options.threadEnv, ...extraEnv }, `thread-${threads.length}`);
    threads.push(started);
    return started;
  };
  const configs: ConfigProcess[] = [];
  // Each suite's tenants get listener ports of their own (suites run one after another), below
  // Linux's ephemeral range (32768 up), where any outgoing connection may hold a port.
  const grpcPortBase = 20_000 + Math.floor(Math.random() * 250) * 50;
  const addConfigService = async (extraEnv: Record<string, string> = {}) => {
    const started = await startConfigService(
      {
        ...infra.env,
        CONFIG_GRPC_PORT_BASE: String(grpcPortBase),
        CONFIG_GRPC_SYNC_MS: "500",
        ...options.configEnv,
        ...extraEnv,
      },
      `config-${configs.length}`,
    );
    configs.push(started);
    return started;
  };
  const remoteControls: RemoteControlProcess[] = [];
  const addRemoteControl = async (extraEnv: Record<string, string> = {}) => {
    const started = await startRemoteControlProcess(
      { ...infra.env, ...options.remoteControlEnv, ...extraEnv },
      `remote-control-${remoteControls.length}`,
    );
    remoteControls.push(started);
    return started;
  };
  try {
    for (let index = 0; index < (options.remoteControls ?? 0); index++) await addRemoteControl();
    const configCount = options.configs ?? 1;
    if (configCount > 0) await addConfigService();
    for (let index = 1; index < configCount; index++) await addConfigService();
    // The first instance migrates; start it alone so the others find the schema ready.
    const threadCount = options.threads ?? 1;
    if (threadCount > 0) await addThreadService();
    await Promise.all(Array.from({ length: Math.max(0, threadCount - 1) }, () => addThreadService()));
    for (let index = 0; index < (options.gateways ?? 1); index++) {
      gateways.push(await startGatewayProcess({ ...infra.env, ...options.gatewayEnv }, `gateway-${index}`));
    }
  } catch (error) {
    await Promise.all([...threads, ...configs, ...gateways, ...remoteControls].map((process) => process.crash()));
    await infra.dispose();
    throw error;
  }
  return {
    infra,
    threads,
    configs,
    addConfigService,
    grpcPortBase,
    gateways,
    url: `${gateways[0]?.url ?? ""}/`,
    addThreadService,
    remoteControls,
    addRemoteControl,
    async stop() {
      if (process.env.SWITCHYARD_TEST_SHOW_LOGS) {
        for (const service of [...threads, ...configs, ...gateways, ...remoteControls])
          console.log(`--- ${service.name}\n${service.output()}`);
      }
      await Promise.all(
        [...gateways, ...threads, ...configs, ...remoteControls].map((process) => process.stop().catch(() => process.crash())),
      );
      await infra.dispose();
    },
  };
}

/** Every result and notification received so far matched the official schema. */
export function assertConformant(): void {
  assert.deepEqual(conformance.failures, [], "responses and notifications must match the official Codex schema");
  assert.ok(conformance.checked > 0, "the suite received frames to check");
}

/** Operator access to the stack's config (what `switchyard config …` uses), on its database and prefix. */
export function openStackConfigAdmin(stack: Stack): Promise<ConfigAdmin> {
  return openConfigAdmin({
    databaseUrl: stack.infra.databaseUrl,
    redisUrl: stack.infra.env.REDIS_URL as string,
    busPrefix: stack.infra.busPrefix,
    deploymentDefault: { model: "gpt-5.2", modelProvider: "openai" },
    grpc: { portBase: stack.grpcPortBase, publicHost: "127.0.0.1" },
  });
}
