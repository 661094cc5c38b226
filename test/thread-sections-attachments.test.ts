// Thread sections and attachments across the deployment (the binary's own behaviour is compared in
// interop-thread-sections.test.ts and interop-thread-attachments.test.ts): a move is announced to
// every connection of the tenant on every gateway, and what thread/read shows of a thread's section
// (cached by the gateways) follows moves, renames and deletes at once; tenants never see or touch
// each other's sections or attachments; moves into one section from many threads at once (two
// thread instances) each get their own place; a section write or an attachment delivered twice is
// applied once; a thread's attachments go with it when it is deleted.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PINNED_SECTION_ID } from "@switchyard/protocol";
import { CodexTestClient } from "./harness/client.js";
import { deliveredTwice } from "./harness/redelivery.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

describe("thread sections and attachments", () => {
  let stack: Stack;
  const open = async (tenant: string, gateway = 0) =>
    CodexTestClient.open(`${stack.gateways[gateway]?.url}/`, {
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
      experimentalApi: true,
    });
  /** A thread with content (listed), made without a model: a paused goal. */
  const listedThread = async (client: CodexTestClient, text: string) => {
    const { thread } = await client.call("thread/start", {});
    // A goal makes a thread listed (its objective the preview), as in Codex; paused, so no turn starts.
    await client.call("thread/goal/set", { threadId: thread.id, objective: text, status: "paused" });
    return thread.id as string;
  };

  before(async () => {
    stack = await startStack("thread-sections-attachments", {
      threads: 2,
      gateways: 2,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
  });
  after(async () => stack?.stop());

  test("every connection of the tenant hears a move, and reads the thread's section as it now is", async () => {
    const [owner, watcher, stranger] = await Promise.all([open("t-sections", 0), open("t-sections", 1), open("t-other", 1)]);
    const threadId = await listedThread(owner, "filed");
    const { section } = await owner.call("threadSection/create", { name: "Desk", appearance: { color: "green" } });
    // Cached on both gateways before anything changes.
    for (const client of [owner, watcher]) {
      assert.equal((await client.call("thread/read", { threadId })).thread.section, null);
    }
    await owner.call("thread/section/move", { threadId, sectionId: section.id });
    const heard = await watcher.waitForNotification((n) => n.method === "thread/section/changed");
    assert.deepEqual(heard.params, { threadId, sectionId: section.id });
    for (const client of [owner, watcher]) {
      const { thread } = await client.call("thread/read", { threadId });
      assert.deepEqual(thread.section, { id: section.id, name: "Desk", appearance: { icon: null, color: "green" } });
      assert.equal(typeof thread.sectionEnteredAt, "number");
    }
    // Another tenant hears nothing of it, and sees only its own sections.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(stranger.notifications.filter((n) => n.method === "thread/section/changed").length, 0);
    assert.deepEqual(
      (await stranger.call("threadSection/list", {})).data.map((entry: { id: string }) => entry.id),
      [PINNED_SECTION_ID],
    );

    // A rename is shown at once wherever the thread is read; so is a delete.
    await owner.call("threadSection/update", { sectionId: section.id, name: "Bench" });
    for (const client of [owner, watcher]) {
      assert.equal((await client.call("thread/read", { threadId })).thread.section?.name, "Bench");
    }
    await owner.call("threadSection/delete", { sectionId: section.id });
    for (const client of [owner, watcher]) {
      const { thread } = await client.call("thread/read", { threadId });
      assert.deepEqual([thread.section, thread.sectionEnteredAt], [null, null]);
    }
    await Promise.all([owner.close(), watcher.close(), stranger.close()]);
  });

  test("a tenant cannot file into, rename, delete or list another tenant's sections, nor move its threads", async () => {
    const [owner, stranger] = await Promise.all([open("t-sections-a", 0), open("t-sections-b", 1)]);
    const ownThread = await listedThread(owner, "mine");
    const strangerThread = await listedThread(stranger, "theirs");
    const { section } = await owner.call("threadSection/create", { name: "Private" });
    await owner.call("thread/section/move", { threadId: ownThread, sectionId: section.id });
    const refusals = [
      await stranger.request("thread/section/move", { threadId: strangerThread, sectionId: section.id }),
      await stranger.request("thread/section/move", { threadId: ownThread, sectionId: PINNED_SECTION_ID }),
      await stranger.request("threadSection/update", { sectionId: section.id, name: "Mine now" }),
      await stranger.request("threadSection/delete", { sectionId: section.id }),
    ];
    assert.deepEqual(
      refusals.map((reply) => reply.error?.message),
      [
        `section ${section.id} does not exist`,
        `thread not found: ${ownThread}`,
        `thread section not found: ${section.id}`,
        `thread section not found: ${section.id}`,
      ],
    );
    assert.deepEqual((await stranger.call("thread/list", { sectionId: section.id })).data, []);
    const listed = await owner.call("thread/list", { sectionId: section.id, sortKey: "section_position" });
    assert.deepEqual(
      listed.data.map((thread: { id: string; section: { name: string } }) => [thread.id, thread.section.name]),
      [[ownThread, "Private"]],
    );
    await Promise.all([owner.close(), stranger.close()]);
  });

  test("threads moved into one section at once, through two gateways and two instances, each get a place of their own", async () => {
    const clients = await Promise.all([open("t-sections-many", 0), open("t-sections-many", 1)]);
    const [first, second] = clients as [CodexTestClient, CodexTestClient];
    const threadIds = await Promise.all(
      Array.from({ length: 16 }, (_, index) => listedThread(clients[index % 2] as CodexTestClient, `m${index}`)),
    );
    const { section } = await first.call("threadSection/create", { name: "Crowd" });
    await Promise.all(
      threadIds.map((threadId, index) =>
        (index % 2 === 0 ? first : second).call("thread/section/move", { threadId, sectionId: section.id }),
      ),
    );
    const positions = await stack.infra.pool.query<{ section_position: string }>(
      "SELECT section_position FROM thread.threads WHERE tenant = $1 AND section_id = $2",
      ["t-sections-many", section.id],
    );
    assert.equal(positions.rows.length, 16);
    assert.equal(new Set(positions.rows.map((row) => row.section_position)).size, 16, "two threads share a position");
    // Then each placed before the first, at once: still one place each, and the list holds them all.
    const { data } = await first.call("thread/list", { sectionId: section.id, sortKey: "section_position", limit: 50 });
    const head = data[0].id as string;
    await Promise.all(
      threadIds
        .filter((threadId) => threadId !== head)
        .map((threadId, index) =>
          (index % 2 === 0 ? first : second).call("thread/section/move", {
            threadId,
            sectionId: section.id,
            beforeThreadId: head,
          }),
        ),
    );
    const after = await first.call("thread/list", { sectionId: section.id, sortKey: "section_position", limit: 50 });
    assert.equal(after.data.length, 16);
    assert.equal(after.data.at(-1).id, head);
    const again = await stack.infra.pool.query<{ distinct: string }>(
      "SELECT count(DISTINCT section_position) AS distinct FROM thread.threads WHERE tenant = $1 AND section_id = $2",
      ["t-sections-many", section.id],
    );
    assert.equal(Number(again.rows[0]?.distinct), 16);
    await Promise.all(clients.map((client) => client.close()));
    assertConformant();
  });

  test("a section created by a command delivered twice exists once", async () => {
    const client = await open("t-sections-dup", 0);
    const answers = await deliveredTwice(stack, {
      tenant: "t-sections-dup",
      keyId: "sections",
      commandId: "duplicate-threadSection/create",
      method: "threadSection/create",
      params: { name: "Once" },
    });
    assert.equal(answers.length, 2, "both deliveries are answered");
    assert.deepEqual(answers[0], answers[1], "with the same section");
    const { data } = await client.call("threadSection/list", {});
    assert.deepEqual(
      data.map((entry: { name: string }) => entry.name),
      ["Pinned", "Once"],
    );
    await client.close();
  });

  test("attachments: heard on every gateway, kept apart by tenant, applied once when delivered twice, gone with their thread", async () => {
    const [owner, watcher, stranger] = await Promise.all([open("t-attach", 0), open("t-attach", 1), open("t-attach-other", 1)]);
    const threadId = await listedThread(owner, "with attachments");
    const identity = { attachmentType: "pr", identityKey: "github.com/acme/app#7" };
    const added = await owner.call("thread/attachment/add", { threadId, ...identity, payload: { state: "open" } });
    assert.equal(added.outcome, "created");
    const heard = await watcher.waitForNotification((n) => n.method === "thread/attachment/updated");
    assert.deepEqual(heard.params, { threadId, ...identity, attachmentId: added.attachment.id, operation: "created" });
    // Another tenant with the same identity on a thread of its own: neither sees the other's.
    const strangerThread = await listedThread(stranger, "elsewhere");
    await stranger.call("thread/attachment/add", { threadId: strangerThread, ...identity, payload: 1 });
    assert.deepEqual((await owner.call("thread/attachmentOwner/list", identity)).data, [{ threadId, archived: false }]);
    assert.deepEqual((await stranger.call("thread/attachmentOwner/list", identity)).data, [
      { threadId: strangerThread, archived: false },
    ]);
    assert.deepEqual((await stranger.call("thread/attachment/list", { threadId })).data, []);
    assert.equal(
      (await stranger.request("thread/attachment/add", { threadId, ...identity, payload: 2 })).error?.message,
      `thread not found: ${threadId}`,
    );

    // One add delivered twice (what a redelivery looks like to a worker): one attachment, one answer twice.
    const answers = await deliveredTwice(stack, {
      tenant: "t-attach",
      keyId: threadId,
      commandId: "duplicate-thread/attachment/add",
      method: "thread/attachment/add",
      params: { threadId, attachmentType: "doc", identityKey: "once", payload: null },
    });
    assert.equal(answers.length, 2);
    assert.deepEqual(answers[0], answers[1]);
    const listed = await owner.call("thread/attachment/list", { threadId });
    assert.deepEqual(
      listed.data.map((attachment: { identityKey: string }) => attachment.identityKey),
      ["github.com/acme/app#7", "once"],
    );

    // Deleting the thread deletes its attachments.
    await owner.call("thread/delete", { threadId });
    assert.deepEqual((await owner.call("thread/attachmentOwner/list", identity)).data, []);
    const left = await stack.infra.pool.query("SELECT 1 FROM thread.attachments WHERE tenant = $1 AND thread_id = $2", [
      "t-attach",
      threadId,
    ]);
    assert.equal(left.rows.length, 0);
    await Promise.all([owner.close(), watcher.close(), stranger.close()]);
    assertConformant();
  });
});
