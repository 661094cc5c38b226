// Interop with the real client: the official Codex 0.171.0 TUI (`codex --remote`) connects to a
// Switchyard gateway with a bearer token, completes its start-up sequence and shows a session.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ensureCodexBinary, hasTmux, loopbackCodexHome } from "./harness/codex-binary.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const workRoot = fileURLToPath(new URL("../.switchyard/interop", import.meta.url));
const session = `switchyard-tui-${process.pid}`;

const tmux = (...args: string[]) => execFileSync("tmux", args, { encoding: "utf8" });

describe("official Codex TUI against Switchyard", { skip: hasTmux() ? false : "tmux is not installed" }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack("interop", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
  });
  after(async () => {
    try {
      tmux("kill-session", "-t", session);
    } catch {
      // already gone
    }
    await stack?.stop();
  });

  test("codex --remote starts a session: initialize, account, config, thread/start, lists", async (t) => {
    const binary = ensureCodexBinary("0.171.0");
    execFileSync("mkdir", ["-p", workRoot]);
    const home = loopbackCodexHome(mkdtempSync(join(workRoot, "home-")));
    const workdir = mkdtempSync(join(workRoot, "work-"));
    const token = await hs256Token({ tenant: "tui-interop", sub: "tui-user" });
    const command = [
      `cd '${workdir}' &&`,
      `CODEX_HOME='${home}' SY_TOKEN='${token}'`,
      "HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost",
      `'${binary}' --remote '${stack.url.replace(/\/$/, "")}' --remote-auth-token-env SY_TOKEN; sleep 600`,
    ].join(" ");
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", command);

    let screen = "";
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      screen = tmux("capture-pane", "-p", "-t", session);
      if (screen.includes("gpt-5.2") && screen.includes("/workspace")) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // The screen's text lines (its logo art would only clutter CI logs).
    t.diagnostic(
      screen
        .split("\n")
        .filter((line) => /[A-Za-z]/.test(line))
        .join("\n"),
    );
    assert.match(screen, /OpenAI Codex/, "the TUI rendered its session header");
    assert.match(screen, /gpt-5\.2/, "it shows the deployment's default model from config/read");
    assert.match(screen, /\/workspace/, "and the thread's cwd from thread/start");
    assert.doesNotMatch(screen, /not supported|failed to|error/i, "no start-up call failed");

    // The TUI's thread/start reached the thread service under the token's tenant.
    const threads = await stack.infra.pool.query(
      "SELECT thread_source, created_by FROM thread.threads WHERE tenant = 'tui-interop'",
    );
    assert.ok(threads.rows.length >= 1);
    assert.ok(threads.rows.some((row) => row.thread_source === "user" && row.created_by === "tui-user"));
  });
});
