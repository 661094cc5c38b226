// The turn lease and its fencing token, on real Postgres as the service role: one running turn per
// thread; a take-over (what the sweeper does for a dead instance, or an interrupt nobody runs) bumps
// the fence, after which every write of the old runner — items, lease renewals, its ending — is
// refused and changes nothing; only an expired lease can be swept.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { busSubjects } from "@switchyard/protocol";
import { createLogger, createPool, type Pool, TenantDb } from "@switchyard/runtime";
import { ThreadChanges } from "../services/thread/src/store/thread-changes.js";
import { TurnStore } from "../services/thread/src/turns/turn-store.js";
import { CodexTestClient } from "./harness/client.js";
import { type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

const TENANT = "t-lease";

describe("turn lease and fencing", () => {
  let stack: Stack;
  let pool: Pool;
  let turns: TurnStore;
  let db: TenantDb;
  // This suite's writes are announced like the service's (gateways' cached reads drop them).
  let changes: ThreadChanges;

  before(async () => {
    stack = await startStack("turn-lease", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
    const log = createLogger({ service: "test", instanceId: "test", level: "warn" });
    pool = createPool({
      url: stack.infra.databaseUrl,
      applicationName: "turn-lease-test",
      max: 4,
      log,
      role: "switchyard_service",
    });
    db = new TenantDb(pool);
    changes = ThreadChanges.onBus(stack.infra.nc, busSubjects(stack.infra.busPrefix));
    turns = new TurnStore(db, changes);
  });
  after(async () => {
    await pool?.end();
    await stack?.stop();
  });

  const admit = (threadId: string, turnId: string, owner: string, leaseMs: number) =>
    changes.transaction(db, TENANT, (tx) =>
      turns.admit(tx, {
        tenant: TENANT,
        threadId,
        turnId,
        rootTurnId: turnId,
        kind: "regular",
        owner,
        leaseMs,
        request: {},
        items: [],
        preview: null,
      }),
    );

  /** A thread created through the gateway, and a turn admitted on it directly through the store. */
  async function admitted(leaseMs: number) {
    const client = await CodexTestClient.open(stack.url, { token: await hs256Token({ tenant: TENANT, sub: "u" }) });
    const { thread } = await client.call("thread/start", {});
    client.socket.close();
    const turnId = `turn-${Math.random().toString(36).slice(2)}`;
    const row = await admit(thread.id, turnId, "instance-a", leaseMs);
    return {
      threadId: thread.id as string,
      turnId,
      lease: { tenant: TENANT, threadId: thread.id, turnId, fence: row.fence, owner: "instance-a" },
    };
  }

  const itemCount = async (threadId: string) =>
    Number((await stack.infra.pool.query("SELECT count(*) FROM thread.items WHERE thread_id = $1", [threadId])).rows[0].count);

  test("one running turn per thread", async () => {
    const { threadId } = await admitted(10_000);
    await assert.rejects(admit(threadId, "second", "instance-b", 10_000), /turns_one_running/);
  });

  test("after a take-over, the old runner's writes carry a stale fence and are refused", async () => {
    const { threadId, turnId, lease } = await admitted(10_000);
    const item = {
      item: { type: "agentMessage", id: "m1", text: "late" },
      responseItem: { type: "message", role: "assistant", content: [] },
    };
    assert.equal(await turns.appendItems(lease, [item]), true, "the holder writes while its fence holds");
    assert.equal(await turns.renewLease(lease, 10_000), true);
    const before = await itemCount(threadId);

    // The lease has not lapsed: a sweep must leave it alone.
    assert.equal(
      await turns.takeOver(TENANT, threadId, turnId, { status: "failed", error: null, onlyIfLeaseExpired: true }),
      undefined,
    );
    const ended = await turns.takeOver(TENANT, threadId, turnId, {
      status: "interrupted",
      error: null,
      onlyIfLeaseExpired: false,
    });
    assert.equal(ended?.status, "interrupted");

    assert.equal(await turns.appendItems(lease, [item]), false, "a stale fence stores nothing");
    assert.equal(await turns.renewLease(lease, 10_000), false, "nor renews the lease");
    assert.equal(await turns.complete(lease, { status: "completed", error: null }), undefined, "nor rewrites the ending");
    assert.equal(await itemCount(threadId), before);
    const row = await turns.read(TENANT, threadId, turnId);
    assert.equal(row?.status, "interrupted");
    const thread = await stack.infra.pool.query("SELECT active_turn_id FROM thread.threads WHERE id = $1", [threadId]);
    assert.equal(thread.rows[0].active_turn_id, null, "the thread is no longer active");
  });

  test("a lapsed lease is swept; the next admission gets a new fence the old one cannot use", async () => {
    const { threadId, turnId, lease } = await admitted(50);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const swept = await turns.takeOver(TENANT, threadId, turnId, { status: "failed", error: null, onlyIfLeaseExpired: true });
    assert.equal(swept?.status, "failed");
    const next = await admit(threadId, `${turnId}-next`, "instance-b", 10_000);
    assert.ok(BigInt(next.fence) > BigInt(lease.fence));
    // The old runner names its own turn; even so it cannot write into the thread any more.
    assert.equal(await turns.appendItems(lease, [{ item: null, responseItem: { type: "message" } }]), false);
    const nextLease = { ...lease, turnId: next.id, fence: next.fence, owner: "instance-b" };
    assert.equal(await turns.appendItems(nextLease, [{ item: null, responseItem: { type: "message" } }]), true);
  });
});
