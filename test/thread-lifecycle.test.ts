// The thread lifecycle end to end across two gateways and two thread-service instances: resume,
// fork, archive (with spawned descendants), unarchive, delete, unsubscribe, loaded/list, metadata,
// goals, settings, turns and items pages, injected items, read state, realtime history, idle
// unloading, and who hears which notification. Error texts are Codex 0.171.0's.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { CodexTestClient, type Notification, recordSomething } from "./harness/client.js";
import { deliveredTwice } from "./harness/redelivery.js";
import {
  type ScriptedResponses,
  scriptedProviderStackEnv,
  scriptedProviderToml,
  startScriptedResponses,
} from "./harness/scripted-responses.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const userMessage = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const assistantMessage = (text: string) => ({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });
const quiet = () => new Promise((resolve) => setTimeout(resolve, 400));

describe("thread lifecycle", () => {
  let stack: Stack;
  let provider: ScriptedResponses;
  // Clients opt in to the experimental API (resume's history/path, fork's beforeTurnId, settings and
  // read-state updates are experimental in Codex 0.171.0), as the official TUI does.
  const open = async (tenant: string, gateway = 0, options: { experimentalApi?: boolean } = {}) =>
    CodexTestClient.open(`${stack.gateways[gateway]?.url}/`, {
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
      experimentalApi: true,
      ...options,
    });
  const heard = (client: CodexTestClient, method: string, threadId: string) =>
    client.notifications.filter((n: Notification) => n.method === method && n.params.threadId === threadId);

  /** Turns that give a thread history shown as items: each prompt answered `re <prompt>`. */
  const turnsWith = async (client: CodexTestClient, threadId: string, prompts: string[]) => {
    for (const prompt of prompts) {
      provider.script({ text: `re ${prompt}` });
      const input = [{ type: "text", text: prompt, text_elements: [] }];
      const turnId = (await client.call("turn/start", { threadId, input })).turn.id;
      await client.waitForNotification((n) => n.method === "turn/completed" && n.params.turn.id === turnId, 20_000);
    }
  };

  before(async () => {
    provider = await startScriptedResponses();
    const { configEnv, threadEnv } = scriptedProviderStackEnv(scriptedProviderToml(provider.baseUrl), {
      THREAD_IDLE_UNLOAD_MS: "1500",
    });
    stack = await startStack("lifecycle", {
      threads: 2,
      gateways: 2,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      configEnv,
      threadEnv,
    });
  });
  after(async () => {
    await stack?.stop();
    await provider?.close();
  });

  test("resume attaches across gateways; subscriber-only notifications reach exactly the subscribers", async () => {
    const [owner, resumer, bystander, stableResumer, stableBystander] = await Promise.all([
      open("t-res", 0),
      open("t-res", 1),
      open("t-res", 1),
      open("t-res", 0, { experimentalApi: false }),
      open("t-res", 1, { experimentalApi: false }),
    ]);
    const { thread } = await owner.call("thread/start", {});
    await recordSomething(owner, thread.id);
    const resumed = await resumer.call("thread/resume", { threadId: thread.id, model: "ignored-on-a-live-thread" });
    assert.equal(resumed.thread.id, thread.id);
    assert.equal(resumed.model, "gpt-5.2", "differing overrides are ignored on a live thread");
    assert.deepEqual(resumed.thread.status, { type: "idle" });

    await stableResumer.call("thread/resume", { threadId: thread.id });

    // As Codex 0.171.0: a goal change reaches every connection of the tenant, subscribed or not, and
    // with or without the experimental API. Paused: an active goal would set the thread working
    // (goal-turns.test.ts).
    await owner.call("thread/goal/set", { threadId: thread.id, objective: "ship it", status: "paused" });
    for (const client of [owner, resumer, bystander, stableResumer, stableBystander]) {
      await client.waitForNotification((n) => n.method === "thread/goal/updated" && n.params.threadId === thread.id);
    }
    // A settings change reaches the thread's subscribers only, and only those with the experimental
    // API (thread/settings/updated is experimental in Codex 0.171.0).
    await owner.call("thread/settings/update", { threadId: thread.id, effort: "high" });
    for (const client of [owner, resumer]) {
      await client.waitForNotification((n) => n.method === "thread/settings/updated" && n.params.threadId === thread.id);
    }
    await quiet();
    assert.equal(heard(bystander, "thread/settings/updated", thread.id).length, 0, "a connection not subscribed hears nothing");
    assert.equal(heard(stableResumer, "thread/settings/updated", thread.id).length, 0, "nor one without the experimental API");
    assert.equal(heard(stableBystander, "thread/settings/updated", thread.id).length, 0);

    const history = await resumer.request("thread/resume", { threadId: thread.id, history: [] });
    assert.equal(history.error?.message, `cannot resume thread ${thread.id} with history while it is already running`);
    const stalePath = await resumer.request("thread/resume", { threadId: thread.id, path: "/tmp/rollout.jsonl" });
    assert.equal(stalePath.error?.message, `no rollout found for thread id ${thread.id}`);
    const emptyPath = await resumer.call("thread/resume", { threadId: thread.id, path: "" });
    assert.equal(emptyPath.thread.id, thread.id, "an empty path means absent");
    const unknown = randomUUID();
    assert.equal(
      (await resumer.request("thread/resume", { threadId: unknown })).error?.message,
      `no rollout found for thread id ${unknown}`,
    );
  });

  test("history wins over path and stored state: a new thread from inline history; a stored one is not overwritten", async () => {
    const [client, watcher] = await Promise.all([open("t-history", 0), open("t-history", 1)]);
    const threadId = randomUUID();
    const resumed = await client.call("thread/resume", {
      threadId,
      path: "/ignored/rollout.jsonl",
      history: [userMessage("from history"), { type: "reasoning", summary: [] }, assistantMessage("remembered")],
    });
    assert.equal(resumed.thread.id, threadId);
    assert.deepEqual(resumed.thread.status, { type: "idle" });
    // As Codex 0.171.0 (interop-model-history.test.ts): the history is the model's, its first user
    // text the preview; no turn shows it, and it does not list the thread.
    assert.deepEqual(resumed.thread.turns, []);
    assert.equal(resumed.thread.preview, "from history");
    await watcher.waitForNotification((n) => n.method === "thread/started" && n.params.thread.id === threadId);
    const listed = await client.call("thread/list", {});
    assert.ok(!listed.data.some((entry: { id: string }) => entry.id === threadId));
    // Live now: history is refused with Codex's text.
    const live = await client.request("thread/resume", { threadId, history: [] });
    assert.equal(live.error?.message, `cannot resume thread ${threadId} with history while it is already running`);
    // Stored and not loaded: history would overwrite it, so it is refused too.
    await stack.infra.pool.query("UPDATE thread.threads SET loaded_at = NULL WHERE id = $1", [threadId]);
    const stored = await client.request("thread/resume", { threadId, history: [] });
    assert.match(stored.error?.message ?? "", /already has a stored history/);
  });

  test("unsubscribe answers unsubscribed, notSubscribed, notLoaded and stops the caller's notifications", async () => {
    const [owner, other] = await Promise.all([open("t-unsub", 0), open("t-unsub", 1)]);
    const { thread } = await owner.call("thread/start", {});
    await recordSomething(owner, thread.id);
    await other.call("thread/resume", { threadId: thread.id });
    assert.deepEqual(await other.call("thread/unsubscribe", { threadId: thread.id }), { status: "unsubscribed" });
    assert.deepEqual(await other.call("thread/unsubscribe", { threadId: thread.id }), { status: "notSubscribed" });
    assert.deepEqual(await other.call("thread/unsubscribe", { threadId: randomUUID() }), { status: "notLoaded" });
    await owner.call("thread/settings/update", { threadId: thread.id, effort: "high" });
    await owner.waitForNotification((n) => n.method === "thread/settings/updated" && n.params.threadId === thread.id);
    await quiet();
    assert.equal(heard(other, "thread/settings/updated", thread.id).length, 0);
  });

  test("inject_items joins the model's history only, as in Codex 0.171.0: not shown, listed or a preview", async () => {
    const client = await open("t-inject");
    const { thread: injected } = await client.call("thread/start", {});
    const invalid = await client.request("thread/inject_items", { threadId: injected.id, items: [{ foo: 1 }] });
    assert.equal(invalid.error?.message, "items[0] is not a valid response item: missing field `type`");
    await client.call("thread/inject_items", {
      threadId: injected.id,
      items: [userMessage("injected question"), { type: "reasoning", summary: [] }, assistantMessage("injected answer")],
    });
    const unlisted = await client.call("thread/list", {});
    assert.ok(!unlisted.data.some((entry: { id: string }) => entry.id === injected.id), "not listed");
    const injectedRead = await client.call("thread/read", { threadId: injected.id, includeTurns: true });
    assert.deepEqual(injectedRead.thread.turns, [], "no turn shows them");
    assert.equal(injectedRead.thread.preview, "");
    assert.deepEqual((await client.call("thread/turns/list", { threadId: injected.id })).data, []);
    const requestsBefore = provider.requests.length;
    await turnsWith(client, injected.id, ["after the injection"]);
    const sent = JSON.stringify(provider.requests[requestsBefore]?.input);
    assert.ok(sent.indexOf("injected question") >= 0 && sent.indexOf("injected question") < sent.indexOf("injected answer"));
    assert.ok(sent.indexOf("injected answer") < sent.indexOf("after the injection"), "the model sees them, in order, first");
    const afterTurn = await client.call("thread/read", { threadId: injected.id, includeTurns: true });
    assert.equal(afterTurn.thread.turns.length, 1, "only the turn is shown");
    assert.equal(afterTurn.thread.preview, "after the injection");
  });

  test("turns and items page both ways", async () => {
    const client = await open("t-pages");
    const { thread } = await client.call("thread/start", {});
    await turnsWith(client, thread.id, ["question 0", "question 1", "question 2"]);
    const listed = await client.call("thread/list", {});
    assert.ok(
      listed.data.some((entry: { id: string; preview: string }) => entry.id === thread.id && entry.preview === "question 0"),
    );
    const read = await client.call("thread/read", { threadId: thread.id, includeTurns: true });
    assert.equal(read.thread.turns.length, 3);
    assert.deepEqual(
      read.thread.turns[0].items.map((item: { type: string }) => item.type),
      ["userMessage", "agentMessage"],
    );

    const newest = await client.call("thread/turns/list", { threadId: thread.id, limit: 2 });
    assert.equal(newest.data.length, 2);
    assert.equal(newest.data[0].items[1].text, "re question 2", "newest first by default");
    assert.ok(newest.nextCursor);
    const oldest = await client.call("thread/turns/list", { threadId: thread.id, limit: 2, cursor: newest.nextCursor });
    assert.deepEqual(
      oldest.data.map((turn: { items: { text?: string }[] }) => turn.items[1]?.text),
      ["re question 0"],
    );
    assert.equal(oldest.nextCursor, null);
    const back = await client.call("thread/turns/list", { threadId: thread.id, limit: 5, cursor: oldest.backwardsCursor });
    assert.deepEqual(
      back.data.map((turn: { items: { text?: string }[] }) => turn.items[1]?.text),
      ["re question 1", "re question 2"],
      "the backwards cursor goes back the other way",
    );
    const summaries = await client.call("thread/turns/list", { threadId: thread.id, itemsView: "notLoaded" });
    assert.ok(
      summaries.data.every(
        (turn: { items: unknown[]; itemsView: string }) => turn.items.length === 0 && turn.itemsView === "notLoaded",
      ),
    );

    const items = await client.call("thread/items/list", { threadId: thread.id, limit: 4 });
    assert.equal(items.data.length, 4);
    const rest = await client.call("thread/items/list", { threadId: thread.id, limit: 4, cursor: items.nextCursor });
    assert.equal(rest.data.length, 2);
    const oneTurn = await client.call("thread/items/list", { threadId: thread.id, turnId: newest.data[0].id });
    assert.deepEqual(
      oneTurn.data.map((entry: { item: { type: string } }) => entry.item.type),
      ["userMessage", "agentMessage"],
    );
    const badCursor = await client.request("thread/items/list", { threadId: thread.id, cursor: newest.nextCursor });
    assert.equal(badCursor.error?.code, -32600, "a turns cursor is not an items cursor");
  });

  test("items past the tenth keep their order in every page (sequence numbers sort as numbers)", async () => {
    const client = await open("t-items-many");
    const { thread } = await client.call("thread/start", {});
    const prompts = Array.from({ length: 6 }, (_, index) => `note ${index}`);
    await turnsWith(client, thread.id, prompts);
    const texts = prompts.flatMap((prompt) => [prompt, `re ${prompt}`]);
    type Entry = { item: { content?: { text: string }[]; text?: string } };
    const textOf = (item: Entry["item"]) => item.content?.[0]?.text ?? item.text;
    const textsOf = (page: { data: Entry[] }) => page.data.map((entry) => textOf(entry.item));
    const all = await client.call("thread/items/list", { threadId: thread.id, limit: 50 });
    assert.deepEqual(textsOf(all), texts);
    const paged: (string | undefined)[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Entry[]; nextCursor: string | null } = await client.call("thread/items/list", {
        threadId: thread.id,
        limit: 5,
        ...(cursor ? { cursor } : {}),
      });
      paged.push(...textsOf(page));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, texts, "pages of 5 walk the items in order");
    const read = await client.call("thread/read", { threadId: thread.id, includeTurns: true });
    assert.deepEqual(
      read.thread.turns.flatMap((turn: { items: Entry["item"][] }) => turn.items.map(textOf)),
      texts,
    );
  });

  test("fork copies items up to the fork point, records the edge, subscribes the caller and announces it", async () => {
    const [client, watcher] = await Promise.all([open("t-fork", 0), open("t-fork", 1)]);
    const { thread } = await client.call("thread/start", {});
    await turnsWith(client, thread.id, ["one", "two"]);
    await client.call("thread/name/set", { threadId: thread.id, name: "the source" });
    const turns = await client.call("thread/turns/list", { threadId: thread.id, sortDirection: "asc" });
    const whole = await client.call("thread/fork", { threadId: thread.id });
    assert.equal(whole.thread.forkedFromId, thread.id);
    assert.equal(whole.thread.name, "the source", "a fork keeps its source's name, as in Codex");
    // As Codex: a loaded thread takes direct input when read, a listed one does not say.
    assert.equal(whole.thread.canAcceptDirectInput, true);
    const listed = (await client.call("thread/list", {})).data.find((entry: { id: string }) => entry.id === whole.thread.id);
    assert.equal(listed.canAcceptDirectInput, null);
    assert.notEqual(whole.thread.id, thread.id);
    assert.equal(whole.thread.turns.length, 2);
    await watcher.waitForNotification((n) => n.method === "thread/started" && n.params.thread.id === whole.thread.id);
    const partial = await client.call("thread/fork", { threadId: thread.id, lastTurnId: turns.data[0].id, excludeTurns: true });
    const partialRead = await client.call("thread/read", { threadId: partial.thread.id, includeTurns: true });
    assert.equal(partialRead.thread.turns.length, 1);
    const before = await client.call("thread/fork", { threadId: thread.id, beforeTurnId: turns.data[0].id });
    assert.equal(before.thread.turns.length, 0);
    // The caller is subscribed to its fork: it hears the fork's subscriber-only notifications.
    await watcher.call("thread/goal/set", { threadId: whole.thread.id, objective: "forked goal", status: "paused" });
    await client.waitForNotification((n) => n.method === "thread/goal/updated" && n.params.threadId === whole.thread.id);
  });

  test("a fork delivered again after a config change answers the fork as it was settled, not resolved anew", async () => {
    const client = await open("t-fork-again");
    const { thread } = await client.call("thread/start", {});
    await client.call("thread/inject_items", { threadId: thread.id, items: [userMessage("one")] });
    const answers = (await deliveredTwice(
      stack,
      {
        tenant: "t-fork-again",
        keyId: thread.id,
        subject: "t-fork-again-user",
        commandId: `fork-again-${thread.id}`,
        method: "thread/fork",
        params: { threadId: thread.id },
      },
      // While the first delivery's ack is lost, the user's config names another model.
      async () =>
        void (await client.call("config/value/write", {
          keyPath: "model",
          value: "gpt-written-later",
          mergeStrategy: "replace",
        })),
    )) as { model: string; thread: { id: string } }[];
    const [first, second] = answers;
    assert.ok(first?.thread && second?.thread, JSON.stringify(answers));
    assert.notEqual(first.model, "gpt-written-later");
    assert.equal(second.thread.id, first.thread.id, "one fork");
    assert.equal(second.model, first.model, "the second delivery answers the fork as the first settled it");
    const read = await client.call("thread/resume", { threadId: first.thread.id });
    assert.equal(read.model, first.model, "and the fork keeps that model");
    // A fork made now takes the model written since.
    assert.equal((await client.call("thread/fork", { threadId: thread.id })).model, "gpt-written-later");
    // Both deliveries announced the fork (the first may have died before it could); the tenant's
    // connection heard of it once.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const heard = client.notifications.filter((n) => n.method === "thread/started" && n.params.thread.id === first.thread.id);
    assert.equal(heard.length, 1, "thread/started once for the fork");
    client.socket.close();
  });

  test("a review delivered twice runs once: the second delivery neither interrupts it nor starts another", async () => {
    const client = await open("t-review-again");
    const { thread } = await client.call("thread/start", {});
    // The reviewer never answers, so the review is still running when its command comes again.
    provider.script({ text: "never", stall: true });
    const answers = (await deliveredTwice(
      stack,
      {
        tenant: "t-review-again",
        keyId: thread.id,
        subject: "t-review-again-user",
        commandId: `review-again-${thread.id}`,
        method: "review/start",
        params: { threadId: thread.id, target: { type: "custom", instructions: "look" } },
      },
      async () => void (await quiet()),
    )) as { turn: { id: string } }[];
    const [first, second] = answers;
    assert.ok(first?.turn && second?.turn, JSON.stringify(answers));
    assert.equal(second.turn.id, first.turn.id, "one review");
    await quiet();
    const { thread: read } = await client.call("thread/read", { threadId: thread.id, includeTurns: true });
    assert.deepEqual(
      read.turns.map((turn: { id: string; status: string }) => [turn.id, turn.status]),
      [[first.turn.id, "inProgress"]],
      "the review still runs: the second delivery did not replace it",
    );
    await client.call("turn/interrupt", { threadId: thread.id, turnId: first.turn.id });
    client.socket.close();
  });

  test("as Codex 0.171.0, a thread cannot be deleted while a fork's history refers to it", async () => {
    const client = await open("t-fork-delete", 0);
    const withHistory = async () => {
      const { thread } = await client.call("thread/start", {});
      await client.call("thread/inject_items", { threadId: thread.id, items: [userMessage("one"), assistantMessage("re one")] });
      return thread.id as string;
    };
    const refusal = (threadId: string) => `cannot delete thread ${threadId}: forked history still references it`;
    const source = await withHistory();
    const fork = (await client.call("thread/fork", { threadId: source })).thread.id;
    const refused = await client.request("thread/delete", { threadId: source });
    assert.deepEqual({ code: refused.error?.code, message: refused.error?.message }, { code: -32600, message: refusal(source) });
    // An archived fork still refers to it; once the fork is deleted the source can go.
    await client.call("thread/archive", { threadId: fork });
    assert.equal((await client.request("thread/delete", { threadId: source })).error?.message, refusal(source));
    assert.deepEqual(await client.call("thread/delete", { threadId: fork }), {});
    assert.deepEqual(await client.call("thread/delete", { threadId: source }), {});
    // A deleted thread's subscriptions go with it (its creator's was written by thread/start).
    const left = await stack.infra.pool.query("SELECT thread_id FROM thread.subscriptions WHERE thread_id = ANY($1::uuid[])", [
      [source, fork],
    ]);
    assert.deepEqual(left.rows, []);
    // A fork that took no history (its source had none), or an ephemeral one, refers to nothing.
    const { thread: named } = await client.call("thread/start", {});
    await client.call("thread/name/set", { threadId: named.id, name: "nothing to copy" });
    await client.call("thread/fork", { threadId: named.id });
    assert.deepEqual(await client.call("thread/delete", { threadId: named.id }), {});
    const another = await withHistory();
    await client.call("thread/fork", { threadId: another, ephemeral: true });
    assert.deepEqual(await client.call("thread/delete", { threadId: another }), {});
  });

  test("archive takes spawned descendants with it and unloads; unarchive and delete; Codex's texts on repeats", async () => {
    const [client, watcher] = await Promise.all([open("t-arch", 0), open("t-arch", 1)]);
    const { thread } = await client.call("thread/start", {});
    const { thread: child } = await client.call("thread/start", {});
    const { thread: grandchild } = await client.call("thread/start", {});
    // Sub-agent threads are spawned by turns; record the parent edges as a spawn would.
    await stack.infra.pool.query("UPDATE thread.threads SET parent_thread_id = $1 WHERE id = $2", [thread.id, child.id]);
    await stack.infra.pool.query("UPDATE thread.threads SET parent_thread_id = $1 WHERE id = $2", [child.id, grandchild.id]);

    assert.deepEqual(await client.call("thread/archive", { threadId: thread.id }), {});
    for (const id of [thread.id, child.id, grandchild.id]) {
      await watcher.waitForNotification((n) => n.method === "thread/archived" && n.params.threadId === id);
      const read = await client.call("thread/read", { threadId: id });
      assert.deepEqual(read.thread.status, { type: "notLoaded" });
    }
    await client.waitForNotification((n) => n.method === "thread/status/changed" && n.params.threadId === thread.id);
    const loaded = await client.call("thread/loaded/list", {});
    assert.ok(!loaded.data.includes(thread.id), "an archived thread is unloaded");
    assert.equal(
      (await client.request("thread/archive", { threadId: thread.id })).error?.message,
      `no rollout found for thread id ${thread.id}`,
    );
    assert.equal(
      (await client.request("thread/fork", { threadId: thread.id })).error?.message,
      `session ${thread.id} is archived. Run \`codex unarchive ${thread.id}\` to unarchive it first.`,
    );

    const restored = await client.call("thread/unarchive", { threadId: thread.id });
    assert.equal(restored.thread.id, thread.id);
    await watcher.waitForNotification((n) => n.method === "thread/unarchived" && n.params.threadId === thread.id);
    assert.equal(
      (await client.request("thread/unarchive", { threadId: thread.id })).error?.message,
      `no archived rollout found for thread id ${thread.id}`,
    );

    assert.deepEqual(await client.call("thread/delete", { threadId: thread.id }), {});
    await watcher.waitForNotification((n) => n.method === "thread/deleted" && n.params.threadId === thread.id);
    assert.equal(
      (await client.request("thread/read", { threadId: thread.id })).error?.message,
      `thread not loaded: ${thread.id}`,
    );
    assert.equal(
      (await client.request("thread/delete", { threadId: thread.id })).error?.message,
      `no rollout found for thread id ${thread.id}`,
    );
  });

  test("as Codex, archiving touches a thread and records its read state; the archived list shows it even without content", async () => {
    const client = await open("t-arch-empty");
    const { thread } = await client.call("thread/start", {});
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // timestamps are in seconds
    assert.deepEqual(await client.call("thread/archive", { threadId: thread.id }), {});
    const archived = await client.call("thread/list", { archived: true });
    assert.deepEqual(
      archived.data.map((listed: { id: string }) => listed.id),
      [thread.id],
    );
    const [listed] = archived.data;
    assert.ok(listed.updatedAt > thread.updatedAt, `archiving moves updatedAt (${thread.updatedAt} → ${listed.updatedAt})`);
    assert.equal(listed.recencyAt, listed.updatedAt);
    assert.deepEqual(archived.readStates[thread.id], { firstUnread: null, revision: `initial:${thread.id}` });
    // Unarchived, a thread without content is in neither list, and keeps its read state.
    await client.call("thread/unarchive", { threadId: thread.id });
    assert.deepEqual((await client.call("thread/list", {})).data, []);
    assert.deepEqual((await client.call("thread/list", { archived: true })).data, []);
    assert.deepEqual((await client.call("thread/read", { threadId: thread.id })).readState, archived.readStates[thread.id]);
    // Several fields missing: the first in Codex's declaration order is named, as serde does.
    assert.equal(
      (await client.request("thread/readState/update", { threadId: thread.id })).error?.message,
      "Invalid request: missing field `operation`",
    );
    // An ephemeral thread has nothing to archive: refused with Codex's text, and it stays loaded.
    const { thread: ephemeral } = await client.call("thread/start", { ephemeral: true });
    assert.equal(
      (await client.request("thread/archive", { threadId: ephemeral.id })).error?.message,
      `no rollout found for thread id ${ephemeral.id}`,
    );
    assert.ok((await client.call("thread/loaded/list", {})).data.includes(ephemeral.id));
  });

  test("loaded/list pages the tenant's loaded threads; an idle thread without subscribers unloads (thread/closed)", async () => {
    const client = await open("t-loaded");
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) ids.push((await client.call("thread/start", {})).thread.id);
    const first = await client.call("thread/loaded/list", { limit: 2 });
    const second = await client.call("thread/loaded/list", { limit: 2, cursor: first.nextCursor });
    assert.deepEqual([...first.data, ...second.data].sort(), [...ids].sort());
    assert.equal(second.nextCursor, null);

    const watcher = await open("t-loaded", 1);
    await recordSomething(client, ids[0] as string);
    await watcher.call("thread/resume", { threadId: ids[0] });
    for (const id of ids) await client.call("thread/unsubscribe", { threadId: id });
    // ids[1] and ids[2] have no subscriber left; ids[0] still has the watcher.
    const deadline = Date.now() + 15_000;
    let loadedNow: string[] = ids;
    while (Date.now() < deadline) {
      loadedNow = (await client.call("thread/loaded/list", {})).data;
      if (!loadedNow.includes(ids[1] as string) && !loadedNow.includes(ids[2] as string)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(loadedNow, [ids[0]], "only the thread with a subscriber stays loaded");
    assert.deepEqual((await client.call("thread/read", { threadId: ids[1] })).thread.status, { type: "notLoaded" });
    await watcher.close();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.deepEqual((await client.call("thread/loaded/list", {})).data, [], "a closed connection's subscriptions go with it");
  });

  test("settings/update notifies subscribers only when the effective settings change", async () => {
    const [client, outsider] = await Promise.all([open("t-settings", 0), open("t-settings", 1)]);
    const { thread } = await client.call("thread/start", {});
    assert.deepEqual(await client.call("thread/settings/update", { threadId: thread.id, model: "gpt-next", effort: "high" }), {});
    const updated = await client.waitForNotification(
      (n) => n.method === "thread/settings/updated" && n.params.threadId === thread.id,
    );
    assert.equal(updated.params.threadSettings.model, "gpt-next");
    assert.equal(updated.params.threadSettings.effort, "high");
    await client.call("thread/settings/update", { threadId: thread.id, model: "gpt-next" });
    await quiet();
    assert.equal(heard(client, "thread/settings/updated", thread.id).length, 1, "no change, no notification");
    assert.equal(heard(outsider, "thread/settings/updated", thread.id).length, 0);
    const stable = await open("t-settings", 0, { experimentalApi: false });
    const gated = await stable.request("thread/settings/update", { threadId: thread.id, model: "x" });
    assert.equal(gated.error?.message, "`thread/settings/update` requires experimentalApi capability");
    // A relative cwd is taken relative to the deployment's default cwd, as Codex takes one relative to its own.
    assert.deepEqual(await client.call("thread/settings/update", { threadId: thread.id, cwd: "relative/dir/.." }), {});
    const read = (await client.call("thread/read", { threadId: thread.id })).thread;
    assert.equal(read.model, "gpt-next");
    assert.equal(read.cwd, "/workspace/relative");
  });

  test("read state: none until something about the thread is recorded, as Codex 0.171.0 keeps it", async () => {
    const client = await open("t-read-state", 0, { experimentalApi: true });
    const start = async () => (await client.call("thread/start", {})).thread.id as string;
    const readStateOf = async (threadId: string) => (await client.call("thread/read", { threadId })).readState;
    const update = (threadId: string, expectedRevision: string, type = "unread") =>
      client.request("thread/readState/update", { threadId, expectedRevision, operation: { type } });

    // Only started, or only given settings: no read state, and none to update.
    const fresh = await start();
    assert.equal(await readStateOf(fresh), null);
    await client.call("thread/settings/update", { threadId: fresh, effort: "high" });
    assert.equal(await readStateOf(fresh), null);
    const unavailable = await update(fresh, "0");
    assert.deepEqual(
      { code: unavailable.error?.code, message: unavailable.error?.message },
      { code: -32600, message: "thread read state unavailable" },
    );

    // A rename, a metadata update, a goal or stored items record the thread: it has a read state.
    const renamed = await start();
    await client.call("thread/name/set", { threadId: renamed, name: "named" });
    const withMetadata = await start();
    await client.call("thread/metadata/update", { threadId: withMetadata, gitInfo: { branch: "main" } });
    const withGoal = await start();
    await client.call("thread/goal/set", { threadId: withGoal, objective: "ship it", status: "paused" });
    const withItems = await start();
    await client.call("thread/inject_items", { threadId: withItems, items: [userMessage("hello")] });
    for (const threadId of [renamed, withMetadata, withGoal, withItems]) {
      assert.deepEqual(await readStateOf(threadId), { revision: `initial:${threadId}`, firstUnread: null }, threadId);
    }

    // An edit moves the revision; a stale one is refused with the read state as it is now.
    const marked = await client.call("thread/readState/update", {
      threadId: renamed,
      expectedRevision: `initial:${renamed}`,
      operation: { type: "unread" },
    });
    assert.deepEqual(await readStateOf(renamed), marked.readState);
    const stale = await update(renamed, `initial:${renamed}`, "read");
    assert.deepEqual(stale.error, {
      code: -32600,
      message: "read state changed",
      data: { reason: "readStateConflict", readState: marked.readState },
    });

    // thread/list: the read states of the listed threads that have one, by id.
    const list = await client.call("thread/list", {});
    assert.ok(list.data.some((entry: { id: string }) => entry.id === withGoal));
    assert.deepEqual(list.readStates[withGoal], { revision: `initial:${withGoal}`, firstUnread: null });
    for (const entry of list.data as { id: string }[]) assert.ok(entry.id in list.readStates, entry.id);
    // The TUI's resume lookups ask for the interactive kinds: a thread started here is one of them.
    const interactive = await client.call("thread/list", { sourceKinds: ["cli", "vscode"] });
    assert.ok(interactive.data.some((entry: { id: string }) => entry.id === withGoal));
  });

  test("goals through every status, metadata, read state and realtime history", async () => {
    const client = await open("t-goal", 0, { experimentalApi: true });
    const { thread } = await client.call("thread/start", {});
    assert.deepEqual(await client.call("thread/goal/get", { threadId: thread.id }), { goal: null });
    // Codex 0.171.0's checks and words.
    const noObjective = await client.request("thread/goal/set", { threadId: thread.id, status: "paused" });
    assert.deepEqual(
      { code: noObjective.error?.code, message: noObjective.error?.message },
      { code: -32600, message: `cannot update goal for thread ${thread.id}: no goal exists` },
    );
    for (const tokenBudget of [0, -5]) {
      const budget = await client.request("thread/goal/set", { threadId: thread.id, objective: "o", tokenBudget });
      assert.equal(budget.error?.message, "goal budgets must be positive when provided");
    }
    const emptySha = await client.request("thread/metadata/update", { threadId: thread.id, gitInfo: { sha: " " } });
    assert.equal(emptySha.error?.message, "gitInfo.sha must not be empty");
    // Every status but active, which sets the thread working (goal-turns.test.ts).
    const set = await client.call("thread/goal/set", {
      threadId: thread.id,
      objective: "ship it",
      tokenBudget: 1000,
      status: "paused",
    });
    assert.equal(set.goal.status, "paused");
    for (const status of ["blocked", "usageLimited", "budgetLimited", "complete", "paused"]) {
      const changed = await client.call("thread/goal/set", { threadId: thread.id, status });
      assert.equal(changed.goal.status, status);
      assert.equal(changed.goal.objective, "ship it");
    }
    assert.equal((await client.call("thread/goal/get", { threadId: thread.id })).goal.tokenBudget, 1000);
    assert.deepEqual(await client.call("thread/goal/clear", { threadId: thread.id }), { cleared: true });
    await client.waitForNotification((n) => n.method === "thread/goal/cleared" && n.params.threadId === thread.id);
    assert.deepEqual(await client.call("thread/goal/clear", { threadId: thread.id }), { cleared: false });

    const meta = await client.call("thread/metadata/update", { threadId: thread.id, gitInfo: { sha: "abc123", branch: "main" } });
    assert.deepEqual(meta.thread.gitInfo, { sha: "abc123", branch: "main", originUrl: null });
    const cleared = await client.call("thread/metadata/update", { threadId: thread.id, gitInfo: { branch: null } });
    assert.deepEqual(cleared.thread.gitInfo, { sha: "abc123", branch: null, originUrl: null });
    assert.equal(
      (await client.request("thread/metadata/update", { threadId: thread.id, projectId: "p1" })).error?.message,
      "project not found: p1",
    );

    const unread = await client.call("thread/readState/update", {
      threadId: thread.id,
      expectedRevision: `initial:${thread.id}`,
      operation: { type: "unread" },
    });
    assert.deepEqual(unread.readState, { revision: "1", firstUnread: { type: "threadStart" } });
    await client.waitForNotification((n) => n.method === "thread/readState/changed" && n.params.threadId === thread.id);
    const stale = await client.request("thread/readState/update", {
      threadId: thread.id,
      expectedRevision: `initial:${thread.id}`,
      operation: { type: "read" },
    });
    assert.deepEqual(stale.error, {
      code: -32600,
      message: "read state changed",
      data: { reason: "readStateConflict", readState: unread.readState },
    });
    const read = await client.call("thread/readState/update", {
      threadId: thread.id,
      expectedRevision: "1",
      operation: { type: "read" },
    });
    assert.deepEqual(read.readState, { revision: "2", firstUnread: null });
    const badOperation = await client.request("thread/readState/update", {
      threadId: thread.id,
      expectedRevision: "2",
      operation: { type: "markRead" },
    });
    assert.match(badOperation.error?.message ?? "", /^Invalid request: /);

    // No realtime history ever; the thread has a rollout (its goal, metadata), so it is covered up
    // to its newest timeline entry (test/interop-timeline.test.ts compares the end with the binary).
    const realtime = await client.call("thread/realtime/list", { threadId: thread.id });
    assert.deepEqual(realtime.data, []);
    assert.equal(realtime.coverage, "ready");
    assert.ok(realtime.snapshotEnd >= 1);
    assert.equal(realtime.projectedThroughItemIndex, realtime.snapshotEnd);
  });

  test("deleting a loaded thread: every connection of the tenant hears it is no longer loaded, before the answer", async () => {
    // Codex 0.171.0 tells all its clients, subscribed or not; another tenant hears nothing.
    const owner = await open("t-delete-loaded", 0);
    const bystander = await open("t-delete-loaded", 1);
    const stranger = await open("t-delete-other", 0);
    const { thread } = await owner.call("thread/start", {});
    await owner.waitForNotification((n) => n.method === "thread/started" && n.params.thread.id === thread.id);
    const heardFrom = owner.received.length;
    assert.deepEqual(await owner.call("thread/delete", { threadId: thread.id }), {});
    await owner.waitForNotification((n) => n.method === "thread/deleted" && n.params.threadId === thread.id);
    assert.deepEqual(
      owner.received
        .slice(heardFrom)
        .filter((entry) => entry.kind === "result" || (entry.body as { threadId?: string }).threadId === thread.id)
        .map((entry) => `${entry.kind} ${entry.method}`),
      ["notification thread/status/changed", "result thread/delete", "notification thread/deleted"],
    );
    const notLoaded = await bystander.waitForNotification(
      (n) => n.method === "thread/status/changed" && n.params.threadId === thread.id,
    );
    assert.deepEqual(notLoaded.params.status, { type: "notLoaded" });
    await bystander.waitForNotification((n) => n.method === "thread/deleted" && n.params.threadId === thread.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      stranger.notifications.filter((n) => n.params?.threadId === thread.id),
      [],
    );
    await Promise.all([owner.close(), bystander.close(), stranger.close()]);
  });

  test("another tenant's thread ids get the same answer as ids that exist nowhere, and no notification", async () => {
    const [owner, intruder] = await Promise.all([open("t-wall-a"), open("t-wall-b")]);
    const { thread } = await owner.call("thread/start", {});
    await owner.call("thread/inject_items", { threadId: thread.id, items: [userMessage("secret")] });
    const nowhere = randomUUID();
    const calls: [string, (id: string) => Record<string, unknown>][] = [
      ["thread/read", (id) => ({ threadId: id })],
      ["thread/resume", (id) => ({ threadId: id })],
      ["thread/fork", (id) => ({ threadId: id })],
      ["thread/archive", (id) => ({ threadId: id })],
      ["thread/unarchive", (id) => ({ threadId: id })],
      ["thread/delete", (id) => ({ threadId: id })],
      ["thread/unsubscribe", (id) => ({ threadId: id })],
      ["thread/name/set", (id) => ({ threadId: id, name: "hijack" })],
      ["thread/metadata/update", (id) => ({ threadId: id, gitInfo: { sha: "x" } })],
      ["thread/goal/set", (id) => ({ threadId: id, objective: "hijack" })],
      ["thread/goal/get", (id) => ({ threadId: id })],
      ["thread/goal/clear", (id) => ({ threadId: id })],
      ["thread/settings/update", (id) => ({ threadId: id, model: "x" })],
      ["thread/turns/list", (id) => ({ threadId: id })],
      ["thread/items/list", (id) => ({ threadId: id })],
      ["thread/inject_items", (id) => ({ threadId: id, items: [userMessage("x")] })],
      ["thread/readState/update", (id) => ({ threadId: id, expectedRevision: "0", operation: { type: "read" } })],
      ["thread/queue/add", (id) => ({ threadId: id, clientUserMessageId: "c", input: [{ type: "text", text: "hijack" }] })],
      ["thread/queue/list", (id) => ({ threadId: id })],
      ["thread/queue/update", (id) => ({ threadId: id, queuedSubmissionId: nowhere, input: [{ type: "text", text: "x" }] })],
      ["thread/queue/delete", (id) => ({ threadId: id, queuedSubmissionId: nowhere })],
      ["thread/queue/reorder", (id) => ({ threadId: id, queuedSubmissionIds: [] })],
      ["thread/queue/start", (id) => ({ threadId: id })],
    ];
    for (const [method, params] of calls) {
      const foreign = await intruder.request(method, params(thread.id));
      const missing = await intruder.request(method, params(nowhere));
      const scrub = (reply: typeof foreign) =>
        JSON.stringify(reply.error ?? reply.result)
          .replaceAll(thread.id, "ID")
          .replaceAll(nowhere, "ID");
      assert.equal(scrub(foreign), scrub(missing), `${method}: the same answer for a foreign and a missing thread`);
    }
    const list = await intruder.call("thread/list", {});
    assert.ok(!list.data.some((entry: { id: string }) => entry.id === thread.id));
    assert.ok(!(await intruder.call("thread/loaded/list", {})).data.includes(thread.id));
    await quiet();
    assert.ok(!intruder.notifications.some((n) => JSON.stringify(n.params).includes(thread.id)), "no notification about it");
    const untouched = await owner.call("thread/read", { threadId: thread.id });
    assert.equal(untouched.thread.name, null);
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
