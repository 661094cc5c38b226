// Thread search end to end — thread/search, thread/search/stream with its partials, both cancels
// (across instances), thread/searchOccurrences, thread/items/read — and the thread/list filters of
// 0.171.0, through real gateways, NATS, two thread-service instances and Postgres (row-level
// security on). Content is written straight into thread.items, as turns would store it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { INSERT_ITEMS_SQL, INSERT_THREADS_SQL } from "../packages/cli/src/commands/seed.js";
import { decodeTurnCursor } from "../services/thread/src/store/turn-cursor.js";
import { CodexTestClient } from "./harness/client.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

interface SearchPage {
  data: { thread: { id: string; name: string | null; preview: string }; snippet: string }[];
  nextCursor: string | null;
  backwardsCursor: string | null;
}

describe("thread search", () => {
  let stack: Stack;
  const open = async (tenant: string, experimentalApi = true) =>
    CodexTestClient.open(stack.url, { token: await hs256Token({ tenant, sub: "user" }), experimentalApi });

  const userMessage = (id: string, text: string) => ({
    type: "userMessage",
    id,
    content: [{ type: "text", text, text_elements: [] }],
  });
  const agentMessage = (id: string, text: string) => ({ type: "agentMessage", id, text });

  /** Stores one turn's items (as a turn would) and materializes the thread. */
  const addTurn = async (tenant: string, threadId: string, turnId: string, items: Record<string, unknown>[]) => {
    await stack.infra.pool.query(
      `WITH base AS (SELECT coalesce(max(seq), 0) AS seq FROM thread.items WHERE tenant = $1 AND thread_id = $2)
       INSERT INTO thread.items (tenant, thread_id, seq, turn_id, item)
       SELECT $1, $2, base.seq + entry.ordinality, $3, entry.value
         FROM base, jsonb_array_elements($4::jsonb) WITH ORDINALITY AS entry(value, ordinality)`,
      [tenant, threadId, turnId, JSON.stringify(items)],
    );
    const first = items[0] as { content?: { text: string }[]; text?: string };
    await stack.infra.pool.query(
      `UPDATE thread.threads SET materialized_at = coalesce(materialized_at, now()), updated_at = clock_timestamp(),
              recency_at = clock_timestamp(), preview = CASE WHEN preview = '' THEN $3 ELSE preview END,
              has_read_state = NOT is_ephemeral
        WHERE tenant = $1 AND id = $2`,
      [tenant, threadId, first.content?.[0]?.text ?? first.text ?? ""],
    );
  };

  const startThread = async (client: CodexTestClient, tenant: string, userText: string, agentText = "Sure.") => {
    const { thread } = await client.call<{ thread: { id: string } }>("thread/start", {});
    await addTurn(tenant, thread.id, "turn-1", [userMessage("u1", userText), agentMessage("a1", agentText)]);
    return thread.id;
  };

  /**
   * The seeded threads become interactive (`vscode`): a listing or search that names no source kind
   * considers only those, and the paging tests want all 400 (the seed mixes kinds).
   */
  const interactive = (tenant: string) =>
    stack.infra.pool.query(`UPDATE thread.threads SET source = '"vscode"', source_kind = 'vscode' WHERE tenant = $1`, [tenant]);

  const ids = (page: { data: { thread?: { id: string }; id?: string }[] }) =>
    page.data.map((entry) => (entry.thread ? entry.thread.id : (entry.id as string)));

  before(async () => {
    stack = await startStack("thread_search", { threads: 2, gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
  });
  after(async () => stack?.stop());

  test("thread/search matches content and titles case-insensitively, with snippets, only in the caller's tenant", async () => {
    const [owner, stranger] = await Promise.all([open("s-basic"), open("s-basic-other")]);
    const parser = await startThread(
      owner,
      "s-basic",
      "Please fix the Flaky PARSER test in src/parse.rs",
      "I rewrote the parser loop.",
    );
    const login = await startThread(owner, "s-basic", "Add dark mode", "Dark mode is behind a feature flag now.");
    const titled = await startThread(owner, "s-basic", "unrelated words only");
    await owner.call("thread/name/set", { threadId: titled, name: "Quarterly Zebra report" });
    await startThread(stranger, "s-basic-other", "the flaky parser of the other tenant");

    const parserHits = await owner.call<SearchPage>("thread/search", { searchTerm: "flaky parser" });
    assert.deepEqual(ids(parserHits), [parser]);
    assert.match(parserHits.data[0]?.snippet ?? "", /Flaky PARSER/);
    const answerHits = await owner.call<SearchPage>("thread/search", { searchTerm: "FEATURE flag" });
    assert.deepEqual(ids(answerHits), [login]);
    assert.match(answerHits.data[0]?.snippet ?? "", /feature flag/);
    const titleHits = await owner.call<SearchPage>("thread/search", { searchTerm: "zebra" });
    assert.deepEqual(ids(titleHits), [titled]);
    assert.equal(titleHits.data[0]?.snippet, "Quarterly Zebra report");
    // Short terms (no trigram) take the walk and find the same rows.
    assert.deepEqual(ids(await owner.call<SearchPage>("thread/search", { searchTerm: "rs" })), [parser]);
    // LIKE wildcards are literal.
    assert.deepEqual((await owner.call<SearchPage>("thread/search", { searchTerm: "100%_" })).data, []);

    const strangerHits = await stranger.call<SearchPage>("thread/search", { searchTerm: "parser" });
    assert.equal(strangerHits.data.length, 1);
    assert.notEqual(strangerHits.data[0]?.thread.id, parser);
    assert.deepEqual((await stranger.call<SearchPage>("thread/search", { searchTerm: "zebra" })).data, []);
    await Promise.all([owner.close(), stranger.close()]);
  });

  test("thread/search pages with cursors both ways; bad input is -32600", async () => {
    const client = await open("s-pages");
    const made: string[] = [];
    for (let index = 0; index < 5; index++) made.push(await startThread(client, "s-pages", `needle number ${index}`));
    const newestFirst = [...made].reverse();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: SearchPage = await client.call("thread/search", { searchTerm: "NEEDLE", limit: 2, cursor });
      seen.push(...ids(page));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, newestFirst);
    assert.equal(pages, 3);
    const first = await client.call<SearchPage>("thread/search", { searchTerm: "needle", limit: 2 });
    const second = await client.call<SearchPage>("thread/search", { searchTerm: "needle", limit: 2, cursor: first.nextCursor });
    const back = await client.call<SearchPage>("thread/search", {
      searchTerm: "needle",
      sortDirection: "asc",
      cursor: second.backwardsCursor,
    });
    assert.deepEqual(ids(back), [...ids(first)].reverse());
    const ascending = await client.call<SearchPage>("thread/search", {
      searchTerm: "needle",
      sortKey: "updated_at",
      sortDirection: "asc",
    });
    assert.deepEqual(ids(ascending), made);
    assert.deepEqual((await client.call<SearchPage>("thread/search", { searchTerm: "needle", limit: 0 })).data, []);

    const refusals: [unknown, RegExp][] = [
      [{ searchTerm: "   " }, /^thread\/search requires a non-empty searchTerm$/],
      [{ searchTerm: "x".repeat(65_537) }, /^thread\/search searchTerm exceeds 65536 UTF-8 bytes/],
      [{ searchTerm: "é".repeat(32_769) }, /exceeds 65536 UTF-8 bytes/],
      [{ searchTerm: "needle", cursor: "garbage" }, /^invalid cursor: garbage/],
      [{ searchTerm: "needle", limit: -1 }, /^Invalid request: invalid value: integer `-1`, expected u32$/],
      [
        { searchTerm: "needle", sortKey: "section_position" },
        /unknown variant `section_position`, expected one of `created_at`, `updated_at`, `recency_at`/,
      ],
      [{}, /^Invalid request: missing field `searchTerm`$/],
    ];
    for (const [params, message] of refusals) {
      const reply = await client.request("thread/search", params);
      assert.equal(reply.error?.code, -32600, JSON.stringify(params).slice(0, 80));
      assert.match(reply.error?.message ?? "", message);
    }
    // 65,536 bytes after trimming is allowed.
    const atLimit = await client.request("thread/search/stream", { searchTerm: `  ${"y".repeat(65_536)}  ` });
    assert.deepEqual(atLimit.result, { data: [], nextCursor: null, backwardsCursor: null });
    await client.close();

    const plain = await open("s-pages", false);
    const gated = await plain.request("thread/search", { searchTerm: "needle" });
    assert.equal(gated.error?.message, "`thread/search` requires experimentalApi capability");
    await plain.close();
  });

  test("many matches (the walk) and few (the trigram index) give the same complete pages", async () => {
    const tenant = "s-walk";
    const client = await open(tenant);
    // 400 threads whose user message says "common", one in ten also "rarely"; more than the candidate cap.
    await stack.infra.pool.query(INSERT_THREADS_SQL, [tenant, 1, 400, 400]);
    await interactive(tenant);
    await stack.infra.pool.query(INSERT_ITEMS_SQL, [tenant, 1, 400, 2]);
    await stack.infra.pool.query(
      `UPDATE thread.items SET item = jsonb_set(item, '{content,0,text}',
              to_jsonb((item #>> '{content,0,text}') || ' common' || CASE WHEN thread_id::text < '1a' THEN ' rarely' ELSE '' END))
        WHERE tenant = $1 AND item ->> 'type' = 'userMessage'`,
      [tenant],
    );
    const expectedRare = await stack.infra.pool.query<{ id: string }>(
      "SELECT id FROM thread.threads WHERE tenant = $1 AND id::text < '1a' ORDER BY created_at DESC, id DESC",
      [tenant],
    );
    const expectedAll = await stack.infra.pool.query<{ id: string }>(
      "SELECT id FROM thread.threads WHERE tenant = $1 ORDER BY created_at DESC, id DESC",
      [tenant],
    );
    const collect = async (searchTerm: string, method = "thread/search") => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const page: SearchPage = await client.call(method, { searchTerm, limit: 37, cursor });
        found.push(...ids(page));
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    };
    assert.ok(expectedRare.rows.length > 5 && expectedRare.rows.length < 100);
    assert.deepEqual(
      await collect("RARELY"),
      expectedRare.rows.map((row) => row.id),
    );
    assert.deepEqual(
      await collect("common"),
      expectedAll.rows.map((row) => row.id),
    );
    assert.deepEqual(
      await collect("common", "thread/search/stream"),
      expectedAll.rows.map((row) => row.id),
    );
    await client.close();
  });

  test("thread/search/stream sends partials for the caller only, before its final answer", async () => {
    const [client, sameTenant] = await Promise.all([open("s-stream"), open("s-stream")]);
    for (let index = 0; index < 12; index++) await startThread(client, "s-stream", `streamed match ${index}`);
    const arrivals: string[] = [];
    client.socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      arrivals.push(message.method === "thread/search/partial" ? `partial:${message.params.requestId}` : `reply:${message.id}`);
    });
    const requestId = (client as unknown as { nextId: number }).nextId;
    const final = await client.call<SearchPage>("thread/search/stream", { searchTerm: "streamed", limit: 10 });
    assert.equal(final.data.length, 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const partials = client.notifications.filter((n) => n.method === "thread/search/partial");
    assert.ok(partials.length >= 1, "at least one partial");
    assert.ok(partials.every((n) => n.params.requestId === requestId));
    const partialIds = partials.flatMap((n) => n.params.data.map((row: { thread: { id: string } }) => row.thread.id));
    assert.ok(
      partialIds.every((id) => ids(final).includes(id)),
      "partial rows are rows of the final page",
    );
    assert.equal(new Set(partialIds).size, partialIds.length, "partial rows are unique");
    assert.equal(arrivals[arrivals.length - 1], `reply:${requestId}`, "nothing follows the final answer");
    assert.equal(sameTenant.notifications.filter((n) => n.method === "thread/search/partial").length, 0);
    // A plain thread/search sends none.
    await client.call("thread/search", { searchTerm: "streamed" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(client.notifications.filter((n) => n.method === "thread/search/partial").length, partials.length);
    await Promise.all([client.close(), sameTenant.close()]);
  });

  test("a cancel stops the running search on whichever instance runs it; only its own connection's, only its kind", async () => {
    const tenant = "s-cancel";
    // Enough threads that a search for a term without trigrams that nothing contains walks for a while.
    await stack.infra.pool.query(INSERT_THREADS_SQL, [tenant, 1, 8_000, 8_000]);
    await stack.infra.pool.query(INSERT_ITEMS_SQL, [tenant, 1, 8_000, 4]);
    await stack.infra.pool.query("ANALYZE thread.threads");
    await stack.infra.pool.query("ANALYZE thread.items");
    const [client, other] = await Promise.all([open(tenant), open(tenant)]);
    const nextId = () => (client as unknown as { nextId: number }).nextId;

    const started = Date.now();
    const uncancelled = await client.request("thread/search", { searchTerm: "q~" });
    const searchMs = Date.now() - started;
    console.log(`uncancelled walk: ${searchMs} ms`);
    assert.deepEqual((uncancelled.result as SearchPage).data, []);

    for (const [method, cancelMethod] of [
      ["thread/search", "thread/search/cancel"],
      ["thread/search/stream", "thread/search/stream/cancel"],
    ] as const) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const requestId = nextId();
        const running = client.request(method, { searchTerm: "q~" });
        const cancelled = await client.request(cancelMethod, { requestId });
        assert.deepEqual(cancelled.result, {});
        const outcome = await running;
        assert.equal(outcome.error?.message, `\`${method}\` was cancelled`, `${method} (search took ${searchMs} ms uncancelled)`);
        assert.equal((outcome.error?.data as { reason?: string } | undefined)?.reason, "cancelled");
      }
    }
    // Idempotent, and harmless for finished or unknown requests.
    assert.deepEqual(await client.call("thread/search/cancel", { requestId: 424242 }), {});
    assert.deepEqual(await client.call("thread/search/cancel", { requestId: 424242 }), {});
    assert.deepEqual(await client.call("thread/search/stream/cancel", { requestId: "never-sent" }), {});
    // Another connection cannot cancel it, and the other kind's cancel does not either.
    const requestId = nextId();
    const running = client.request("thread/search", { searchTerm: "q~" });
    await other.call("thread/search/cancel", { requestId });
    await client.call("thread/search/stream/cancel", { requestId });
    assert.deepEqual(((await running).result as SearchPage).data, []);
    const badCancel = await client.request("thread/search/cancel", { requestId: null });
    assert.equal(badCancel.error?.code, -32600);
    assert.match(badCancel.error?.message ?? "", /RequestId/);
    await Promise.all([client.close(), other.close()]);
  });

  test("thread/searchOccurrences pages through matches with UTF-16 ranges and turn cursors", async () => {
    const [client, stranger] = await Promise.all([open("s-occ"), open("s-occ-other")]);
    const { thread } = await client.call<{ thread: { id: string } }>("thread/start", {});
    const emojiText = "😀😀 the Needle is here and another needle there";
    await addTurn("s-occ", thread.id, "turn-a", [userMessage("u-a", "find the needle"), agentMessage("a-a", emojiText)]);
    await addTurn("s-occ", thread.id, "turn-b", [
      userMessage("u-b", "no match here"),
      agentMessage("a-b", `${"x ".repeat(100)}NEEDLE at the end`),
    ]);
    const all = await client.call<{ data: any[]; nextCursor: string | null }>("thread/searchOccurrences", {
      threadId: thread.id,
      searchTerm: "needle",
    });
    assert.deepEqual(
      all.data.map((occurrence) => [occurrence.itemId, occurrence.turnId]),
      [
        ["u-a", "turn-a"],
        ["a-a", "turn-a"],
        ["a-a", "turn-a"],
        ["a-b", "turn-b"],
      ],
    );
    assert.equal(all.nextCursor, null);
    for (const occurrence of all.data) {
      const { start, end } = occurrence.snippetMatchRange;
      assert.equal(occurrence.snippet.slice(start, end).toLowerCase(), "needle", occurrence.snippet);
    }
    assert.equal(all.data[1].snippet, emojiText);
    assert.deepEqual(all.data[1].snippetMatchRange, { start: 9, end: 15 }, "two emoji are four UTF-16 units");
    assert.ok(all.data[3].snippet.startsWith("…"), "a long text is cut before the match");
    const turnA = decodeTurnCursor(all.data[0].turnCursor, thread.id);
    assert.deepEqual([turnA.turnId, turnA.firstItemSeq], ["turn-a", "1"]);
    assert.deepEqual([decodeTurnCursor(all.data[3].turnCursor, thread.id).firstItemSeq], ["3"]);
    // thread/turns/list opens at the occurrence's turn, inclusive, in either direction.
    const fromB = await client.call("thread/turns/list", {
      threadId: thread.id,
      cursor: all.data[3].turnCursor,
      sortDirection: "asc",
    });
    assert.deepEqual(
      fromB.data.map((turn: { id: string }) => turn.id),
      ["turn-b"],
    );
    const upToA = await client.call("thread/turns/list", {
      threadId: thread.id,
      cursor: all.data[0].turnCursor,
      sortDirection: "desc",
    });
    assert.deepEqual(
      upToA.data.map((turn: { id: string }) => turn.id),
      ["turn-a"],
    );

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: any[]; nextCursor: string | null } = await client.call("thread/searchOccurrences", {
        threadId: thread.id,
        searchTerm: "NEEDLE",
        limit: 1,
        cursor,
      });
      paged.push(...page.data.map((occurrence) => `${occurrence.itemId}:${occurrence.snippetMatchRange.start}`));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(
      paged,
      all.data.map((occurrence) => `${occurrence.itemId}:${occurrence.snippetMatchRange.start}`),
    );
    const first = await client.call<{ nextCursor: string }>("thread/searchOccurrences", {
      threadId: thread.id,
      searchTerm: "needle",
      limit: 1,
    });
    const otherTerm = await client.request("thread/searchOccurrences", {
      threadId: thread.id,
      searchTerm: "here",
      cursor: first.nextCursor,
    });
    assert.match(otherTerm.error?.message ?? "", /^invalid cursor: /);

    const hidden = await stranger.request("thread/searchOccurrences", { threadId: thread.id, searchTerm: "needle" });
    assert.equal(hidden.error?.message, `thread not found: ${thread.id}`);
    const missing = "00000000-0000-4000-8000-000000000000";
    assert.equal(
      (await client.request("thread/searchOccurrences", { threadId: missing, searchTerm: "needle" })).error?.message,
      `thread not found: ${missing}`,
    );
    await Promise.all([client.close(), stranger.close()]);
  });

  test("thread/items/read returns the named items of one turn in stored order", async () => {
    const [client, stranger] = await Promise.all([open("s-items"), open("s-items-other")]);
    const { thread } = await client.call<{ thread: { id: string } }>("thread/start", {});
    await addTurn("s-items", thread.id, "turn-1", [
      userMessage("u1", "hello"),
      agentMessage("a1", "hi"),
      agentMessage("a2", "more"),
    ]);
    await addTurn("s-items", thread.id, "turn-2", [userMessage("u2", "again")]);
    const read = await client.call<{ data: { turnId: string; item: { id: string } }[] }>("thread/items/read", {
      threadId: thread.id,
      turnId: "turn-1",
      itemIds: ["a2", "u1", "u2", "nope", "u1"],
    });
    assert.deepEqual(
      read.data.map((entry) => [entry.turnId, entry.item.id]),
      [
        ["turn-1", "u1"],
        ["turn-1", "a2"],
      ],
    );
    for (const itemIds of [[], Array.from({ length: 101 }, (_, index) => `i${index}`)]) {
      const refused = await client.request("thread/items/read", { threadId: thread.id, turnId: "turn-1", itemIds });
      assert.equal(refused.error?.message, "itemIds must contain 1 to 100 IDs");
    }
    const hidden = await stranger.request("thread/items/read", { threadId: thread.id, turnId: "turn-1", itemIds: ["u1"] });
    assert.equal(hidden.error?.message, `thread not found: ${thread.id}`);
    await Promise.all([client.close(), stranger.close()]);
  });

  test("thread/list filters: lineage at any depth, included ids, projects, sections, attachments", async () => {
    const tenant = "s-list";
    const [client, stranger] = await Promise.all([open(tenant), open("s-list-other")]);
    const make = async (text: string, projectId: string | null = null) => {
      const { thread } = await client.call<{ thread: { id: string } }>("thread/start", projectId ? { projectId } : {});
      await addTurn(tenant, thread.id, "turn-1", [userMessage("u1", text)]);
      return thread.id;
    };
    const project = async (name: string) =>
      (await client.call("project/create", { idempotencyKey: name, name, roots: [] })).project.id as string;
    const [projectA, projectB] = [await project("a"), await project("b")];
    const root = await make("root", projectA);
    const child = await make("child", projectA);
    const grandchild = await make("grandchild");
    const greatGrandchild = await make("great grandchild");
    const sibling = await make("sibling", projectB);
    const setParent = (id: string, parent: string) =>
      stack.infra.pool.query("UPDATE thread.threads SET parent_thread_id = $2 WHERE id = $1", [id, parent]);
    await setParent(child, root);
    await setParent(grandchild, child);
    await setParent(greatGrandchild, grandchild);
    await setParent(sibling, root);
    const strangerThread = (await stranger.call<{ thread: { id: string } }>("thread/start", {})).thread.id;
    await addTurn("s-list-other", strangerThread, "turn-1", [userMessage("u1", "root of another tenant")]);

    const list = async (params: Record<string, unknown>) =>
      (await client.call<{ data: { id: string }[] }>("thread/list", params)).data.map((t) => t.id).sort();
    const sorted = (...values: string[]) => [...values].sort();
    assert.deepEqual(await list({ parentThreadId: root }), sorted(child, sibling));
    assert.deepEqual(await list({ ancestorThreadId: root }), sorted(child, grandchild, greatGrandchild, sibling));
    assert.deepEqual(await list({ ancestorThreadId: child }), sorted(grandchild, greatGrandchild));
    assert.deepEqual(await list({ ancestorThreadId: greatGrandchild }), []);
    assert.deepEqual(await list({ includedThreadIds: [root, grandchild, strangerThread] }), sorted(root, grandchild));
    assert.deepEqual(await list({ includedThreadIds: [root, grandchild], excludedThreadIds: [root] }), [grandchild]);
    assert.deepEqual(await list({ includedThreadIds: [] }), []);
    assert.deepEqual(await list({ projectId: projectA }), sorted(root, child));
    assert.deepEqual(await list({ projectId: null }), sorted(grandchild, greatGrandchild));
    assert.deepEqual((await list({})).length, 5);
    assert.deepEqual(await list({ sectionId: "section-1" }), []);
    assert.deepEqual((await list({ sectionId: null })).length, 5);
    assert.deepEqual(await list({ attachedToThreadId: root }), []);
    assert.deepEqual(await list({ limit: 0 }), []);
    // A page nothing can match is still a whole page, as Codex 0.171.0 answers it (the TUI lists by section).
    for (const nothing of [{ sectionId: "section-1" }, { attachedToThreadId: root }, { includedThreadIds: [] }, { limit: 0 }]) {
      assert.deepEqual(await client.call("thread/list", nothing), {
        data: [],
        readStates: {},
        nextCursor: null,
        backwardsCursor: null,
      });
    }
    // Originators, as a hosted backend serves them: the creating client's name, matched exactly;
    // an empty list restricts nothing.
    assert.deepEqual((await list({ originators: ["switchyard-test", "someone-else"] })).length, 5);
    assert.deepEqual(await list({ originators: ["someone-else"] }), []);
    assert.deepEqual((await list({ originators: [] })).length, 5);
    const [listed] = (await client.call<{ data: { originator: string | null }[] }>("thread/list", { limit: 1 })).data;
    assert.equal(listed?.originator, "switchyard-test");
    assert.deepEqual(await list({ searchTerm: "GRANDCHILD" }), sorted(grandchild, greatGrandchild));
    // Another tenant's threads: the same answer as unknown ids.
    assert.deepEqual((await stranger.call<{ data: unknown[] }>("thread/list", { parentThreadId: root })).data, []);
    assert.deepEqual((await stranger.call<{ data: unknown[] }>("thread/list", { ancestorThreadId: root })).data, []);
    assert.deepEqual((await stranger.call<{ data: unknown[] }>("thread/list", { searchTerm: "grandchild" })).data, []);

    const tooMany = Array.from({ length: 101 }, () => root);
    // Ids in Codex's words (the uuid crate's diagnosis); the two id lists are -32602 in Codex.
    const badChar = "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1";
    const refusals: [Record<string, unknown>, string | RegExp, number?][] = [
      [{ includedThreadIds: tooMany }, "includedThreadIds accepts at most 100 entries"],
      [{ excludedThreadIds: tooMany }, "excludedThreadIds accepts at most 100 entries"],
      [{ includedThreadIds: ["x"] }, `invalid included thread id: ${badChar}`, -32602],
      [{ excludedThreadIds: ["x"] }, `invalid excluded thread id: ${badChar}`, -32602],
      [{ parentThreadId: "x" }, `invalid parent thread id: ${badChar}`],
      [{ ancestorThreadId: "x" }, `invalid ancestor thread id: ${badChar}`],
      [{ attachedToThreadId: "x" }, `invalid attached thread parent id: ${badChar}`],
      [{ parentThreadId: root, ancestorThreadId: root }, "parentThreadId and ancestorThreadId are mutually exclusive"],
      [
        { attachedToThreadId: root, parentThreadId: root },
        "attachedToThreadId cannot be combined with parentThreadId or ancestorThreadId",
      ],
      [{ limit: -1 }, "Invalid request: invalid value: integer `-1`, expected u32"],
      [{ limit: 1.5 }, /^Invalid request: invalid type: floating point `1.5`/],
      [
        { sortKey: "bogus" },
        // Codex says "expected one of …"; serde-messages.ts leaves out "one of" (reported to the lead).
        /^Invalid request: unknown variant `bogus`, expected (one of )?`created_at`, `updated_at`, `recency_at`, `section_position`$/,
      ],
      [{ sourceKinds: ["bogus"] }, /^Invalid request: unknown variant `bogus`/],
      [{ cursor: "garbage" }, /^invalid cursor: garbage/],
      [{ cursor: "garbage", sectionId: "s" }, /^invalid cursor: garbage/],
    ];
    for (const [params, message, code = -32600] of refusals) {
      const reply = await client.request("thread/list", params);
      assert.equal(reply.error?.code, code, JSON.stringify(params).slice(0, 100));
      if (typeof message === "string") assert.equal(reply.error?.message, message);
      else assert.match(reply.error?.message ?? "", message);
    }
    await Promise.all([client.close(), stranger.close()]);
  });

  test("thread/list and thread/search consider Codex's interactive kinds unless told otherwise; subAgent names every sub-agent kind", async () => {
    const tenant = "s-kinds";
    const client = await open(tenant);
    const kinds = ["cli", "vscode", "exec", "appServer", "subAgent", "subAgentReview", "subAgentThreadSpawn", "unknown"];
    const byKind = new Map<string, string>();
    for (const kind of kinds) {
      const id = await startThread(client, tenant, `kinded thread of ${kind}`);
      await stack.infra.pool.query("UPDATE thread.threads SET source_kind = $2 WHERE tenant = $1 AND id = $3", [
        tenant,
        kind,
        id,
      ]);
      byKind.set(kind, id);
    }
    const of = (...named: string[]) => named.map((kind) => byKind.get(kind) as string).sort();
    const listed = async (params: Record<string, unknown>) =>
      (await client.call<{ data: { id: string }[] }>("thread/list", params)).data.map((thread) => thread.id).sort();
    const searched = async (params: Record<string, unknown>) =>
      ids(await client.call<SearchPage>("thread/search", { searchTerm: "kinded", ...params })).sort();
    for (const read of [listed, searched]) {
      assert.deepEqual(await read({}), of("cli", "vscode"), "no kind named: cli and vscode, as Codex");
      assert.deepEqual(await read({ sourceKinds: [] }), of("cli", "vscode"), "an empty list is no list");
      assert.deepEqual(await read({ sourceKinds: ["exec", "unknown"] }), of("exec", "unknown"));
      assert.deepEqual(await read({ sourceKinds: ["subAgent"] }), of("subAgent", "subAgentReview", "subAgentThreadSpawn"));
      assert.deepEqual(await read({ sourceKinds: ["subAgentReview", "appServer"] }), of("subAgentReview", "appServer"));
    }
    await client.close();
  });

  test("thread/list searchTerm: a rare title (trigram index) and a common one (walk) page completely", async () => {
    const tenant = "s-list-title";
    const client = await open(tenant);
    await stack.infra.pool.query(INSERT_THREADS_SQL, [tenant, 1, 400, 400]);
    await interactive(tenant);
    await stack.infra.pool.query("UPDATE thread.threads SET name = 'Common title', preview = '' WHERE tenant = $1", [tenant]);
    await stack.infra.pool.query(
      "UPDATE thread.threads SET name = 'Common title with a Rarity' WHERE tenant = $1 AND id::text < '1a'",
      [tenant],
    );
    const expected = async (where: string) =>
      (
        await stack.infra.pool.query<{ id: string }>(
          `SELECT id FROM thread.threads WHERE tenant = $1 AND ${where} ORDER BY updated_at DESC, id DESC`,
          [tenant],
        )
      ).rows.map((row) => row.id);
    const collect = async (searchTerm: string) => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: { id: string }[]; nextCursor: string | null } = await client.call("thread/list", {
          searchTerm,
          limit: 50,
          cursor,
        });
        found.push(...page.data.map((thread) => thread.id));
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    };
    assert.deepEqual(await collect("rarity"), await expected("id::text < '1a'"));
    assert.deepEqual(await collect("common TITLE"), await expected("true"));
    // A term longer than the part the index is asked about: the whole term must still match.
    const longName = `Rarity ${"long title words ".repeat(30)}end`;
    await stack.infra.pool.query("UPDATE thread.threads SET name = $2 WHERE tenant = $1 AND id::text < '18'", [tenant, longName]);
    assert.deepEqual(await collect(longName.toLowerCase()), await expected("id::text < '18'"));
    assert.deepEqual(await collect(`${longName.slice(0, -3)}tail`), []);
    assert.deepEqual(await collect("zq".repeat(128 * 1024)), [], "a 256 KiB term is answered (nothing holds it)");
    await client.close();
  });

  test("title search asks the trigram index, which holds titled threads only (a start writes no entry)", async () => {
    // The function's own text, planned with sequential scans off over a tenant with many threads: the
    // index's predicate (migration 0034) must follow from the function's, or the planner cannot use it.
    const source = await stack.infra.pool.query<{ prosrc: string }>(
      "SELECT prosrc FROM pg_proc WHERE proname = 'threads_with_matching_titles'",
    );
    const text = source.rows[0]?.prosrc.replace(/\bpattern\b/, "'%needle%'").replace(/\bcap\b/, "200");
    assert.ok(text, "the title-search function exists");
    // Rows inserted since the index was built wait in its pending list until a vacuum merges them (as
    // autovacuum does), and the planner prices a long pending list as expensive to read.
    await stack.infra.pool.query("VACUUM ANALYZE thread.threads");
    const db = await stack.infra.pool.connect();
    try {
      await db.query("BEGIN");
      await db.query("SET LOCAL enable_seqscan = off");
      // s-cancel's 8,000 seeded threads (an earlier test), most of them titled.
      await db.query("SELECT set_config('switchyard.tenant', 's-cancel', true)");
      const plan = (await db.query(`EXPLAIN ${text}`)).rows.map((row) => row["QUERY PLAN"]).join("\n");
      assert.match(plan, /threads_title_trgm/, `the trigram index is used:\n${plan}`);
      await db.query("ROLLBACK");
    } finally {
      db.release();
    }
    const indexes = await stack.infra.pool.query<{ definition: string }>(
      "SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indexrelid::regclass::text LIKE 'thread.threads_title_trgm%'",
    );
    assert.ok(indexes.rows.length > 0);
    for (const { definition } of indexes.rows)
      assert.match(definition, /WHERE \(\(name IS NOT NULL\) OR \(preview <> ''::text\)\)/);
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
