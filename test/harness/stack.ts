// A whole Switchyard on real infrastructure for one suite: its own database and bus prefix, any
// number of thread-service instances and gateways.
import assert from "node:assert/strict";
import { conformance } from "./conformance.js";
import { createTestInfra, type TestInfra } from "./infra.js";
import { type ServiceProcess, startGatewayProcess, startThreadService } from "./processes.js";

export interface Stack {
  infra: TestInfra;
  threads: (ServiceProcess & { healthUrl: string })[];
  gateways: (ServiceProcess & { url: string })[];
  /** The first gateway's URL. */
  url: string;
  addThreadService(extraEnv?: Record<string, string>): Promise<ServiceProcess & { healthUrl: string }>;
  stop(): Promise<void>;
}

export async function startStack(
  name: string,
  options: { threads?: number; gateways?: number; threadEnv?: Record<string, string>; gatewayEnv?: Record<string, string> } = {},
): Promise<Stack> {
  const infra = await createTestInfra(name);
  const threads: (ServiceProcess & { healthUrl: string })[] = [];
  const gateways: (ServiceProcess & { url: string })[] = [];
  const addThreadService = async (extraEnv: Record<string, string> = {}) => {
    const started = await startThreadService({ ...infra.env, ...options.threadEnv, ...extraEnv }, `thread-${threads.length}`);
    threads.push(started);
    return started;
  };
  try {
    // The first instance migrates; start it alone so the others find the schema ready.
    await addThreadService();
    await Promise.all(Array.from({ length: (options.threads ?? 1) - 1 }, () => addThreadService()));
    for (let index = 0; index < (options.gateways ?? 1); index++) {
      gateways.push(await startGatewayProcess({ ...infra.env, ...options.gatewayEnv }, `gateway-${index}`));
    }
  } catch (error) {
    await Promise.all([...threads, ...gateways].map((process) => process.crash()));
    await infra.dispose();
    throw error;
  }
  return {
    infra,
    threads,
    gateways,
    url: `${gateways[0]?.url ?? ""}/`,
    addThreadService,
    async stop() {
      if (process.env.SWITCHYARD_TEST_SHOW_LOGS) {
        for (const service of [...threads, ...gateways]) console.log(`--- ${service.name}\n${service.output()}`);
      }
      await Promise.all([...gateways, ...threads].map((process) => process.stop().catch(() => process.crash())));
      await infra.dispose();
    },
  };
}

/** Every result and notification received so far matched the official schema. */
export function assertConformant(): void {
  assert.deepEqual(conformance.failures, [], "responses and notifications must match the official Codex schema");
  assert.ok(conformance.checked > 0, "the suite received frames to check");
}
