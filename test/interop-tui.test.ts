// Interop with the real client: the official Codex 0.171.0 TUI (`codex --remote`) in tmux, connected
// to a Switchyard gateway with a bearer token, against the scripted Responses provider. It starts a
// session, answers two prompts on screen, gives the thread its generated title (the TUI's ephemeral
// `thread_title` thread with a structured-output turn, then `thread/name/set`), quits with `/quit`,
// and `codex --remote … resume <threadId>` shows the whole conversation again.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CodexTestClient } from "./harness/client.js";
import { ensureCodexBinary, hasTmux, loopbackCodexHome } from "./harness/codex-binary.js";
import {
  lastUserText,
  type ScriptedResponses,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const workRoot = fileURLToPath(new URL("../.switchyard/interop", import.meta.url));
const TENANT = "tui-interop";
const SUBJECT = "tui-user";
/** What the provider answers the TUI's title request (a json_schema request) with. */
const TITLE = "Survey the tide pools";
const FIRST_PROMPT = "Which tide pools are near Monterey";
const SECOND_PROMPT = "And what lives in them";
const replyTo = (prompt: string) => `Hello from Switchyard's scripted provider. You said: ${prompt}`;
/** Anything the TUI shows when a call it made failed. */
const FAILURE_ON_SCREEN = /not supported|failed to|error/i;

const tmux = (...args: string[]) => execFileSync("tmux", args, { encoding: "utf8" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A pane's text, scrollback included, wrapped lines joined. */
const capture = (session: string) => tmux("capture-pane", "-p", "-J", "-S", "-300", "-t", session);
/** The screen's text lines (its logo art would only clutter CI logs). */
const textLines = (screen: string) =>
  screen
    .split("\n")
    .filter((line) => /[A-Za-z]/.test(line))
    .map((line) => line.trimEnd())
    .join("\n");

const isStructuredOutputRequest = (body: Record<string, unknown>) =>
  (body.text as { format?: { type?: string } } | undefined)?.format?.type === "json_schema";

describe("official Codex TUI against Switchyard", { skip: hasTmux() ? false : "tmux is not installed" }, () => {
  let stack: Stack;
  let provider: ScriptedResponses;
  let binary: string;
  let home: string;
  let workdir: string;
  const sessions: string[] = [];
  /** The thread the TUI started at start-up and talks in. */
  let threadId = "";
  /** How many of the steps below passed: each step goes on from the one before. */
  let passed = 0;
  const previousStepPassed = (step: number) => assert.equal(passed, step - 1, `step ${step - 1} must pass first`);

  /** Starts `codex --remote <gateway> --remote-auth-token-env SY_TOKEN [args]` in a new tmux session. */
  const launch = async (args: string[] = []): Promise<string> => {
    const session = `switchyard-tui-${process.pid}-${sessions.length}`;
    const token = await hs256Token({ tenant: TENANT, sub: SUBJECT });
    const command = [
      `cd '${workdir}' &&`,
      `CODEX_HOME='${home}' SY_TOKEN='${token}'`,
      "HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost",
      `'${binary}' --remote '${stack.url.replace(/\/$/, "")}' --remote-auth-token-env SY_TOKEN ${args.join(" ")};`,
      "echo TUI_EXITED=$?; sleep 600",
    ].join(" ");
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", command);
    sessions.push(session);
    return session;
  };

  /** Polls the pane until `ready(screen)`; on the deadline, fails with the screen's text. */
  const waitForScreen = async (
    session: string,
    what: string,
    ready: (screen: string) => boolean,
    timeoutMs = 20_000,
  ): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    let screen = capture(session);
    while (!ready(screen)) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the screen:\n${textLines(screen)}`);
      await sleep(200);
      screen = capture(session);
    }
    return screen;
  };

  /** Polls `check` until it returns a value other than undefined. */
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };

  /**
   * Types `prompt` into the composer and submits it. The composer takes keys that arrive in a burst
   * as a paste, where Enter is a newline; so Enter is pressed until the prompt reached the model (a
   * further Enter on a submitted, empty composer does nothing).
   */
  const submit = async (session: string, prompt: string) => {
    const reachedModel = () => provider.requests.some((body) => lastUserText(body).trim() === prompt);
    tmux("send-keys", "-t", session, "-l", prompt);
    await waitForScreen(session, `the composer to show "${prompt}"`, (screen) => screen.includes(prompt), 5_000);
    const deadline = Date.now() + 10_000;
    while (!reachedModel()) {
      if (Date.now() > deadline) assert.fail(`"${prompt}" never reached the model; the screen:\n${textLines(capture(session))}`);
      tmux("send-keys", "-t", session, "Enter");
      const pressedAt = Date.now();
      while (!reachedModel() && Date.now() - pressedAt < 1_500) await sleep(100);
    }
  };

  /** The start-up warnings' texts, read through the warnings view (f2), which is dismissed after. */
  const readWarnings = async (session: string, screen: string): Promise<string[]> => {
    const count = Number(/(\d+) warnings? · f2 to view/.exec(screen)?.[1] ?? 0);
    const warnings: string[] = [];
    if (count === 0) return warnings;
    tmux("send-keys", "-t", session, "F2");
    for (let index = 1; index <= count; index++) {
      const view = await waitForScreen(session, `warning ${index} of ${count}`, (text) =>
        text.includes(`Warnings · ${index} of ${count}`),
      );
      const lines = view.split("\n");
      const at = lines.findIndex((line) => line.includes(`Warnings · ${index} of ${count}`));
      const end = lines.findIndex((line, lineIndex) => lineIndex > at && line.includes("esc dismiss"));
      warnings.push(
        lines
          .slice(at + 1, end)
          .map((line) => line.trim())
          .join(" ")
          .trim(),
      );
      tmux("send-keys", "-t", session, index < count ? "Right" : "Escape");
    }
    await waitForScreen(session, "the warnings view to close", (text) => !text.includes("esc dismiss"), 5_000);
    return warnings;
  };

  const openClient = async () =>
    CodexTestClient.open(`${stack.url}`, { token: await hs256Token({ tenant: TENANT, sub: SUBJECT }), experimentalApi: true });

  before(async () => {
    // The TUI's title request asks for structured output: answer it with a known title; every other
    // request gets the default reply, which repeats the prompt.
    provider = await startScriptedResponses({
      stepFor: (body) => (isStructuredOutputRequest(body) ? { text: JSON.stringify({ title: TITLE }) } : undefined),
    });
    const providerToml = scriptedProviderToml(provider.baseUrl);
    stack = await startStack("interop", {
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      configEnv: { CONFIG_DEFAULT_MODEL_PROVIDERS: providerToml, SWITCHYARD_DEFAULT_MODEL_PROVIDER: "scripted" },
      threadEnv: { SWITCHYARD_DEFAULT_MODEL_PROVIDER: "scripted" },
    });
    binary = ensureCodexBinary("0.171.0");
    mkdirSync(workRoot, { recursive: true });
    home = loopbackCodexHome(mkdtempSync(join(workRoot, "home-")));
    workdir = mkdtempSync(join(workRoot, "work-"));
  });
  after(async () => {
    for (const session of sessions) {
      try {
        tmux("kill-session", "-t", session);
      } catch {
        // already gone
      }
    }
    await stack?.stop();
    await provider?.close();
    for (const folder of [home, workdir]) if (folder) rmSync(folder, { recursive: true, force: true });
  });

  test("codex --remote starts a session: initialize, account, config, thread/start, lists", async (t) => {
    const session = await launch();
    const screen = await waitForScreen(
      session,
      "the session header",
      (text) => text.includes("gpt-5.2") && text.includes("/workspace"),
      45_000,
    );
    t.diagnostic(textLines(screen));
    assert.match(screen, /OpenAI Codex/, "the TUI rendered its session header");
    assert.match(screen, /gpt-5\.2/, "it shows the deployment's default model from config/read");
    assert.match(screen, /\/workspace/, "and the thread's cwd from thread/start");
    assert.doesNotMatch(screen, FAILURE_ON_SCREEN, "no start-up call failed");
    // The TUI's thread/start reached the thread service under the token's tenant.
    const threads = await stack.infra.pool.query("SELECT id, thread_source, created_by FROM thread.threads WHERE tenant = $1", [
      TENANT,
    ]);
    const started = threads.rows.filter((row) => row.thread_source === "user" && row.created_by === SUBJECT);
    assert.equal(started.length, 1, JSON.stringify(threads.rows));
    threadId = started[0].id;
    // Start-up warnings (f2): at most the TUI's own about this machine (no bubblewrap here), never
    // one about the server, such as "A background Codex service is running v…, older than your Codex
    // CLI" (the TUI reads the server's version from initialize's userAgent).
    const warnings = await readWarnings(session, screen);
    t.diagnostic(`warnings:\n${warnings.join("\n")}`);
    for (const warning of warnings) assert.match(warning, /bubblewrap/, "only the machine's own start-up warnings");

    passed = 1;
  });

  test("a prompt typed into the TUI gets the provider's reply on screen", async (t) => {
    previousStepPassed(2);
    const [session] = sessions as [string];
    await submit(session, FIRST_PROMPT);
    const screen = await waitForScreen(session, "the first reply", (text) => text.includes(replyTo(FIRST_PROMPT)));
    t.diagnostic(textLines(screen));
    assert.ok(screen.indexOf(`› ${FIRST_PROMPT}`) < screen.indexOf(replyTo(FIRST_PROMPT)), "the prompt, then the reply");
    assert.doesNotMatch(screen, FAILURE_ON_SCREEN);
    const turns = await waitFor("the turn to be stored as completed", async () => {
      const { rows } = await stack.infra.pool.query(
        "SELECT status FROM thread.turns WHERE tenant = $1 AND thread_id = $2 ORDER BY started_at",
        [TENANT, threadId],
      );
      return rows.length === 1 && rows[0].status === "completed" ? rows : undefined;
    });
    assert.equal(turns.length, 1);
    passed = 2;
  });

  test("the first prompt gives the thread its generated title", async (t) => {
    previousStepPassed(3);
    const [session] = sessions as [string];
    // On screen: the footer shows the thread's name.
    const screen = await waitForScreen(session, "the title in the footer", (text) => text.includes(TITLE));
    t.diagnostic(textLines(screen));

    // The model was asked for the title with structured output, about the first prompt.
    const titleRequest = provider.requests.find(isStructuredOutputRequest);
    assert.ok(titleRequest, "the TUI ran its title turn with an outputSchema");
    assert.match(lastUserText(titleRequest), new RegExp(FIRST_PROMPT));

    // thread/name/set reached the thread service: the user's thread has the name.
    const named = await waitFor("the thread's name", async () => {
      const { rows } = await stack.infra.pool.query("SELECT name FROM thread.threads WHERE tenant = $1 AND id = $2", [
        TENANT,
        threadId,
      ]);
      return rows[0]?.name ?? undefined;
    });
    assert.equal(named, TITLE);

    // The title came from an ephemeral thread of its own (threadSource thread_title), which the TUI
    // left (thread/unsubscribe) once it had its answer, while it stays on its own thread.
    const { rows: titleThreads } = await stack.infra.pool.query(
      "SELECT id, is_ephemeral FROM thread.threads WHERE tenant = $1 AND thread_source = 'thread_title'",
      [TENANT],
    );
    assert.equal(titleThreads.length, 1);
    assert.equal(titleThreads[0].is_ephemeral, true);
    const titleThreadId: string = titleThreads[0].id;
    await waitFor("the TUI to unsubscribe from the title thread", async () => {
      const { rows } = await stack.infra.pool.query(
        "SELECT thread_id FROM thread.subscriptions WHERE tenant = $1 AND thread_id = ANY($2::uuid[])",
        [TENANT, [titleThreadId, threadId]],
      );
      const subscribed = rows.map((row) => row.thread_id);
      return !subscribed.includes(titleThreadId) && subscribed.includes(threadId) ? true : undefined;
    });

    // A client of the same user sees the name, and the title thread is not listed but readable.
    const client = await openClient();
    try {
      const read = await client.call("thread/read", { threadId });
      assert.equal(read.thread.name, TITLE);
      const listed = await client.call("thread/list", {});
      const listedIds = listed.data.map((thread: { id: string }) => thread.id);
      assert.ok(listedIds.includes(threadId), "the user's thread is listed");
      assert.ok(!listedIds.includes(titleThreadId), "the ephemeral title thread is not");
      const title = await client.call("thread/read", { threadId: titleThreadId, includeTurns: true });
      assert.equal(title.thread.ephemeral, true);
      assert.equal(title.thread.threadSource, "thread_title");
      const answer = title.thread.turns[0]?.items.find((item: { type: string }) => item.type === "agentMessage");
      assert.deepEqual(JSON.parse(answer?.text ?? "null"), { title: TITLE });
    } finally {
      await client.close();
    }
    passed = 3;
  });

  test("a second prompt gets its reply too", async (t) => {
    previousStepPassed(4);
    const [session] = sessions as [string];
    await submit(session, SECOND_PROMPT);
    const screen = await waitForScreen(session, "the second reply", (text) => text.includes(replyTo(SECOND_PROMPT)));
    t.diagnostic(textLines(screen));
    assert.ok(screen.includes(replyTo(FIRST_PROMPT)), "the first exchange is still on screen");
    assert.ok(screen.indexOf(replyTo(FIRST_PROMPT)) < screen.indexOf(`› ${SECOND_PROMPT}`));
    assert.doesNotMatch(screen, FAILURE_ON_SCREEN);
    // The model saw the whole conversation.
    const lastRequest = provider.requests.findLast((body) => lastUserText(body).trim() === SECOND_PROMPT);
    assert.match(JSON.stringify(lastRequest?.input), new RegExp(replyTo(FIRST_PROMPT)));
    await waitFor("both turns to be stored as completed", async () => {
      const { rows } = await stack.infra.pool.query("SELECT status FROM thread.turns WHERE tenant = $1 AND thread_id = $2", [
        TENANT,
        threadId,
      ]);
      return rows.length === 2 && rows.every((row) => row.status === "completed") ? true : undefined;
    });
    passed = 4;
  });

  test("/quit, then codex --remote … resume <threadId> shows the conversation", async (t) => {
    previousStepPassed(5);
    const [session] = sessions as [string];
    // `/quit` opens the slash-command popup; Enter runs it (pressed again if taken as a paste).
    tmux("send-keys", "-t", session, "-l", "/quit");
    await waitForScreen(session, "the /quit command in the popup", (screen) => /\/quit\s+exit Codex/.test(screen), 5_000);
    const deadline = Date.now() + 10_000;
    let quitScreen = capture(session);
    while (!quitScreen.includes("TUI_EXITED=")) {
      if (Date.now() > deadline) assert.fail(`the TUI did not quit; the screen:\n${textLines(quitScreen)}`);
      tmux("send-keys", "-t", session, "Enter");
      quitScreen = await waitForScreen(session, "the TUI to exit", (screen) => screen.includes("TUI_EXITED="), 1_500).catch(() =>
        capture(session),
      );
    }
    t.diagnostic(textLines(quitScreen));
    assert.match(quitScreen, /TUI_EXITED=0/);
    // The TUI tells how to come back to this very thread.
    assert.match(quitScreen, new RegExp(`resume ${threadId}`));
    // Its connection is gone, and with it its subscription.
    await waitFor("the TUI's subscription to end", async () => {
      const { rows } = await stack.infra.pool.query(
        "SELECT count(*)::int AS n FROM thread.subscriptions WHERE tenant = $1 AND thread_id = $2",
        [TENANT, threadId],
      );
      return rows[0].n === 0 ? true : undefined;
    });

    const resumed = await launch(["resume", threadId]);
    const screen = await waitForScreen(
      resumed,
      "the resumed conversation",
      (text) => text.includes(replyTo(FIRST_PROMPT)) && text.includes(replyTo(SECOND_PROMPT)) && text.includes(TITLE),
      45_000,
    );
    t.diagnostic(textLines(screen));
    const order = [`› ${FIRST_PROMPT}`, replyTo(FIRST_PROMPT), `› ${SECOND_PROMPT}`, replyTo(SECOND_PROMPT)].map((text) =>
      screen.indexOf(text),
    );
    assert.ok(
      order.every((at, index) => at >= 0 && (index === 0 || at > (order[index - 1] as number))),
      `both prompts and replies, in order: ${order.join(", ")}`,
    );
    assert.doesNotMatch(screen, FAILURE_ON_SCREEN, "no call of the resume failed");
    // It resumed the thread rather than starting another.
    const { rows } = await stack.infra.pool.query(
      "SELECT count(*)::int AS n FROM thread.threads WHERE tenant = $1 AND thread_source = 'user'",
      [TENANT],
    );
    assert.equal(rows[0].n, 1);
  });
});
