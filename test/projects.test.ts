// Projects across the deployment (the binary's own behaviour is compared in interop-projects.test.ts):
// every connection of the tenant on every gateway hears project and thread-project changes, and what
// thread/read shows of a thread's project (cached by the gateways) follows them at once; tenants never
// see or touch each other's projects; a project write delivered twice is applied and announced as
// once; a thread/start racing the deletion of its project is refused, never left in a deleted project.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PROJECTS_KEY_ID } from "@switchyard/protocol";
import { CodexTestClient } from "./harness/client.js";
import { deliveredTwice } from "./harness/redelivery.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

describe("projects", () => {
  let stack: Stack;
  const open = async (tenant: string, gateway = 0) =>
    CodexTestClient.open(`${stack.gateways[gateway]?.url}/`, {
      token: await hs256Token({ tenant, sub: `${tenant}-user` }),
      experimentalApi: true,
    });
  /** A thread with content (listed, so Codex-visible in projects), made without a model: a paused goal. */
  const listedThread = async (client: CodexTestClient, text: string, start: Record<string, unknown> = {}) => {
    const { thread } = await client.call("thread/start", start);
    // A goal makes a thread listed (its objective the preview), as in Codex; paused, so no turn starts.
    await client.call("thread/goal/set", { threadId: thread.id, objective: text, status: "paused" });
    return thread.id as string;
  };
  const create = async (client: CodexTestClient, name: string, extra: Record<string, unknown> = {}) =>
    (await client.call("project/create", { idempotencyKey: `key-${name}`, name, roots: [], ...extra })).project.id as string;

  before(async () => {
    stack = await startStack("projects", {
      threads: 2,
      gateways: 2,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
  });
  after(async () => stack?.stop());

  test("every connection of the tenant hears project changes, and reads each thread's project as it now is", async () => {
    const [owner, watcher, stranger] = await Promise.all([open("t-projects", 0), open("t-projects", 1), open("t-elsewhere", 1)]);
    const threadId = await listedThread(owner, "filed");
    // Cached on both gateways before anything changes.
    for (const client of [owner, watcher]) assert.equal((await client.call("thread/read", { threadId })).thread.projectId, null);

    const projectId = await create(owner, "Desk");
    assert.deepEqual((await watcher.waitForNotification((n) => n.method === "project/changed")).params, {
      projectId,
      changeType: "created",
    });
    await owner.call("thread/metadata/update", { threadId, projectId });
    const joined = await watcher.waitForNotification((n) => n.method === "thread/project/updated");
    assert.deepEqual(joined.params, { threadId, projectId });
    for (const client of [owner, watcher]) {
      assert.equal((await client.call("thread/read", { threadId })).thread.projectId, projectId, "the cached read follows");
    }
    // The project's recency is its thread's.
    const { project } = await watcher.call("project/read", { projectId });
    assert.equal(typeof project.recencyAt, "number");

    await owner.call("project/delete", { projectId });
    const left = await watcher.waitForNotification((n) => n.method === "thread/project/updated" && n.params.projectId === null);
    assert.deepEqual(left.params, { threadId, projectId: null });
    for (const client of [owner, watcher]) assert.equal((await client.call("thread/read", { threadId })).thread.projectId, null);

    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(
      stranger.notifications.filter((n) => n.method.startsWith("project/") || n.method === "thread/project/updated").length,
      0,
      "another tenant hears none of it",
    );
    await Promise.all([owner.close(), watcher.close(), stranger.close()]);
    assertConformant();
  });

  test("tenants never see or touch each other's projects, and each has its own idempotency keys", async () => {
    const [alice, bob] = await Promise.all([open("t-alice"), open("t-bob")]);
    const aliceThread = await listedThread(alice, "alice's");
    const projectId = await create(alice, "Shared name", { idempotencyKey: "same-key" });
    const bobs = await create(bob, "Shared name", { idempotencyKey: "same-key" });
    assert.notEqual(bobs, projectId, "the same key in another tenant makes another project");

    assert.deepEqual(
      (await bob.call("project/list", {})).data.map((p: any) => p.id),
      [bobs],
    );
    const refused = async (method: string, params: unknown) => (await bob.request(method, params)).error?.message;
    assert.equal(await refused("project/read", { projectId }), `project not found: ${projectId}`);
    assert.equal(await refused("project/update", { projectId, name: "mine" }), `project not found: ${projectId}`);
    assert.equal(await refused("project/move", { projectId }), `project not found: ${projectId}`);
    assert.equal(
      await refused("project/move", { projectId: bobs, beforeProjectId: projectId }),
      `before project not found: ${projectId}`,
    );
    assert.equal(await refused("project/delete", { projectId }), `project not found: ${projectId}`);
    assert.equal(await refused("thread/start", { projectId }), `project not found: ${projectId}`);
    assert.equal(await refused("thread/list", { projectId }), `project not found: ${projectId}`);
    const bobThread = await listedThread(bob, "bob's");
    assert.equal(await refused("thread/metadata/update", { threadId: bobThread, projectId }), `project not found: ${projectId}`);
    assert.equal(
      await refused("project/import", { idempotencyKey: "steal", name: "x", roots: [], threads: [aliceThread] }),
      `thread not found: ${aliceThread}`,
    );
    const { project } = await alice.call("project/read", { projectId });
    assert.equal(project.name, "Shared name", "untouched");
    await Promise.all([alice.close(), bob.close()]);
  });

  test("a project write delivered twice is applied once, and announced by both deliveries", async () => {
    const tenant = "t-twice";
    const listener = await open(tenant);
    const twice = (commandId: string, method: string, params: unknown) =>
      deliveredTwice(stack, { tenant, keyId: PROJECTS_KEY_ID, commandId, method, params });
    const created = await twice("create-twice", "project/create", { idempotencyKey: "k", name: "Once", roots: [] });
    assert.deepEqual(created[0], created[1], "the second delivery answers what the first did");
    assert.equal((await listener.call("project/list", {})).data.length, 1);
    const projectId = (created[0] as any).project.id;
    const threadId = await listedThread(listener, "in it", {});
    await listener.call("thread/metadata/update", { threadId, projectId });

    const heardBefore = listener.notifications.length;
    const deleted = await twice("delete-twice", "project/delete", { projectId });
    assert.deepEqual(deleted[0], deleted[1]);
    assert.deepEqual(deleted[0], {});
    const deletion = `project/changed ${JSON.stringify({ projectId, changeType: "deleted" })}`;
    const leaving = `thread/project/updated ${JSON.stringify({ threadId, projectId: null })}`;
    // Each delivery's two announcements, in order (waited for until four have come, or the timeout).
    const announced = () =>
      listener.notifications
        .slice(heardBefore)
        .map((n) => `${n.method} ${JSON.stringify(n.params)}`)
        .filter((line) => line === deletion || line === leaving);
    await listener.waitForNotification(() => announced().length >= 4).catch(() => undefined);
    assert.deepEqual(announced(), [deletion, leaving, deletion, leaving]);
    assert.equal((await listener.call("project/list", {})).data.length, 0);
    await listener.close();
  });

  test("a thread/start racing its project's deletion is refused and leaves no thread in a deleted project", async () => {
    const client = await open("t-race");
    const projectId = await create(client, "Doomed");
    // Another transaction holds the project (as project/delete does while it runs): the start finds
    // the project, then its insert waits on the project's row.
    const holder = await stack.infra.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM thread.projects WHERE tenant = $1 AND id = $2 FOR UPDATE", ["t-race", projectId]);
      const starting = client.request("thread/start", { projectId });
      await waitForLockWaiter(holder);
      await holder.query("DELETE FROM thread.projects WHERE tenant = $1 AND id = $2", ["t-race", projectId]);
      await holder.query("COMMIT");
      const reply = await starting;
      assert.equal(reply.error?.code, -32600);
      assert.equal(reply.error?.message, `project not found: ${projectId}`);
    } finally {
      holder.release();
    }
    const { rows } = await stack.infra.pool.query("SELECT count(*)::int AS n FROM thread.threads WHERE tenant = $1", ["t-race"]);
    assert.equal(rows[0].n, 0, "no thread was left behind");
    // And the connection goes on.
    assert.ok((await client.call("thread/start", {})).thread.id);
    await client.close();
  });
});

/** Until some backend waits for a lock `holder`'s transaction holds. */
async function waitForLockWaiter(holder: { query: (sql: string) => Promise<{ rows: { n: number }[] }> }): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows } = await holder.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))",
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("nothing waited for the held project");
}
