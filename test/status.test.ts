// `switchyard status` against a running system: every service kind with its instances, the age of
// the oldest queued keyed command, and a non-zero exit (naming what is missing) when a kind has no
// live instance.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CodexTestClient } from "./harness/client.js";
import { type Stack, startStack } from "./harness/stack.js";
import { TEST_HS256_SECRET } from "./harness/tokens.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

interface StatusRun {
  code: number | null;
  report: {
    redis?: { instances: { service: string }[] };
    nats?: { lanes: { service: string; consumers: { name: string; oldestAgeMs?: number }[] }[] };
  };
  stderr: string;
}

function runStatus(stack: Stack, extraArgs: string[] = []): Promise<StatusRun> {
  const child = spawn(process.execPath, ["--import", "tsx", "packages/cli/src/main.ts", "status", "--json", ...extraArgs], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NATS_URL: stack.infra.env.NATS_URL,
      DATABASE_URL: stack.infra.databaseUrl,
      REDIS_URL: stack.infra.env.REDIS_URL,
      SWITCHYARD_BUS_PREFIX: stack.infra.busPrefix,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      try {
        resolve({ code, report: JSON.parse(stdout), stderr });
      } catch (error) {
        reject(new Error(`status printed no JSON (exit ${code}): ${stdout}\n${stderr}\n${error}`));
      }
    });
  });
}

describe("switchyard status", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack("status", {
      threads: 1,
      configs: 1,
      gateways: 1,
      remoteControls: 1,
      remoteControlEnv: { REMOTE_CONTROL_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
  });
  after(async () => stack?.stop());

  test("every service kind is listed with its instances; exit 0 when each has one", async () => {
    const run = await runStatus(stack);
    assert.equal(run.code, 0, run.stderr);
    const kinds = (run.report.redis?.instances ?? []).map((instance) => instance.service).sort();
    assert.deepEqual(kinds, ["config", "gateway", "remote-control", "thread"]);
  });

  test("the oldest queued keyed command's age is shown while its partition waits", async () => {
    const client = await CodexTestClient.open(stack.url);
    const { thread } = await client.call("thread/start", {});
    const [threadService] = stack.threads;
    assert.ok(threadService);
    threadService.child.kill("SIGSTOP");
    try {
      const rename = client.request("thread/name/set", { threadId: thread.id, name: "waiting" });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const run = await runStatus(stack);
      const lane = run.report.nats?.lanes.find((candidate) => candidate.service === "thread");
      const ages = (lane?.consumers ?? []).map((consumer) => consumer.oldestAgeMs ?? -1);
      assert.ok(Math.max(...ages) >= 1_000, `a partition shows its queued command's age: ${JSON.stringify(lane?.consumers)}`);
      threadService.child.kill("SIGCONT");
      assert.deepEqual((await rename).result, {}, "the command runs once the instance wakes");
    } finally {
      threadService.child.kill("SIGCONT");
      await client.close();
    }
  });

  test("a service kind without a live instance: exit 1, naming it", async () => {
    const [config] = stack.configs;
    assert.ok(config);
    assert.equal(await config.stop(), 0);
    const run = await runStatus(stack);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no config instance is running/);
    const infraOnly = await runStatus(stack, ["--infra"]);
    assert.equal(infraOnly.code, 0, `--infra judges NATS, Postgres and Redis only: ${infraOnly.stderr}`);
  });
});
