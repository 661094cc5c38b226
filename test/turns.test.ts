// Turns end to end, on two gateways and two thread-service instances, against the scripted
// Responses-API provider (real HTTP + SSE): Codex's notification order, items stored as they
// complete (read back by thread/read, thread/turns/list and a later resume), turn/start while a turn
// runs, steer and interrupt on whichever instance runs the turn, every failure ending (provider
// error, stream cut, a provider that never answers, kill -9 of the running instance), dynamic tools
// round trip through a client, structured output, compaction, and the local-only methods.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { CodexTestClient, type Notification } from "./harness/client.js";
import { type ScriptedResponses, scriptedProviderToml, startScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const LEASE_MS = 3_000;
const text = (value: string) => ({ type: "text", text: value, text_elements: [] });

/** The notifications of one turn of `threadId`, in order, up to its turn/completed. */
async function turnOf(client: CodexTestClient, threadId: string, turnId: string, timeoutMs = 20_000): Promise<Notification[]> {
  await client.waitForNotification((n) => n.method === "turn/completed" && n.params.turn.id === turnId, timeoutMs);
  // thread/readState/changed goes to the tenant, on another subject: its place among these is not fixed.
  const all = client.notifications.filter((n) => n.params?.threadId === threadId && n.method !== "thread/readState/changed");
  const start = all.findIndex((n) => n.method === "turn/started" && n.params.turn.id === turnId);
  const end = all.findIndex((n) => n.method === "turn/completed" && n.params.turn.id === turnId);
  // thread/status/changed active comes right before turn/started.
  return all.slice(Math.max(0, start - 1), end + 1);
}

/** Method names with item types, repeats collapsed (deltas). */
function shape(notifications: Notification[]): string[] {
  const names = notifications.map((n) =>
    n.method === "item/started" || n.method === "item/completed"
      ? `${n.method}:${n.params.item.type}`
      : n.method === "thread/status/changed"
        ? `${n.method}:${n.params.status.type}`
        : n.method,
  );
  return names.filter((name, index) => name !== names[index - 1]);
}

describe("turns", () => {
  let stack: Stack;
  let provider: ScriptedResponses;
  const open = async (tenant: string, gateway = 0) =>
    CodexTestClient.open(`${stack.gateways[gateway]?.url}/`, {
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
      experimentalApi: true,
    });
  const startThread = async (client: CodexTestClient, params: Record<string, unknown> = {}) =>
    (await client.call("thread/start", params)).thread.id as string;

  before(async () => {
    provider = await startScriptedResponses();
    const providerToml = [
      scriptedProviderToml(provider.baseUrl),
      // The same server as a provider with retries, its own query parameters and headers, and a key
      // from the tenant's secrets.
      "[model_providers.keyed]",
      'name = "Keyed"',
      `base_url = "${provider.baseUrl}"`,
      "request_max_retries = 2",
      "stream_max_retries = 0",
      'env_key = "KEYED_API_KEY"',
      'query_params = { "api-version" = "2026-01-01" }',
      'http_headers = { "X-Static" = "static-value" }',
      'env_http_headers = { "X-From-Secret" = "KEYED_HEADER" }',
    ].join("\n");
    stack = await startStack("turns", {
      threads: 2,
      gateways: 2,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      configEnv: { CONFIG_DEFAULT_MODEL_PROVIDERS: providerToml, SWITCHYARD_DEFAULT_MODEL_PROVIDER: "scripted" },
      threadEnv: {
        THREAD_TURN_LEASE_MS: String(LEASE_MS),
        SWITCHYARD_DEFAULT_MODEL_PROVIDER: "scripted",
        THREAD_TOOL_CALL_TIMEOUT_MS: "5000",
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await provider?.close();
  });
  // A step a test did not use (a sampling it raced past) must not answer the next test's turn.
  afterEach(() => provider.clearScript());

  test("the model sees a long thread's history in its order (item 10 after item 9, not after item 1)", async () => {
    const client = await open("t-long-history");
    const threadId = await startThread(client);
    const texts = Array.from({ length: 12 }, (_, index) => `message number ${index}`);
    await client.call("thread/inject_items", {
      threadId,
      items: texts.map((value) => ({ type: "message", role: "user", content: [{ type: "input_text", text: value }] })),
    });
    const started = await client.call("turn/start", { threadId, input: [text("and the last one")] });
    const turn = await turnOf(client, threadId, started.turn.id);
    assert.equal((turn.at(-1) as Notification).params.turn.status, "completed");
    const input = JSON.stringify(provider.requests.at(-1)?.input);
    const positions = [...texts, "and the last one"].map((value) => input.indexOf(value));
    assert.ok(
      positions.every((position) => position >= 0),
      "every message reached the model",
    );
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      "in the thread's order",
    );
  });

  test("a turn streams in Codex's order to every subscriber and is stored as it completes", async () => {
    const [owner, watcher] = await Promise.all([open("t-order", 0), open("t-order", 1)]);
    const threadId = await startThread(owner);
    // Read (and so cached by each gateway) before the turn: what the turn stores must replace it. A
    // thread nothing is recorded about has no history to read yet, nor can it be resumed (as in
    // Codex): named, it has and can.
    const fresh = await owner.request("thread/read", { threadId, includeTurns: true });
    assert.deepEqual(
      { code: fresh.error?.code, message: fresh.error?.message },
      { code: -32601, message: "list_turns is not supported yet" },
    );
    await owner.call("thread/name/set", { threadId, name: "in order" });
    await watcher.call("thread/resume", { threadId });
    for (const client of [owner, watcher]) {
      assert.deepEqual((await client.call("thread/read", { threadId, includeTurns: true })).thread.turns, []);
    }
    provider.script({ text: "The scripted answer, in parts.", chunks: 5, reasoningSummary: "Thinking it over" });
    const heardBefore = owner.received.length;
    const started = await owner.call("turn/start", { threadId, input: [text("hello there")] });
    assert.equal(started.turn.status, "inProgress");
    assert.deepEqual(started.turn.items, []);
    const turnId = started.turn.id as string;
    // Both gateways keep reading while the turn runs (their caches refill between its writes).
    const isCompleted = (client: CodexTestClient) =>
      client.notifications.some((n) => n.method === "turn/completed" && n.params.turn.id === turnId);
    const polls = [owner, watcher].map(async (client) => {
      while (!isCompleted(client)) await client.call("thread/read", { threadId, includeTurns: true });
    });

    for (const client of [owner, watcher]) {
      const turn = await turnOf(client, threadId, turnId);
      assert.deepEqual(shape(turn), [
        "thread/status/changed:active",
        "turn/started",
        "item/started:userMessage",
        "item/completed:userMessage",
        "item/started:reasoning",
        "item/reasoning/summaryPartAdded",
        "item/reasoning/summaryTextDelta",
        "item/completed:reasoning",
        "item/started:agentMessage",
        "item/agentMessage/delta",
        "item/completed:agentMessage",
        "thread/tokenUsage/updated",
        "thread/status/changed:idle",
        "turn/completed",
      ]);
      const deltas = turn.filter((n) => n.method === "item/agentMessage/delta").map((n) => n.params.delta);
      assert.ok(deltas.length >= 2, "the reply arrived in several deltas");
      assert.equal(deltas.join(""), "The scripted answer, in parts.");
      const completed = turn.at(-1) as Notification;
      assert.equal(completed.params.turn.status, "completed");
      assert.equal(completed.params.turn.items[0].text, "The scripted answer, in parts.");
      const usage = turn.find((n) => n.method === "thread/tokenUsage/updated");
      assert.ok(usage && usage.params.tokenUsage.total.totalTokens > 0);
      // As Codex: every usage update is followed by the account's rate limits (the provider sent none).
      const rateLimits = client.notifications[client.notifications.indexOf(usage) + 1];
      assert.equal(rateLimits?.method, "account/rateLimits/updated");
      assert.deepEqual(rateLimits?.params.rateLimits, {
        limitId: "codex",
        limitName: null,
        normalModelSlug: null,
        primary: null,
        secondary: null,
        credits: null,
        individualLimit: null,
        spendControlReached: null,
        planType: null,
        rateLimitReachedType: null,
      });
      // Read back through this client's gateway right after turn/completed: the stored turn, idle.
      const afterTurn = await client.call("thread/read", { threadId, includeTurns: true });
      assert.deepEqual(afterTurn.thread.status, { type: "idle" });
      assert.deepEqual(
        afterTurn.thread.turns.map((entry: { id: string; status: string }) => [entry.id, entry.status]),
        [[turnId, "completed"]],
      );
    }
    await Promise.all(polls);
    // Codex answers turn/start before the turn's first notification.
    assert.deepEqual(
      owner.received.slice(heardBefore, heardBefore + 2).map((heard) => `${heard.kind} ${heard.method}`),
      ["result turn/start", "notification thread/status/changed"],
    );
    // Codex marks the thread unread from its first unread turn; the TUI answers with thread/readState/update.
    const unread = await owner.waitForNotification(
      (n) => n.method === "thread/readState/changed" && n.params.threadId === threadId,
    );
    assert.deepEqual(unread.params.readState.firstUnread, { type: "turn", turnId });
    const read = await owner.call("thread/readState/update", {
      threadId,
      operation: { type: "read" },
      expectedRevision: unread.params.readState.revision,
    });
    assert.equal(read.readState.firstUnread, null);
    // The model saw the user's text.
    assert.match(JSON.stringify(provider.requests.at(-1)?.input), /hello there/);

    const stored = await owner.call("thread/read", { threadId, includeTurns: true });
    assert.equal(stored.thread.turns.length, 1);
    assert.equal(stored.thread.turns[0].status, "completed");
    assert.deepEqual(
      stored.thread.turns[0].items.map((item: { type: string }) => item.type),
      ["userMessage", "reasoning", "agentMessage"],
    );
    assert.equal(stored.thread.preview, "hello there");
    const listed = await owner.call("thread/turns/list", { threadId });
    assert.equal(listed.data[0].id, turnId);
    assert.equal(listed.data[0].status, "completed");

    // A second turn carries the first one's history to the model (its answer streamed over 80 ms).
    provider.script({ text: "Second answer.", delayMs: 80 });
    const second = await owner.call("turn/start", { threadId, input: [text("and again")] });
    await turnOf(owner, threadId, second.turn.id);
    const input = JSON.stringify(provider.requests.at(-1)?.input);
    assert.match(input, /hello there/);
    assert.match(input, /The scripted answer, in parts\./);
    assert.match(input, /and again/);

    // A later client resuming the thread gets its history.
    const later = await open("t-order", 1);
    const resumed = await later.call("thread/resume", { threadId });
    assert.equal(resumed.thread.turns.length, 2);
    assert.equal(resumed.thread.turns[1].items.at(-1).text, "Second answer.");
    // As Codex 0.171.0: the collaboration mode, no initial page unless asked for, and cursors that
    // page the history back from its newest turn and item (each included).
    assert.deepEqual(resumed.collaborationMode, {
      mode: "default",
      settings: { model: resumed.model, reasoning_effort: null, developer_instructions: null },
    });
    assert.equal(resumed.initialTurnsPage, null);
    const back = await later.call("thread/turns/list", { threadId, cursor: resumed.turnsBackwardsCursor, sortDirection: "desc" });
    assert.deepEqual(
      back.data.map((entry: { id: string }) => entry.id),
      [second.turn.id, turnId],
    );
    const backItems = await later.call("thread/items/list", { threadId, cursor: resumed.itemsBackwardsCursor, limit: 1 });
    assert.equal(backItems.data[0].item.text, "Second answer.");
    // An entry's times are its item's, as Codex's are (the answer started well before it was stored).
    assert.ok(backItems.data[0].item.startedAtMs < backItems.data[0].item.completedAtMs - 40);
    assert.equal(backItems.data[0].startedAtMs, backItems.data[0].item.startedAtMs);
    assert.equal(backItems.data[0].completedAtMs, backItems.data[0].item.completedAtMs);
    const paged = await later.call("thread/resume", { threadId, excludeTurns: true, initialTurnsPage: { limit: 1 } });
    assert.deepEqual(paged.thread.turns, []);
    // The page thread/turns/list answers for the same request (newest first, in summary).
    assert.deepEqual(paged.initialTurnsPage, await later.call("thread/turns/list", { threadId, limit: 1 }));
    assert.equal(paged.initialTurnsPage.data[0].id, second.turn.id);
    assert.equal(paged.initialTurnsPage.data[0].itemsView, "summary");
    for (const client of [owner, watcher, later]) client.socket.close();
  });

  test("turn/start while a turn runs joins it; steer, interrupt and settings updates reach the running turn", async () => {
    const client = await open("t-control", 1);
    const threadId = await startThread(client);
    // Input that joins the turn abandons the model call in flight and asks again with it (as Codex
    // 0.171.0): the joined input cuts the first call short, the steer the second, and the third answers.
    provider.script(
      { text: "slow reply", chunks: 4, delayMs: 1_000 },
      { text: "slow reply again", chunks: 4, delayMs: 1_000 },
      { text: "the answer" },
    );
    const asked = provider.requests.length;
    /** Until the provider has been asked `count` times in this test: each input then cuts a call short. */
    const calls = async (count: number) => {
      for (const deadline = Date.now() + 10_000; provider.requests.length - asked < count && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const first = await client.call("turn/start", { threadId, input: [text("first")] });
    await calls(1);
    const joined = await client.call("turn/start", { threadId, input: [text("added while running")] });
    assert.equal(joined.turn.id, first.turn.id, "the running turn answers turn/start");

    const wrongSteer = await client.request("turn/steer", { threadId, expectedTurnId: "nope", input: [text("s")] });
    assert.equal(wrongSteer.error?.message, `expected active turn id \`nope\` but found \`${first.turn.id}\``);
    const wrongInterrupt = await client.request("turn/interrupt", { threadId, turnId: "nope" });
    assert.equal(wrongInterrupt.error?.message, `expected active turn id nope but found ${first.turn.id}`);
    await calls(2);
    const steered = await client.call("turn/steer", { threadId, expectedTurnId: first.turn.id, input: [text("steered in")] });
    assert.equal(steered.turnId, first.turn.id);

    const turn = await turnOf(client, threadId, first.turn.id);
    assert.equal(turn.at(-1)?.params.turn.status, "completed", JSON.stringify(turn.at(-1)?.params.turn.error));
    const users = turn.filter((n) => n.method === "item/completed" && n.params.item.type === "userMessage");
    assert.deepEqual(
      users.map((n) => n.params.item.content[0].text),
      ["first", "added while running", "steered in"],
    );
    assert.match(JSON.stringify(provider.requests.at(-1)?.input), /steered in/, "the next model request had the steered input");
    assert.equal(provider.requests.length - asked, 3, "each input cut the call in flight short");
    assert.deepEqual(
      turn.filter((n) => n.method === "item/completed" && n.params.item.type === "agentMessage").map((n) => n.params.item.text),
      ["the answer"],
      "nothing of an abandoned call is kept",
    );

    // No turn running now: Codex's texts.
    assert.equal(
      (await client.request("turn/steer", { threadId, expectedTurnId: first.turn.id, input: [text("x")] })).error?.message,
      "no active turn to steer",
    );
    assert.equal(
      (await client.request("turn/interrupt", { threadId, turnId: first.turn.id })).error?.message,
      "no active turn to interrupt",
    );

    // Interrupts, sent through the other gateway (any thread instance admits them). Codex leaves the
    // read state alone for an interrupted turn (no thread/readState/changed).
    const other = await open("t-control", 0);
    await other.call("thread/resume", { threadId });
    const readStates = () =>
      client.notifications.filter((n) => n.method === "thread/readState/changed" && n.params.threadId === threadId).length;
    await client.waitForNotification((n) => n.method === "thread/readState/changed" && n.params.threadId === threadId);
    const readStatesBefore = readStates();
    for (let round = 0; round < 3; round++) {
      provider.script({ text: "never finished", chunks: 3, delayMs: 10_000 });
      const running = await client.call("turn/start", { threadId, input: [text(`interrupt me ${round}`)] });
      await client.waitForNotification((n) => n.method === "turn/started" && n.params.turn.id === running.turn.id);
      // turn/settings/update finds the running turn from any gateway, and only for its own tenant.
      const update = { threadId, turnId: running.turn.id, approvalsReviewer: "user" };
      if (round === 0) {
        assert.deepEqual(await other.call("turn/settings/update", update), { status: "applied" });
        const stranger = await open("t-control-stranger", 0);
        assert.equal((await stranger.request("turn/settings/update", update)).error?.message, `thread not found: ${threadId}`);
        stranger.socket.close();
      }
      assert.deepEqual(await other.call("turn/interrupt", { threadId, turnId: running.turn.id }), {});
      const ended = await turnOf(client, threadId, running.turn.id);
      if (round === 0) assert.deepEqual(await other.call("turn/settings/update", update), { status: "targetUnavailable" });
      assert.deepEqual(shape(ended).slice(-2), ["thread/status/changed:idle", "turn/completed"]);
      assert.equal(ended.at(-1)?.params.turn.status, "interrupted");
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(readStates(), readStatesBefore, "an interrupted turn changes no read state");
    // Turn control on a thread that is not there: Codex's words.
    const unknown = "0199a8f0-0000-7000-8000-00000000dead";
    assert.equal(
      (await client.request("turn/interrupt", { threadId: unknown, turnId: "x" })).error?.message,
      `thread not found: ${unknown}`,
    );
    client.socket.close();
    other.socket.close();
  });

  test("failures end the turn as failed with Codex's error notification, never stuck in progress", async () => {
    const client = await open("t-fail", 0);
    const threadId = await startThread(client);
    const cases = [
      {
        step: { failStatus: 500 },
        message: "We’re currently experiencing high demand, which may cause temporary errors.",
        info: "internalServerError",
      },
      { step: { failStatus: 400 }, message: /scripted failure 400/, info: "other" },
      {
        step: { text: "cut cut cut cut", chunks: 4, cutAfterDeltas: 2 },
        message: /^stream disconnected before completion/,
        info: "other",
      },
      { step: { stall: true }, message: /idle timeout/, info: "other" },
    ];
    for (const { step, message, info } of cases) {
      provider.script(step);
      const started = await client.call("turn/start", { threadId, input: [text(`case ${JSON.stringify(step)}`)] });
      const turn = await turnOf(client, threadId, started.turn.id);
      assert.deepEqual(
        shape(turn).slice(-3),
        ["thread/status/changed:systemError", "error", "turn/completed"],
        JSON.stringify(step),
      );
      const error = turn.find((n) => n.method === "error")?.params;
      assert.equal(error.willRetry, false);
      if (typeof message === "string") assert.equal(error.error.message, message);
      else assert.match(error.error.message, message);
      assert.equal(error.error.codexErrorInfo, info);
      assert.equal(turn.at(-1)?.params.turn.status, "failed");
      assert.deepEqual(turn.at(-1)?.params.turn.error, error.error);
    }
    // The thread takes new turns after failures, and a turn with empty input is a real turn.
    provider.script({ text: "fine again" });
    const empty = await client.call("turn/start", { threadId, input: [] });
    const turn = await turnOf(client, threadId, empty.turn.id);
    assert.equal(turn.at(-1)?.params.turn.status, "completed");
    assert.ok(!shape(turn).includes("item/started:userMessage"), "empty input stores no user message");
    const listed = await client.call("thread/turns/list", { threadId, limit: 10 });
    assert.ok(listed.data.every((entry: { status: string }) => entry.status !== "inProgress"));
    client.socket.close();
  });

  test("kill -9 of the instance running a turn: another instance closes it as failed within the lease", async () => {
    const client = await open("t-crash", 1);
    const threadId = await startThread(client);
    provider.script({ text: "this never arrives", chunks: 2, delayMs: 60_000 });
    const started = await client.call("turn/start", { threadId, input: [text("run on a doomed instance")] });
    await client.waitForNotification((n) => n.method === "turn/started" && n.params.turn.id === started.turn.id);
    // Kill only once the doomed request reached the provider: killed sooner, its scripted step would
    // stay queued and answer (by stalling) the survivor's turn below.
    for (let waited = 0; !JSON.stringify(provider.requests.at(-1)?.input ?? "").includes("doomed instance"); waited += 20) {
      assert.ok(waited < 5_000, "the running instance asked the provider");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const owner = await stack.infra.pool.query("SELECT owner FROM thread.turns WHERE id = $1", [started.turn.id]);
    const victim = stack.threads.find((service) => service.output().includes(owner.rows[0].owner));
    assert.ok(victim, `the instance running the turn (${owner.rows[0].owner}) is one of the stack's`);
    const killedAt = Date.now();
    await victim.crash();
    const turn = await turnOf(client, threadId, started.turn.id, LEASE_MS * 4);
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs < LEASE_MS * 3, `closed ${tookMs} ms after the kill`);
    assert.deepEqual(shape(turn).slice(-3), ["thread/status/changed:systemError", "error", "turn/completed"]);
    assert.match(turn.find((n) => n.method === "error")?.params.error.message, /stopped/);
    assert.equal(turn.at(-1)?.params.turn.status, "failed");
    // The thread works on the surviving instance.
    provider.script({ text: "survivor answers" });
    const next = await client.call("turn/start", { threadId, input: [text("still there?")] });
    const survived = (await turnOf(client, threadId, next.turn.id)).at(-1)?.params.turn;
    assert.equal(survived?.status, "completed", JSON.stringify(survived?.error));
    await stack.addThreadService();
    client.socket.close();
  });

  test("SIGTERM of the instance running a turn: it ends the turn as failed, with its notifications, before it exits", async () => {
    const client = await open("t-shutdown", 1);
    const threadId = await startThread(client);
    // A reply that keeps streaming (under the idle timeout) for longer than the shutdown grace.
    provider.script({ generatedDeltas: { count: 120, gapMs: 100, makeDelta: () => "more " } });
    const started = await client.call("turn/start", { threadId, input: [text("run on an instance being stopped")] });
    await client.waitForNotification((n) => n.method === "turn/started" && n.params.turn.id === started.turn.id);
    const owner = await stack.infra.pool.query("SELECT owner FROM thread.turns WHERE id = $1", [started.turn.id]);
    const stopping = stack.threads.find((service) => service.output().includes(owner.rows[0].owner));
    assert.ok(stopping, `the instance running the turn (${owner.rows[0].owner}) is one of the stack's`);
    const [exitCode, turn] = await Promise.all([stopping.stop(), turnOf(client, threadId, started.turn.id, 20_000)]);
    assert.equal(exitCode, 0, "a clean exit, within the shutdown timeout");
    assert.equal(turn.at(-1)?.params.turn.status, "failed");
    assert.match(
      turn.find((n) => n.method === "error")?.params.error.message,
      /shut down before it finished/,
      "the instance ended the turn itself, not another instance's sweeper after the lease",
    );
    await stack.addThreadService();
    client.socket.close();
  });

  test("the usage a turn announces names the context window as Codex does: 95% of the config's, else of Codex's fallback", async () => {
    const client = await open("t-window");
    /** A turn on a new thread: the thread and the window each of its usage updates named (at least one). */
    const turnWindows = async (prompt: string) => {
      const threadId = await startThread(client);
      const started = await client.call("turn/start", { threadId, input: [text(prompt)] });
      const heard = (await turnOf(client, threadId, started.turn.id)).filter((n) => n.method === "thread/tokenUsage/updated");
      assert.ok(heard.length > 0);
      return { threadId, windows: new Set(heard.map((n) => n.params.tokenUsage.modelContextWindow)) };
    };
    // Codex 0.171.0 reports 258,400 (95% of 272,000) for a model it has no metadata for.
    assert.deepEqual((await turnWindows("no window")).windows, new Set([258_400]));
    // And 95% of the configured window, rounded down (Codex: 95,018 for 100,019).
    await client.call("config/value/write", { keyPath: "model_context_window", value: 100_019, mergeStrategy: "replace" });
    const { threadId: windowed, windows } = await turnWindows("a window");
    assert.deepEqual(windows, new Set([95_018]));
    // A client that resumes the thread hears its last usage with the window it was announced with,
    // though the tenant's config has changed since.
    await client.call("config/value/write", { keyPath: "model_context_window", value: 50_000, mergeStrategy: "replace" });
    const resumer = await open("t-window");
    const replayed = resumer.waitForNotification(
      (n) => n.method === "thread/tokenUsage/updated" && n.params.threadId === windowed,
    );
    await resumer.call("thread/resume", { threadId: windowed });
    assert.equal((await replayed).params.tokenUsage.modelContextWindow, 95_018);
    resumer.socket.close();
    client.socket.close();
  });

  test("a thread's model as Codex 0.171.0 shows it: configured while loaded, else recorded by its turns (null before one)", async () => {
    const client = await open("t-model");
    const idle = await startThread(client);
    await client.call("thread/name/set", { threadId: idle, name: "no turn yet" });
    const turned = await startThread(client);
    const started = await client.call("turn/start", { threadId: turned, input: [text("record a model")] });
    await turnOf(client, turned, started.turn.id);
    const loaded = await client.call("thread/read", { threadId: idle });
    assert.equal(typeof loaded.thread.model, "string", "a loaded thread shows its configured model");
    for (const threadId of [idle, turned]) await client.call("thread/archive", { threadId });
    const archived = await client.call("thread/list", { archived: true });
    const listed = new Map(archived.data.map((thread: { id: string; model: string | null }) => [thread.id, thread.model]));
    assert.deepEqual([listed.get(idle), listed.get(turned)], [null, loaded.thread.model]);
    const [idleBack, turnedBack] = [
      await client.call("thread/unarchive", { threadId: idle }),
      await client.call("thread/unarchive", { threadId: turned }),
    ];
    assert.deepEqual([idleBack.thread.model, turnedBack.thread.model], [null, loaded.thread.model]);
    client.socket.close();
  });

  test("a dynamic tool: the model's call reaches the client, its answer goes back, the turn goes on", async () => {
    const client = await open("t-tools", 0);
    const threadId = await startThread(client, {
      dynamicTools: [
        {
          name: "lookup",
          description: "Looks a thing up",
          inputSchema: { type: "object", properties: { q: { type: "string" } } },
        },
      ],
    });
    provider.script({ toolCall: { name: "lookup", arguments: { q: "answer" } } }, { text: "The tool said 42." });
    const started = await client.call("turn/start", { threadId, input: [text("use the tool")] });
    const request = await client.waitForServerRequest((r) => r.method === "item/tool/call", 10_000);
    assert.deepEqual(
      { ...request.params, callId: undefined },
      { threadId, turnId: started.turn.id, callId: undefined, namespace: null, tool: "lookup", arguments: { q: "answer" } },
    );
    client.respond(request.id, { contentItems: [{ type: "inputText", text: "42" }], success: true });
    const turn = await turnOf(client, threadId, started.turn.id);
    assert.equal(turn.at(-1)?.params.turn.status, "completed");
    const toolItem = turn.find((n) => n.method === "item/completed" && n.params.item.type === "dynamicToolCall");
    assert.equal(toolItem?.params.item.success, true);
    assert.deepEqual(toolItem?.params.item.contentItems, [{ type: "inputText", text: "42" }]);
    const followUp = provider.requests.at(-1) as { input: Record<string, unknown>[]; tools: { name: string }[] };
    assert.ok(followUp.input.some((item) => item.type === "function_call_output" && item.output === "42"));
    assert.deepEqual(
      followUp.tools.map((tool) => tool.name),
      ["lookup", "get_goal", "create_goal", "update_goal"],
      "the client's tools and the goal tools: no shell, apply_patch or file tools on a cloud thread",
    );
    client.socket.close();
  });

  test("an out-of-band elicitation pauses a tool call's wait for its client: the time paused is not counted", async () => {
    const client = await open("t-tools-paused", 0);
    const threadId = await startThread(client, {
      dynamicTools: [{ name: "lookup", description: "Looks a thing up", inputSchema: { type: "object", properties: {} } }],
    });
    provider.script({ toolCall: { name: "lookup", arguments: {} } }, { text: "No answer came." });
    const started = await client.call("turn/start", { threadId, input: [text("use the tool")] });
    await client.waitForServerRequest((r) => r.method === "item/tool/call", 10_000);
    const askedAt = Date.now();
    // The client shows its user a form for 2 s (counted twice, then down twice) and never answers the call.
    assert.deepEqual(await client.call("thread/increment_elicitation", { threadId }), { count: 1, paused: true });
    assert.deepEqual(await client.call("thread/increment_elicitation", { threadId }), { count: 2, paused: true });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(await client.call("thread/decrement_elicitation", { threadId }), { count: 1, paused: true });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(await client.call("thread/decrement_elicitation", { threadId }), { count: 0, paused: false });
    const turn = await turnOf(client, threadId, started.turn.id);
    const waited = Date.now() - askedAt;
    const toolItem = turn.find((n) => n.method === "item/completed" && n.params.item.type === "dynamicToolCall");
    assert.equal(toolItem?.params.item.success, false);
    assert.match(toolItem?.params.item.contentItems[0].text, /no client answered the lookup tool call within 5000 ms/);
    // The 5 s timeout ran only while nothing was paused: about 7 s in all, where it would be 5 s unpaused.
    assert.ok(waited >= 6_500, `the call timed out ${waited} ms after it was asked, its pause counted`);
    assert.equal(
      (await client.request("thread/decrement_elicitation", { threadId })).error?.message,
      "out-of-band elicitation count is already zero",
    );
    client.socket.close();
  });

  test("structured output, compaction, and methods that need a machine", async () => {
    const client = await open("t-misc", 0);
    const threadId = await startThread(client, { ephemeral: true, threadSource: "thread_title" });
    const schema = {
      type: "object",
      properties: { title: { type: "string" } },
      required: ["title"],
      additionalProperties: false,
    };
    const started = await client.call("turn/start", { threadId, input: [text("name this conversation")], outputSchema: schema });
    const turn = await turnOf(client, threadId, started.turn.id);
    const format = (provider.requests.at(-1) as { text?: { format?: { type: string; schema: unknown } } }).text?.format;
    assert.equal(format?.type, "json_schema");
    assert.deepEqual(format?.schema, schema);
    const answer = JSON.parse(turn.at(-1)?.params.turn.items[0].text);
    assert.equal(typeof answer.title, "string");
    const listedEphemeral = await client.call("thread/list", {});
    assert.ok(
      !listedEphemeral.data.some((thread: { id: string }) => thread.id === threadId),
      "an ephemeral thread is not listed",
    );

    const compacted = await startThread(client);
    provider.script({ text: "A long conversation." });
    const before = await client.call("turn/start", { threadId: compacted, input: [text("remember the number 7")] });
    const beforeUsage = (await turnOf(client, compacted, before.turn.id)).find((n) => n.method === "thread/tokenUsage/updated")
      ?.params.tokenUsage;
    provider.script({ text: "SUMMARY: the user asked to remember 7." });
    const heardBefore = client.received.length;
    assert.deepEqual(await client.call("thread/compact/start", { threadId: compacted }), {});
    const completedCompaction = await client.waitForNotification(
      (n) => n.method === "item/completed" && n.params.item.type === "contextCompaction" && n.params.threadId === compacted,
      10_000,
    );
    const compaction = await turnOf(client, compacted, completedCompaction.params.turnId);
    // As Codex: the usage as it stood, after the summary's call, and once the history is replaced
    // (`last` estimates the new context), each followed by the rate limits, all before the item ends.
    const usages = compaction.filter((n) => n.method === "thread/tokenUsage/updated").map((n) => n.params.tokenUsage);
    assert.equal(usages.length, 3);
    assert.deepEqual(usages[0], beforeUsage, "first: the usage as it stood");
    assert.ok(usages[1].total.totalTokens > beforeUsage.total.totalTokens, "second: the summary's call added");
    assert.deepEqual(usages[2].total, usages[1].total);
    assert.ok(usages[2].last.totalTokens > 0 && usages[2].last.inputTokens === 0, "third: the new context, estimated");
    const compactionUsageAt = compaction.findIndex((n) => n.method === "thread/tokenUsage/updated");
    const completedAt = compaction.findIndex((n) => n.method === "item/completed");
    assert.ok(
      compactionUsageAt < completedAt && compaction.slice(completedAt).every((n) => n.method !== "thread/tokenUsage/updated"),
    );
    const allHeard = client.notifications;
    for (const usage of compaction.filter((n) => n.method === "thread/tokenUsage/updated")) {
      assert.equal(allHeard[allHeard.indexOf(usage) + 1]?.method, "account/rateLimits/updated");
    }
    // As Codex: the answer, then the compaction turn's first notification.
    assert.deepEqual(
      client.received.slice(heardBefore, heardBefore + 2).map((heard) => `${heard.kind} ${heard.method}`),
      ["result thread/compact/start", "notification thread/status/changed"],
    );
    assert.match(JSON.stringify(provider.requests.at(-1)?.input), /CONTEXT CHECKPOINT COMPACTION/);
    provider.script({ text: "7" });
    const after = await client.call("turn/start", { threadId: compacted, input: [text("what was the number?")] });
    await turnOf(client, compacted, after.turn.id);
    const input = JSON.stringify(provider.requests.at(-1)?.input);
    assert.match(input, /SUMMARY: the user asked to remember 7/);
    // As Codex 0.171.0: the user's earlier words are kept ahead of the summary; the model's answers are not.
    assert.match(input, /remember the number 7/);
    assert.doesNotMatch(input, /A long conversation/, "the summary replaced the model's answers before it");
    // Codex leaves the read state alone for a compaction: only the two regular turns announced one
    // (it goes to the tenant, on another subject, so it may trail turn/completed a little).
    const readStates = () =>
      client.notifications.filter((n) => n.method === "thread/readState/changed" && n.params.threadId === compacted);
    const deadline = Date.now() + 5_000;
    while (readStates().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(readStates().length, 2, "no thread/readState/changed for the compaction turn");

    for (const method of ["command/exec", "fs/readFile", "process/spawn", "marketplace/add"]) {
      const reply = await client.request(method, {});
      assert.equal(reply.error?.code, -32600);
      assert.match(reply.error?.message ?? "", /needs a machine/, method);
    }
    const device = await client.request("device/key/create", {});
    assert.match(device.error?.message ?? "", /^Invalid request: unknown variant `device\/key\/create`/);
    const modes = await client.call("collaborationMode/list", {});
    assert.deepEqual(
      modes.data.map((mode: { name: string }) => mode.name),
      ["Plan", "Default"],
    );
    client.socket.close();
  });

  test("turn/start's settings last for later turns and are announced when they change", async () => {
    const client = await open("t-settings", 1);
    const threadId = await startThread(client);
    const first = await client.call("turn/start", {
      threadId,
      input: [text("think harder")],
      effort: "high",
      model: "gpt-5.2-pro",
    });
    const updated = await client.waitForNotification(
      (n) => n.method === "thread/settings/updated" && n.params.threadId === threadId,
    );
    assert.equal(updated.params.threadSettings.effort, "high");
    assert.equal(updated.params.threadSettings.model, "gpt-5.2-pro");
    await turnOf(client, threadId, first.turn.id);
    const firstRequest = provider.requests.at(-1) as { model: string; reasoning?: { effort?: string } };
    assert.equal(firstRequest.model, "gpt-5.2-pro");
    assert.equal(firstRequest.reasoning?.effort, "high");
    const second = await client.call("turn/start", { threadId, input: [text("again, same settings")] });
    await turnOf(client, threadId, second.turn.id);
    const secondRequest = provider.requests.at(-1) as { model: string; reasoning?: { effort?: string } };
    assert.equal(secondRequest.model, "gpt-5.2-pro", "a turn's model lasts for later turns");
    assert.equal(secondRequest.reasoning?.effort, "high");
    assert.equal(
      client.notifications.filter((n) => n.method === "thread/settings/updated" && n.params.threadId === threadId).length,
      1,
      "settings that did not change are not announced again",
    );
    client.socket.close();
  });

  test("resume, fork and full reads: Codex 0.171.0's deprecation notice before the answer, usage and goal after it", async () => {
    const owner = await open("t-hydrate", 0);
    const runTurn = async (threadId: string, reply: string, headers?: Record<string, string>) => {
      provider.script({ text: reply, headers });
      const started = await owner.call("turn/start", { threadId, input: [text(reply)] });
      return { turnId: started.turn.id as string, turn: await turnOf(owner, threadId, started.turn.id) };
    };
    const threadId = await startThread(owner);
    await runTurn(threadId, "First.");
    const { turnId, turn } = await runTurn(threadId, "Second.", {
      "x-codex-primary-used-percent": "25",
      "x-codex-primary-window-minutes": "300",
    });
    const limits = owner.notifications.filter((n) => n.method === "account/rateLimits/updated").at(-1);
    assert.deepEqual(limits?.params.rateLimits.primary, { usedPercent: 25, windowDurationMins: 300, resetsAt: null });
    const turnUsage = turn.filter((n) => n.method === "thread/tokenUsage/updated").at(-1)?.params.tokenUsage;
    assert.ok(turnUsage && turnUsage.total.totalTokens > turnUsage.last.totalTokens, "two turns' usage adds up");

    // What a client hears around one request: the answer and these notifications, in order.
    const AROUND = new Set([
      "deprecationNotice",
      "thread/tokenUsage/updated",
      "thread/goal/updated",
      "thread/goal/cleared",
      "thread/started",
    ]);
    const around = async (client: CodexTestClient, method: string, params: Record<string, unknown>, last?: string) => {
      const from = client.received.length;
      const heardFrom = client.notifications.length;
      const result = await client.call(method, params);
      // What comes after the answer: wait for the last of it (heard after this request was sent).
      if (last) await client.waitForNotification((n) => n.method === last && client.notifications.indexOf(n) >= heardFrom, 5_000);
      const heard = client.received
        .slice(from)
        .filter((entry) => entry.kind === "result" || AROUND.has(entry.method))
        .map((entry) => ({ ...entry, params: entry.body as any }));
      return { result, heard, order: heard.map((entry) => `${entry.kind} ${entry.method}`) };
    };
    const DEPRECATED_RESUME =
      "Full-history hydration is deprecated for paginated threads; use `excludeTurns: true`, then page with `thread/turns/list` and `thread/items/list`.";
    const DEPRECATED_READ =
      "Full-history hydration is deprecated for paginated threads; omit `includeTurns` or set it to `false`, then page with `thread/turns/list` and `thread/items/list`.";

    // Another client (on the other gateway) resumes the thread with its turns.
    const later = await open("t-hydrate", 1);
    const ownerUsages = () => owner.notifications.filter((n) => n.method === "thread/tokenUsage/updated").length;
    const ownerUsagesBefore = ownerUsages();
    const resumed = await around(later, "thread/resume", { threadId }, "thread/goal/cleared");
    assert.deepEqual(resumed.order, [
      "notification deprecationNotice",
      "result thread/resume",
      "notification thread/tokenUsage/updated",
      "notification thread/goal/cleared",
    ]);
    assert.deepEqual(resumed.heard[0]?.params, { summary: DEPRECATED_RESUME, details: null });
    assert.equal(resumed.result.thread.turns.length, 2);
    const usage = resumed.heard[2]?.params;
    assert.equal(usage.threadId, threadId);
    assert.equal(usage.turnId, turnId, "the usage's turn is the last one");
    assert.deepEqual(usage.tokenUsage.total, turnUsage.total);
    assert.deepEqual(usage.tokenUsage.last, turnUsage.last);
    assert.deepEqual(resumed.heard[3]?.params, { threadId });
    // The usage is told to the resuming client only; the goal, as every goal notification in Codex
    // 0.171.0, to every connection of the tenant: the owner, subscribed all along, hears it too.
    await owner.waitForNotification((n) => n.method === "thread/goal/cleared" && n.params.threadId === threadId);
    assert.equal(ownerUsages(), ownerUsagesBefore);

    // Without the turns: no notice, no usage; the goal still comes after the answer.
    const light = await around(later, "thread/resume", { threadId, excludeTurns: true }, "thread/goal/cleared");
    assert.deepEqual(light.order, ["result thread/resume", "notification thread/goal/cleared"]);
    await owner.call("thread/goal/set", { threadId, objective: "ship it", status: "paused" });
    // `later` is subscribed: the change itself reaches it first, as to any subscriber.
    await later.waitForNotification((n) => n.method === "thread/goal/updated" && n.params.threadId === threadId);
    const withGoal = await around(later, "thread/resume", { threadId, excludeTurns: true }, "thread/goal/updated");
    assert.deepEqual(withGoal.order, ["result thread/resume", "notification thread/goal/updated"]);
    assert.equal(withGoal.heard[1]?.params.goal.objective, "ship it");
    assert.equal(withGoal.heard[1]?.params.turnId, null);

    // A fork with the turns: the notice, the answer, the fork's usage (its source's), thread/started.
    const forked = await around(later, "thread/fork", { threadId }, "thread/started");
    assert.deepEqual(forked.order, [
      "notification deprecationNotice",
      "result thread/fork",
      "notification thread/tokenUsage/updated",
      "notification thread/started",
    ]);
    const forkId = forked.result.thread.id;
    assert.equal(forked.heard[2]?.params.threadId, forkId);
    assert.equal(forked.heard[2]?.params.turnId, turnId);
    assert.deepEqual(forked.heard[2]?.params.tokenUsage.total, turnUsage.total);
    // Codex warns as soon as it has the source: before a fork point that turns out wrong, too.
    const heardBeforeRefusal = later.received.length;
    const refused = await later.request("thread/fork", { threadId, lastTurnId: "nope" });
    assert.equal(refused.error?.message, "turn not found: nope");
    assert.deepEqual(
      later.received.slice(heardBeforeRefusal).map((entry) => entry.method),
      ["deprecationNotice"],
    );
    const lightFork = await around(later, "thread/fork", { threadId, excludeTurns: true }, "thread/started");
    assert.deepEqual(lightFork.order, ["result thread/fork", "notification thread/started"]);

    // thread/read with the turns: the notice before every answer, from the service or the gateway's cache.
    for (let round = 0; round < 2; round++) {
      const full = await around(later, "thread/read", { threadId, includeTurns: true });
      assert.deepEqual(full.order, ["notification deprecationNotice", "result thread/read"], `read ${round + 1}`);
      assert.deepEqual(full.heard[0]?.params, { summary: DEPRECATED_READ, details: null });
    }
    assert.deepEqual((await around(later, "thread/read", { threadId })).order, ["result thread/read"]);

    // A legacy-history thread: no notice anywhere; its usage and goal still follow a resume.
    const legacyId = await startThread(owner, { historyMode: "legacy" });
    await runTurn(legacyId, "Legacy.");
    const legacy = await around(later, "thread/resume", { threadId: legacyId }, "thread/goal/cleared");
    assert.deepEqual(legacy.order, [
      "result thread/resume",
      "notification thread/tokenUsage/updated",
      "notification thread/goal/cleared",
    ]);
    assert.deepEqual((await around(later, "thread/read", { threadId: legacyId, includeTurns: true })).order, [
      "result thread/read",
    ]);
    for (const client of [owner, later]) client.socket.close();
  });

  test("a provider's key and headers come from the tenant's secrets; retries are announced, then the turn goes on", async () => {
    const orchestrator = await CodexTestClient.open(`${stack.gateways[0]?.url}/`, {
      token: await hs256Token({ tenant: "t-keyed", sub: "orchestrator", roles: ["orchestrator"] }),
    });
    const client = await open("t-keyed", 0);
    const threadId = await startThread(client, { modelProvider: "keyed" });

    // No secret yet: Codex's missing-variable text ends the turn as failed.
    const missing = await client.call("turn/start", { threadId, input: [text("no key yet")] });
    const failed = await turnOf(client, threadId, missing.turn.id);
    assert.match(
      failed.find((n) => n.method === "error")?.params.error.message,
      /^Missing environment variable: `KEYED_API_KEY`\./,
    );

    await orchestrator.call("switchyard/secret/set", { name: "KEYED_API_KEY", value: "sk-tenant-secret" });
    await orchestrator.call("switchyard/secret/set", { name: "KEYED_HEADER", value: "header-secret" });
    provider.script({ failStatus: 503, failTimes: 1, text: "after one retry" });
    const started = await client.call("turn/start", { threadId, input: [text("with a key")] });
    const turn = await turnOf(client, threadId, started.turn.id);
    assert.equal(turn.at(-1)?.params.turn.status, "completed", JSON.stringify(turn.at(-1)?.params.turn.error));
    const retry = turn.find((n) => n.method === "error");
    assert.equal(retry?.params.willRetry, true, "a retry is announced as an error that will be retried");
    assert.equal(turn.at(-1)?.params.turn.items[0].text, "after one retry");
    const headers = provider.requestHeaders.at(-1) ?? {};
    assert.equal(headers.authorization, "Bearer sk-tenant-secret");
    assert.equal(headers["x-static"], "static-value");
    assert.equal(headers["x-from-secret"], "header-secret");
    assert.match(provider.requestUrls.at(-1) ?? "", /\?api-version=2026-01-01$/);
    // The key never comes back to a client.
    const config = await client.call("config/read", { includeLayers: true });
    assert.doesNotMatch(JSON.stringify(config), /sk-tenant-secret|header-secret/);
    orchestrator.socket.close();
    client.socket.close();
  });

  test("thread/revert: refused while a turn runs; heard by every subscriber on any gateway; a caller not subscribed is attached; reads see the cut", async () => {
    const owner = await open("t-revert", 0);
    const threadId = await startThread(owner);
    const turnIds: string[] = [];
    for (const prompt of ["one", "two"]) {
      provider.script({ text: `answer ${prompt}` });
      const turnId = (await owner.call("turn/start", { threadId, input: [text(prompt)] })).turn.id as string;
      await turnOf(owner, threadId, turnId);
      turnIds.push(turnId);
    }
    // A reader through the other gateway, its answer cached there before the revert.
    const reader = await open("t-revert", 1);
    const readPrompts = async () =>
      (await reader.call("thread/read", { threadId, includeTurns: true })).thread.turns.map(
        (turn: { items: { type: string; content: { text: string }[] }[] }) => turn.items[0]?.content[0]?.text,
      );
    assert.deepEqual(await readPrompts(), ["one", "two"]);
    const subscriber = await open("t-revert", 1);
    await subscriber.call("thread/resume", { threadId });

    provider.script({ text: "slow reply", chunks: 4, delayMs: 600 });
    const running = (await owner.call("turn/start", { threadId, input: [text("three")] })).turn.id as string;
    const refused = await owner.request("thread/revert", { threadId, beforeTurnId: turnIds[1] });
    assert.equal(refused.error?.message, `cannot revert thread ${threadId} while turn ${running} is running; interrupt it first`);
    await turnOf(owner, threadId, running);

    // A caller that never opened the thread: attached by the revert, it hears what the binary says, in its order.
    const stranger = await open("t-revert", 0);
    const heardFrom = stranger.received.length;
    const answer = await stranger.call("thread/revert", { threadId, beforeTurnId: turnIds[1] });
    assert.deepEqual(answer.thread.turns, []);
    await subscriber.waitForNotification((n) => n.method === "thread/reverted" && n.params.threadId === threadId);
    await stranger.waitForNotification((n) => n.method === "thread/reverted" && n.params.threadId === threadId);
    assert.deepEqual(
      // The answer and what is said about this thread (a new connection also hears e.g. remoteControl/status/changed).
      stranger.received
        .slice(heardFrom)
        .filter((frame) => frame.kind === "result" || (frame.body as any)?.threadId === threadId)
        .map((frame) => (frame.kind === "result" ? "answer" : `${frame.method}:${(frame.body as any)?.status?.type ?? ""}`)),
      ["thread/status/changed:notLoaded", "thread/status/changed:idle", "answer", "thread/reverted:"],
    );
    assert.deepEqual(await readPrompts(), ["one"], "the other gateway's cached answer was dropped");
    // The stranger now hears the thread's turns.
    provider.script({ text: "answer four" });
    const next = (await owner.call("turn/start", { threadId, input: [text("four")] })).turn.id as string;
    await turnOf(stranger, threadId, next);
    // A failed revert does not leave a new caller attached.
    const bystander = await open("t-revert", 0);
    const missing = await bystander.request("thread/revert", { threadId, beforeTurnId: "nope" });
    assert.equal(missing.error?.message, "turn not found: nope");
    provider.script({ text: "answer five" });
    const fifth = (await owner.call("turn/start", { threadId, input: [text("five")] })).turn.id as string;
    await turnOf(owner, threadId, fifth);
    // It hears the thread's status changes (every connection does, as in Codex 0.171.0), not its turns.
    const aboutTurns = bystander.notifications.filter(
      (n) => n.params?.threadId === threadId && (n.method.startsWith("turn/") || n.method.startsWith("item/")),
    );
    assert.equal(aboutTurns.length, 0);
    assert.ok(bystander.notifications.some((n) => n.method === "thread/status/changed" && n.params.threadId === threadId));
  });

  test("every frame matched the official schema", () => assertConformant());
});
