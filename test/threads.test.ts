// The first thread methods end to end: thread/start, thread/read, thread/list, thread/name/set,
// their notifications, and tenant isolation, through a real gateway, NATS and Postgres.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { busSubjects } from "@switchyard/protocol";
import { TenantDb } from "@switchyard/runtime";
import { ThreadChanges } from "../services/thread/src/store/thread-changes.js";
import { type NewThread, PgThreadStore, SET_NAMES_SQL } from "../services/thread/src/store/thread-store.js";
import { CodexTestClient } from "./harness/client.js";
import { rowsReadInTransaction, serviceSession } from "./harness/service-session.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

describe("thread methods", () => {
  let stack: Stack;
  let store: PgThreadStore;
  const tokenFor = (tenant: string, subject = "user") => hs256Token({ tenant, sub: subject });
  // The official TUI opts in to the experimental API (thread/start's historyMode is experimental).
  const open = async (tenant: string, options: { optOut?: string[] } = {}) =>
    CodexTestClient.open(stack.url, { token: await tokenFor(tenant), experimentalApi: true, ...options });

  /** Gives a thread content, as a turn would, so that it is listed. */
  const addContent = (tenant: string, threadId: string, text: string) =>
    store.appendItems(
      tenant,
      threadId,
      [
        {
          turnId: `turn-${threadId.slice(-4)}`,
          item: { type: "userMessage", id: `item-${text}`, content: [{ type: "text", text }] },
        },
      ],
      text,
    );

  before(async () => {
    stack = await startStack("threads", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
    // Writes made here are announced like the service's, so gateways drop their cached reads of them.
    store = new PgThreadStore(
      new TenantDb(stack.infra.pool),
      ThreadChanges.onBus(stack.infra.nc, busSubjects(stack.infra.busPrefix)),
    );
  });
  after(async () => stack?.stop());

  test("thread/start answers the thread and announces thread/started to the tenant only", async () => {
    const [caller, sameTenant, otherTenant, optedOut] = await Promise.all([
      open("t-start"),
      open("t-start"),
      open("t-start-other"),
      open("t-start", { optOut: ["thread/started"] }),
    ]);
    const started = await caller.call("thread/start", {
      cwd: "/work/repo",
      model: "gpt-test",
      ephemeral: false,
      historyMode: "paginated",
    });
    assert.equal(started.cwd, "/work/repo");
    assert.equal(started.model, "gpt-test");
    assert.equal(started.thread.cwd, "/work/repo");
    assert.equal(started.thread.historyMode, "paginated");
    assert.equal(started.thread.cliVersion, "0.169.0");
    assert.deepEqual(started.thread.status, { type: "idle" });
    const announced = await sameTenant.waitForNotification((n) => n.method === "thread/started");
    assert.equal(announced.params.thread.id, started.thread.id);
    await caller.waitForNotification((n) => n.method === "thread/started" && n.params.thread.id === started.thread.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(otherTenant.notifications.filter((n) => n.method === "thread/started").length, 0);
    assert.equal(optedOut.notifications.filter((n) => n.method === "thread/started").length, 0);
    await Promise.all([caller, sameTenant, otherTenant, optedOut].map((client) => client.close()));
  });

  test("the caller is answered before the change is announced to it, in Codex 0.171.0's order", async () => {
    // Codex sends thread/start's answer, then thread/started (and thread/name/set's, then
    // thread/name/updated; thread/settings/update's, then thread/settings/updated). The service emits the announcement with the answer and the two reach the
    // gateway on different subjects, so without the gateway holding it back it arrives first.
    const caller = await open("t-order");
    const orders: string[] = [];
    for (let round = 0; round < 20; round++) {
      const first = caller.received.length;
      const { thread } = await caller.call("thread/start", { cwd: "/order" });
      await caller.call("thread/name/set", { threadId: thread.id, name: `order ${round}` });
      await caller.call("thread/settings/update", { threadId: thread.id, model: `gpt-order-${round}` });
      await caller.waitForNotification((n) => n.method === "thread/settings/updated" && n.params.threadId === thread.id);
      orders.push(
        caller.received
          .slice(first)
          .filter((received) => received.kind === "result" || received.method.startsWith("thread/"))
          .map((received) => (received.kind === "result" ? "answer" : received.method))
          .join(" "),
      );
    }
    assert.deepEqual(
      new Set(orders),
      new Set(["answer thread/started answer thread/name/updated answer thread/settings/updated"]),
    );
    await caller.close();
  });

  test("a created thread's row, made from its inputs and the timestamps Postgres returns, is the row stored", async () => {
    const plain = (id: string): NewThread => ({
      tenant: "t-row",
      id,
      cwd: "/row",
      modelProvider: "openai",
      model: "gpt-row",
      source: "vscode",
      sourceKind: "vscode",
      threadSource: null,
      historyMode: "paginated",
      isEphemeral: false,
      cliVersion: "0.171.0",
      projectId: null,
      settings: { approvalPolicy: "on-request", sandbox: { type: "readOnly" }, serviceTier: null },
      createdBy: "ann",
      subscriber: null,
    });
    const snapshot = (generation: string) => ({
      subject: "ann",
      sessionLayer: "{}",
      effective: "{}",
      resolved: "{}",
      generation,
    });
    // A thread's project is one of its tenant's (migration 0040's foreign key).
    const rowProject = "01900000-0000-7000-8000-0000000000aa";
    await stack.infra.pool.query(
      `INSERT INTO thread.projects (tenant, id, name, roots, metadata, position) VALUES ('t-row', $1, 'Row', '[]', '{}', 0)`,
      [rowProject],
    );
    const parent = await store.create(plain("01900000-0000-7000-8000-000000000001"));
    assert.deepEqual(await store.read("t-row", parent.id), parent);
    const child = await store.createWithSnapshot(
      {
        ...plain("01900000-0000-7000-8000-000000000002"),
        cwd: "/row/child",
        modelProvider: "other",
        source: { subAgent: "review" },
        sourceKind: "subAgent",
        threadSource: "review",
        historyMode: "legacy",
        isEphemeral: true,
        cliVersion: "0.169.0",
        projectId: rowProject,
        settings: { effort: "high", activePermissionProfile: { id: "p", extends: null } },
        subscriber: "gw/c1",
        parentThreadId: parent.id,
        dynamicTools: [{ name: "lookup", description: "d", inputSchema: { type: "object" } }],
      },
      snapshot("0"),
    );
    assert.ok(child, "stored at the tenant's generation");
    assert.deepEqual(await store.read("t-row", child.id), child);
    const stale = await store.createWithSnapshot(plain("01900000-0000-7000-8000-000000000003"), snapshot("7"));
    assert.equal(stale, undefined, "a snapshot of another generation stores neither it nor the thread");
    assert.equal(await store.read("t-row", "01900000-0000-7000-8000-000000000003"), undefined);

    // Creations that arrive together share one statement; in it a stale snapshot leaves only its own
    // thread out, and a row the statement refuses (its id is taken) fails alone.
    const [fresh, stale2, plainNew, reusedId, fresh2] = ["11", "12", "13", "14", "15"].map(
      (n) => `01900000-0000-7000-8000-0000000000${n}`,
    ) as [string, string, string, string, string];
    const together = [fresh, stale2, plainNew, reusedId, fresh2];
    const batchesBefore = store.creationStats.batches;
    const outcomes = await Promise.allSettled([
      store.createWithSnapshot({ ...plain(fresh), subscriber: "gw/c2" }, snapshot("0")),
      store.createWithSnapshot(plain(stale2), snapshot("7")),
      store.create(plain(plainNew)),
      store.create(plain(parent.id)),
      store.createWithSnapshot(plain(fresh2), snapshot("0")),
    ]);
    assert.equal(outcomes[0].status, "fulfilled");
    assert.deepEqual(outcomes[1], { status: "fulfilled", value: undefined });
    assert.equal(outcomes[2].status, "fulfilled");
    assert.equal(outcomes[3].status, "rejected", "a second thread with a taken id is refused");
    assert.deepEqual(await store.read("t-row", parent.id), parent, "and the first is unchanged");
    assert.equal(outcomes[4].status, "fulfilled");
    for (const index of [0, 2, 4]) {
      const outcome = outcomes[index] as PromiseFulfilledResult<unknown>;
      assert.deepEqual(await store.read("t-row", together[index] as string), outcome.value);
    }
    assert.equal(await store.read("t-row", stale2), undefined);
    assert.equal(await store.read("t-row", reusedId), undefined);
    const snapshots = await stack.infra.pool.query<{ thread_id: string }>(
      "SELECT thread_id FROM config.thread_configs WHERE tenant = 't-row' AND thread_id = ANY($1) ORDER BY thread_id",
      [together],
    );
    assert.deepEqual(
      snapshots.rows.map((row) => row.thread_id),
      [fresh, fresh2],
    );
    const subscribed = await stack.infra.pool.query<{ connection: string }>(
      "SELECT connection FROM thread.subscriptions WHERE tenant = 't-row' AND thread_id = $1",
      [fresh],
    );
    assert.deepEqual(
      subscribed.rows.map((row) => row.connection),
      ["gw/c2"],
    );
    // One batch for the five (the refusal then split it: each ran alone, which the stats do not count).
    assert.equal(store.creationStats.batches - batchesBefore, 1);
  });

  test("thread/start without cwd uses the service default; a relative cwd is taken relative to it", async () => {
    const client = await open("t-defaults");
    const started = await client.call("thread/start", { cwd: null });
    assert.equal(started.thread.cwd, "/workspace");
    const relative = await client.call("thread/start", { cwd: "relative/path/" });
    assert.equal(relative.thread.cwd, "/workspace/relative/path");
    await client.close();
  });

  test("thread/read returns the thread, with turns when asked", async () => {
    const client = await open("t-read");
    const { thread } = await client.call("thread/start", {});
    const plain = await client.call("thread/read", { threadId: thread.id });
    assert.equal(plain.thread.id, thread.id);
    assert.deepEqual(plain.thread.turns, []);
    await addContent("t-read", thread.id, "hello there");
    const withTurns = await client.call("thread/read", { threadId: thread.id, includeTurns: true });
    assert.equal(withTurns.thread.preview, "hello there");
    assert.equal(withTurns.thread.turns.length, 1);
    assert.equal(withTurns.thread.turns[0].items[0].content[0].text, "hello there");
    await client.close();
  });

  test("thread/name/set renames, announces thread/name/updated to the tenant, and is read back", async () => {
    const [client, watcher, stranger] = await Promise.all([open("t-name"), open("t-name"), open("t-name-other")]);
    const { thread } = await client.call("thread/start", {});
    assert.deepEqual(await client.call("thread/name/set", { threadId: thread.id, name: "  Refactor the parser  " }), {});
    const update = await watcher.waitForNotification((n) => n.method === "thread/name/updated");
    assert.deepEqual(update.params, { threadId: thread.id, threadName: "Refactor the parser" });
    assert.equal((await client.call("thread/read", { threadId: thread.id })).thread.name, "Refactor the parser");
    const empty = await client.request("thread/name/set", { threadId: thread.id, name: "   " });
    assert.equal(empty.error?.message, "thread name must not be empty");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(stranger.notifications.filter((n) => n.method === "thread/name/updated").length, 0);
    await Promise.all([client, watcher, stranger].map((c) => c.close()));
  });

  test("renames arriving together are written together; a refused one fails alone; a repeated command applies once", async () => {
    const client = await open("t-batch");
    const threadIds: string[] = [];
    for (let index = 0; index < 6; index++) threadIds.push((await client.call("thread/start", {})).thread.id);
    const batchesBefore = store.renameStats.batches;
    // A NUL byte is refused by Postgres (22021): only its own command may fail.
    const names = threadIds.map((_, index) => (index === 2 ? "bad\u0000name" : `batch name ${index}`));
    const outcomes = await Promise.allSettled(
      threadIds.map((threadId, index) => store.setName("t-batch", threadId, names[index] as string, `batch-cmd-${index}`)),
    );
    assert.equal(store.renameStats.batches - batchesBefore < threadIds.length, true, "fewer statements than renames");
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"],
    );
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : "refused")),
      ["applied", "applied", "refused", "applied", "applied", "applied"],
    );
    // Redelivered, together with a rename of a thread that does not exist.
    const again = await Promise.all([
      store.setName("t-batch", threadIds[0] as string, "batch name 0", "batch-cmd-0"),
      store.setName("t-batch", "00000000-0000-4000-8000-000000000000", "nowhere", "batch-cmd-nowhere"),
    ]);
    assert.deepEqual(again, ["alreadyApplied", "threadNotFound"]);
    const { rows } = await stack.infra.pool.query<{ thread_id: string; revision: string; name: string }>(
      "SELECT thread_id, revision, name FROM thread.name_changes WHERE tenant = 't-batch' ORDER BY name",
    );
    assert.deepEqual(
      rows.map((row) => [row.thread_id, Number(row.revision), row.name]),
      [0, 1, 3, 4, 5].map((index) => [threadIds[index], 1, `batch name ${index}`]),
      "one ledger row per applied rename, each with its thread's next revision",
    );
    for (const [index, threadId] of threadIds.entries()) {
      const thread = await store.read("t-batch", threadId);
      assert.equal(thread?.name ?? null, index === 2 ? null : `batch name ${index}`);
    }
    await client.close();
  });

  test("a batch of renames reads one row per renamed thread however many threads its tenant has", async () => {
    // The statement as the store prepares it, on a connection of the service's role, with a generic
    // plan made while the tenant had four threads and the table no statistics; then the tenant grows.
    const tenant = "t-rename-scale";
    const insertThreads = (count: number) =>
      stack.infra.pool.query<{ id: string }>(
        `INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, model, source, source_kind, history_mode,
           is_ephemeral, cli_version, created_by)
         SELECT $1, gen_random_uuid(), gen_random_uuid(), '/w', 'openai', 'm', '"appServer"', 'appServer', 'paginated', false, '0', 'u'
           FROM generate_series(1, $2) RETURNING id`,
        [tenant, count],
      );
    const ids = (await insertThreads(4)).rows.map((row) => row.id);
    const client = await serviceSession(stack.infra.databaseUrl, tenant, { isGenericPlan: true });
    try {
      const rename = (round: number) =>
        client.query({
          name: "rename-scale",
          text: SET_NAMES_SQL,
          values: [tenant, ids, ids.map((_, index) => `scale-${round}-${index}`), ids.map((_, index) => `n${round}-${index}`)],
        });
      assert.deepEqual(
        (await rename(0)).rows.map((row) => row.is_applied),
        [true, true, true, true],
      );
      await insertThreads(3_000);
      await client.query("BEGIN");
      assert.deepEqual(
        (await rename(1)).rows.map((row) => row.is_applied),
        [true, true, true, true],
      );
      const reads = await rowsReadInTransaction(client, "thread", "threads");
      await client.query("COMMIT");
      assert.equal(reads.scanned, 0, "no scan of the table");
      assert.ok(
        reads.fetchedByIndex <= 4 * 10,
        `a few index lookups per renamed thread, not a read of the tenant's 3,004: ${reads.fetchedByIndex}`,
      );
    } finally {
      await client.end();
    }
    assert.equal((await store.read(tenant, ids[3] as string))?.name, "n1-3");
  });

  test("thread/list shows only threads with content, newest first, with keyset pagination", async () => {
    const client = await open("t-list");
    const ids: string[] = [];
    const empty = await client.call("thread/start", {});
    for (let index = 0; index < 5; index++) {
      const { thread } = await client.call("thread/start", {});
      await addContent("t-list", thread.id, `message ${index}`);
      ids.push(thread.id);
    }
    const all = await client.call("thread/list", {});
    assert.deepEqual(
      all.data.map((t: { id: string }) => t.id),
      [...ids].reverse(),
    );
    assert.ok(!all.data.some((t: { id: string }) => t.id === empty.thread.id), "a thread without content is not listed");
    assert.equal(all.nextCursor, null);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: { id: string }[]; nextCursor: string | null } = await client.call("thread/list", { limit: 2, cursor });
      seen.push(...page.data.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    assert.equal(pages, 3);

    const ascending = await client.call("thread/list", { sortDirection: "asc", sortKey: "created_at" });
    assert.deepEqual(
      ascending.data.map((t: { id: string }) => t.id),
      ids,
    );

    // backwardsCursor: from the second page, reversing direction returns what came before it.
    const first = await client.call("thread/list", { limit: 2 });
    const second = await client.call("thread/list", { limit: 2, cursor: first.nextCursor });
    const back = await client.call("thread/list", { sortDirection: "asc", cursor: second.backwardsCursor });
    assert.deepEqual(
      back.data.map((t: { id: string }) => t.id),
      [...first.data.map((t: { id: string }) => t.id)].reverse(),
    );

    const bad = await client.request("thread/list", { cursor: "garbage" });
    assert.equal(bad.error?.code, -32600);
    assert.match(bad.error?.message ?? "", /invalid cursor/);
    await client.close();
  });

  test("thread/list filters by archived, cwd, provider and a case-insensitive search term", async () => {
    const client = await open("t-filter");
    const make = async (cwd: string, text: string, modelProvider = "openai") => {
      const { thread } = await client.call("thread/start", { cwd, modelProvider });
      await addContent("t-filter", thread.id, text);
      return thread.id as string;
    };
    const alpha = await make("/repo/alpha", "Fix the Flaky login test");
    const beta = await make("/repo/beta", "add dark mode", "ollama");
    const archived = await make("/repo/alpha", "old work");
    await stack.infra.pool.query("UPDATE thread.threads SET archived_at = now() WHERE id = $1", [archived]);
    const ids = (result: { data: { id: string }[] }) => result.data.map((t) => t.id).sort();

    assert.deepEqual(ids(await client.call("thread/list", {})), [alpha, beta].sort());
    assert.deepEqual(ids(await client.call("thread/list", { archived: true })), [archived]);
    assert.deepEqual(ids(await client.call("thread/list", { cwd: "/repo/alpha" })), [alpha]);
    assert.deepEqual(ids(await client.call("thread/list", { cwd: ["/repo/alpha", "/repo/beta"] })), [alpha, beta].sort());
    assert.deepEqual(ids(await client.call("thread/list", { modelProviders: ["ollama"] })), [beta]);
    assert.deepEqual(ids(await client.call("thread/list", { searchTerm: "flaky LOGIN" })), [alpha]);
    assert.deepEqual(ids(await client.call("thread/list", { searchTerm: "100%_" })), []);
    await client.call("thread/name/set", { threadId: beta, name: "Theme work" });
    assert.deepEqual(ids(await client.call("thread/list", { searchTerm: "theme" })), [beta]);
    assert.deepEqual(ids(await client.call("thread/list", { excludedThreadIds: [alpha] })), [beta]);
    await client.close();
  });

  test("one tenant can neither read nor list nor rename another tenant's thread", async () => {
    const owner = await open("t-owner");
    const intruder = await open("t-intruder");
    const { thread } = await owner.call("thread/start", {});
    await addContent("t-owner", thread.id, "secret plans");
    await owner.call("thread/name/set", { threadId: thread.id, name: "Secret" });

    // Codex's words for a thread that is not there (another tenant's is not there for the intruder).
    const read = await intruder.request("thread/read", { threadId: thread.id });
    assert.equal(read.error?.message, `thread not loaded: ${thread.id}`);
    const listed = await intruder.call("thread/list", { searchTerm: "secret" });
    assert.deepEqual(listed.data, []);
    const renamed = await intruder.request("thread/name/set", { threadId: thread.id, name: "Pwned" });
    assert.equal(renamed.error?.message, `no rollout found for thread id ${thread.id}`);

    const after = await owner.call("thread/read", { threadId: thread.id });
    assert.equal(after.thread.name, "Secret");
    assert.equal((await owner.call("thread/list", {})).data.length, 1);
    await Promise.all([owner.close(), intruder.close()]);
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
