// `pnpm build` produces self-contained bundles that run without tsx: the bundled config and thread
// services and gateway serve requests end to end (config/read, thread/start through the config
// service, a write) and shut down cleanly.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CodexTestClient } from "./harness/client.js";
import { createTestInfra, type TestInfra } from "./harness/infra.js";
import { freePort } from "./harness/ports.js";
import { type ServiceProcess, startConfigService, startGatewayProcess, startThreadService } from "./harness/processes.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

describe("production bundles", () => {
  let infra: TestInfra;
  const processes: ServiceProcess[] = [];
  before(async () => {
    // `pnpm test` built the bundles from these sources moments ago (SWITCHYARD_TEST_BUNDLES); run
    // alone, this suite builds them itself.
    if (process.env.SWITCHYARD_TEST_BUNDLES !== "1") {
      execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: repoRoot, stdio: "ignore" });
    }
    infra = await createTestInfra("bundles");
  });
  after(async () => {
    await Promise.all(processes.map((child) => child.crash()));
    await infra?.dispose();
  });

  test("bundled services migrate, serve, and stop with exit code 0", async () => {
    const config = await startConfigService(
      {
        ...infra.env,
        CONFIG_GRPC_DEFAULT_TENANT: "default",
        CONFIG_GRPC_PORT_BASE: String(await freePort()),
      },
      "config-bundle",
      "services/config/dist/main.js",
    );
    processes.push(config);
    // The .proto the gRPC endpoint loads at run time is found beside the bundle.
    assert.equal(config.threadConfigEndpoints.length, 1);
    const thread = await startThreadService(infra.env, "thread-bundle", "services/thread/dist/main.js");
    processes.push(thread);
    const gateway = await startGatewayProcess(infra.env, "gateway-bundle", "services/gateway/dist/main.js");
    processes.push(gateway);
    const client = await CodexTestClient.open(`${gateway.url}/`);
    assert.equal((await client.call("config/read", {})).config.model_provider, "openai");
    const { thread: created } = await client.call("thread/start", {});
    assert.deepEqual(await client.call("thread/name/set", { threadId: created.id, name: "bundled" }), {});
    assert.equal((await client.call("thread/read", { threadId: created.id })).thread.name, "bundled");
    // A gateway shutting down tells its clients it is going away, so they reconnect elsewhere.
    assert.equal(await gateway.stop(), 0);
    assert.equal(await client.closed, 1001);
    assert.equal(await thread.stop(), 0);
    assert.equal(await config.stop(), 0);
  });
});
