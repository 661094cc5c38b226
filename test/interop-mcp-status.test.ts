// mcpServerStatus/list and config/mcpServer/reload against the real `codex app-server` 0.171.0: the
// same MCP servers configured on both sides, the same calls, the answers compared whole. Codex tries
// to start each enabled server and reports why it could not; Switchyard starts none and says so, so
// that one text (an enabled server's `toolsError`) is compared by its prefix, every other field and
// refusal exactly.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type BesideCodex, besideCodexAsUser } from "./harness/beside-codex.js";
import { assertConformant } from "./harness/stack.js";

const SERVERS = {
  stdio: { command: "false" },
  remote: { url: "http://127.0.0.1:9/mcp" },
  bearer: { url: "https://u:p@mcp.example:8443/x?y=1", bearer_token_env_var: "MCP_PROBE_TOKEN" },
  off: { url: "http://127.0.0.1:9/off", enabled: false },
  "off-stdio": { command: "x", enabled: false },
};

describe("MCP server status beside codex app-server 0.171.0", () => {
  let side: BesideCodex;

  before(async () => {
    side = await besideCodexAsUser("mcp-status", { tenant: "t-mcp-status", subject: "ann" });
  });
  after(async () => {
    await side?.stop();
  });

  /** An answer with each enabled server's startup error cut to Codex's prefix (the reason differs by design). */
  const comparable = (reply: { result?: any; error?: any }) => {
    if (reply.error) {
      // A server that failed to start (Codex) or is not started (Switchyard): the same refusal, its reason cut.
      const message = reply.error.message.replace(
        /^(failed to get client: MCP startup failed: )(handshaking|this Switchyard).*$/s,
        "$1…",
      );
      return { error: { code: reply.error.code, message } };
    }
    if (!Array.isArray(reply.result?.data)) return { result: reply.result };
    const data = reply.result.data.map((server: { toolsError: string | null }) => ({
      ...server,
      toolsError:
        server.toolsError?.startsWith("MCP startup failed: handshaking") ||
        server.toolsError?.includes("does not start MCP servers")
          ? "MCP startup failed: …"
          : server.toolsError,
    }));
    return { result: { ...reply.result, data } };
  };
  async function same(method: string, params: unknown): Promise<any> {
    const theirs = await side.codex.request(method, params);
    const ours = await side.client.request(method, params);
    assert.deepEqual(comparable(ours), comparable(theirs), `${method} ${JSON.stringify(params)}`);
    return ours;
  }

  test("no servers: an empty page", async () => {
    const answer = await same("mcpServerStatus/list", {});
    assert.deepEqual(answer.result, { data: [], nextCursor: null });
  });

  test("configured servers: by name, their origin and authentication, pages, filters and refusals", async () => {
    const batch = {
      edits: Object.entries(SERVERS).map(([name, value]) => ({
        keyPath: `mcp_servers.${name}`,
        value,
        mergeStrategy: "replace",
      })),
    };
    assert.equal((await side.codex.request("config/batchWrite", batch)).error, undefined);
    await side.client.call("config/batchWrite", batch);

    const all = await same("mcpServerStatus/list", {});
    assert.deepEqual(
      all.result.data.map((server: { name: string; authStatus: string }) => [server.name, server.authStatus]),
      [
        ["bearer", "bearerToken"],
        ["off", "unsupported"],
        ["off-stdio", "unsupported"],
        ["remote", "unknown"],
        ["stdio", "unsupported"],
      ],
    );
    const bearer = all.result.data[0];
    assert.equal(bearer.httpOrigin, "https://mcp.example:8443");
    assert.equal(
      bearer.toolsError,
      "MCP startup failed: Environment variable MCP_PROBE_TOKEN for MCP server 'bearer' is not set",
    );
    for (const params of [
      { limit: 2 },
      { limit: 0 },
      { cursor: "2", limit: 2 },
      { cursor: "5" },
      { cursor: "6" },
      { cursor: "x" },
      { serverName: "remote" },
      { serverName: "nope" },
      { detail: "toolsAndAuthOnly" },
      { environmentId: "e" },
      { environmentId: "e", serverName: "remote" },
      { threadId: "00000000-0000-0000-0000-000000000000" },
    ]) {
      await same("mcpServerStatus/list", params);
    }
    assert.deepEqual((await same("config/mcpServer/reload", undefined)).result, {});
    assertConformant();
  });

  test("a thread's servers are those of its config", async () => {
    const theirs = await side.codex.request("thread/start", {});
    const ours = await side.client.call("thread/start", {});
    await same("mcpServerStatus/list", {}); // (the same servers either way)
    const theirList = await side.codex.request("mcpServerStatus/list", {
      threadId: theirs.result.thread.id,
      serverName: "stdio",
    });
    const ourList = await side.client.call("mcpServerStatus/list", { threadId: ours.thread.id, serverName: "stdio" });
    assert.deepEqual(comparable({ result: ourList }), comparable(theirList));
    assert.equal(ourList.data.length, 1);
    assert.equal(ourList.data[0].runtimeStatus, "failed");
    // A server's resources and tools need it running; its OAuth login needs it to be an HTTP one.
    for (const [method, params] of [
      ["mcpServer/resource/read", { server: "stdio", uri: "u" }],
      ["mcpServer/resource/read", { server: "nope", uri: "u" }],
      ["mcpServer/resource/read", { server: "bearer", uri: "u" }],
      ["mcpServer/tool/call", { server: "nope", tool: "t", threadId: "00000000-0000-0000-0000-000000000000" }],
      ["mcpServer/oauth/login", { name: "nope" }],
      ["mcpServer/oauth/login", { name: "stdio" }],
      ["mcpServer/tool/call", { server: "stdio" }],
      ["mcpServer/tool/call", {}],
      ["mcpServer/resource/read", {}],
      ["mcpServer/resource/read", { threadId: "00000000-0000-0000-0000-000000000000", server: "stdio", uri: "u" }],
    ] as const) {
      await same(method, params);
    }
    for (const server of ["stdio", "nope", "bearer", "off"]) {
      const theirCall = await side.codex.request("mcpServer/tool/call", { server, tool: "t", threadId: theirs.result.thread.id });
      const ourCall = await side.client.request("mcpServer/tool/call", { server, tool: "t", threadId: ours.thread.id });
      assert.deepEqual(comparable(ourCall), comparable(theirCall), server);
    }
    // Every server of the thread, a disabled one reported as such; a malformed thread id refused as Codex refuses it.
    const theirAll = await side.codex.request("mcpServerStatus/list", { threadId: theirs.result.thread.id });
    assert.deepEqual(
      comparable(await side.client.request("mcpServerStatus/list", { threadId: ours.thread.id })),
      comparable(theirAll),
    );
    await same("mcpServerStatus/list", { threadId: "bad" });
  });
});
