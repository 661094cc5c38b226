// The thread-config gRPC endpoint served to the real Codex runtime that consumes it
// (@openai/codex 0.148.0, the last release with the client), kept on loopback: an orchestrator sets
// a session model_provider for a cwd through the gateway, the binary is pointed at its tenant's
// endpoint, and its own thread/start and config/read show that session config. A runtime at
// another tenant's endpoint never sees it.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ConfigAdmin } from "../services/config/src/admin.js";
import { CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary, loopbackCodexHome } from "./harness/codex-binary.js";
import { openStackConfigAdmin, type Stack, startStack } from "./harness/stack.js";
import { StdioAppServer } from "./harness/stdio-app-server.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const CODEX_WITH_THREAD_CONFIG_CLIENT = "0.148.0";

/** A CODEX_HOME on loopback whose runtime loads session config from `endpoint`. */
const codexHome = (directory: string, endpoint: string) =>
  loopbackCodexHome(directory, { topLevel: [`experimental_thread_config_endpoint = "${endpoint}"`] });

async function waitForListener(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  for (let attempt = 0; attempt < 100; attempt++) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (isOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no listener at ${url}`);
}

describe("thread-config endpoint with the real Codex runtime", () => {
  let stack: Stack;
  let admin: ConfigAdmin;
  let binary: string;
  const servers: StdioAppServer[] = [];

  before(async () => {
    binary = ensureCodexBinary(CODEX_WITH_THREAD_CONFIG_CLIENT);
    stack = await startStack("interop-thread-config", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
    admin = await openStackConfigAdmin(stack);
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await admin?.close();
    await stack?.stop();
  });

  test("the binary's thread/start reports the orchestrator's session provider; config/read shows sessionFlags", async () => {
    const workspace = mkdtempSync(join(tmpdir(), "sy-thread-config-"));
    const cwd = join(workspace, "work");
    mkdirSync(cwd);
    const orchestrator = await CodexTestClient.open(stack.url, {
      token: await hs256Token({ tenant: "t-interop-a", sub: "orch", roles: ["orchestrator"] }),
    });
    await orchestrator.call("switchyard/sessionConfig/set", {
      cwd,
      config: {
        model_provider: "orchestrated",
        model_providers: {
          orchestrated: {
            name: "Orchestrated",
            base_url: "http://127.0.0.1:9/v1",
            wire_api: "responses",
            requires_openai_auth: false,
          },
        },
      },
    });
    const endpointA = await admin.endpointFor("t-interop-a");
    const endpointB = await admin.endpointFor("t-interop-b");
    assert.notEqual(endpointA, endpointB);
    await Promise.all([waitForListener(endpointA), waitForListener(endpointB)]);

    const runtimeA = await StdioAppServer.start(binary, { codexHome: codexHome(join(workspace, "home-a"), endpointA), cwd });
    servers.push(runtimeA);
    const started = await runtimeA.request("thread/start", { cwd });
    assert.equal(started.error, undefined, JSON.stringify(started.error));
    assert.equal(started.result.modelProvider, "orchestrated", runtimeA.log);
    const read = await runtimeA.request("config/read", { includeLayers: true, cwd });
    assert.equal(read.error, undefined, JSON.stringify(read.error));
    const session = read.result.layers.find((layer: { name: { type: string } }) => layer.name.type === "sessionFlags");
    assert.ok(session, `a sessionFlags layer: ${JSON.stringify(read.result.layers.map((l: { name: unknown }) => l.name))}`);
    assert.equal(session.config.model_provider, "orchestrated");

    // Tenant B's endpoint has no session config for this cwd: its runtime keeps its own provider.
    const runtimeB = await StdioAppServer.start(binary, { codexHome: codexHome(join(workspace, "home-b"), endpointB), cwd });
    servers.push(runtimeB);
    const elsewhere = await runtimeB.request("thread/start", { cwd });
    assert.equal(elsewhere.error, undefined, JSON.stringify(elsewhere.error));
    assert.equal(elsewhere.result.modelProvider, "loopback");
  });
});
