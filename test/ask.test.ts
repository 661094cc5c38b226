// `switchyard ask` end to end: the CLI as a child process against a real stack with the scripted
// provider; stdout holds only the agent's final message, a failed turn exits non-zero with its error.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, afterEach, before, describe, test } from "node:test";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", "packages/cli/src/main.ts", ...args],
      { env: { ...process.env, SWITCHYARD_URL: "", SWITCHYARD_TOKEN: "" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}

describe("switchyard ask", () => {
  let stack: Stack;
  let provider: ScriptedResponses;

  before(async () => {
    provider = await startScriptedResponses();
    stack = await startStack("ask", {
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      ...scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl)),
    });
  });
  after(async () => {
    await stack?.stop();
    await provider?.close();
  });
  afterEach(() => provider.clearScript());

  test("prints exactly the agent's final message and exits 0", async () => {
    const token = await hs256Token({ tenant: "ask-ok", sub: "asker" });
    provider.script({ text: "Four, as scripted.", chunks: 3 });
    const run = await runCli(["ask", "What is 2+2?", "--url", `${stack.url}/`, "--token", token]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Four, as scripted.\n");
    assert.match(run.stderr, /turn .* started/);
    const sent = provider.requests.at(-1) as { input: unknown[] };
    assert.match(JSON.stringify(sent.input), /What is 2\+2\?/);
  });

  test("reads the prompt from stdin when no argument is given", async () => {
    const token = await hs256Token({ tenant: "ask-stdin", sub: "asker" });
    provider.script({ text: "From stdin." });
    const run = await runCli(["ask", "--url", `${stack.url}/`, "--token", token], "the prompt on stdin\n");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "From stdin.\n");
    assert.match(JSON.stringify((provider.requests.at(-1) as { input: unknown[] }).input), /the prompt on stdin/);
  });

  test("a failed turn prints its error on stderr and exits non-zero", async () => {
    const token = await hs256Token({ tenant: "ask-fail", sub: "asker" });
    provider.script({ failStatus: 500 });
    const run = await runCli(["ask", "fail please", "--url", `${stack.url}/`, "--token", token]);
    assert.notEqual(run.code, 0);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /turn failed: .*high demand/);
  });
});
