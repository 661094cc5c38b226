import { CodexTestClient } from "./harness/client.js";
import { startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const stack = await startStack("exp", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
try {
  const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: "bench", sub: "u0" }) });
  const { thread } = await client.call("thread/start", { cwd: "/w" });
  const measure = async (method: string, params: unknown) => {
    const times: number[] = [];
    for (let i = 0; i < 400; i++) {
      const t = performance.now();
      await client.call(method, params);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(method, "p50", times[200]?.toFixed(3), "p90", times[360]?.toFixed(3));
  };
  for (let round = 0; round < 2; round++) {
    await measure("config/read", { cwd: "/workspace/bench" });
    await measure("thread/read", { threadId: thread.id });
    await measure("thread/name/set", { threadId: thread.id, name: "x" });
    await measure("configRequirements/read", {});
  }
} finally {
  await stack.stop();
}
