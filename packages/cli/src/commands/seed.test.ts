import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseSeedPlan, planBatches, SeedArgumentError, tenantName } from "./seed.js";

describe("seed plan", () => {
  test("spreads threads over tenants evenly, in batches", () => {
    const batches = planBatches({ threads: 11, tenants: 3, itemsPerThread: 2, tenantPrefix: "seed-", batchSize: 2 });
    const perTenant = new Map<string, number>();
    for (const batch of batches) perTenant.set(batch.tenant, (perTenant.get(batch.tenant) ?? 0) + batch.to - batch.from + 1);
    assert.deepEqual(
      [...perTenant],
      [
        ["seed-000", 4],
        ["seed-001", 4],
        ["seed-002", 3],
      ],
    );
    assert.ok(batches.every((batch) => batch.to - batch.from + 1 <= 2));
    assert.equal(tenantName("t-", 7, 1000), "t-007");
    assert.equal(tenantName("t-", 7, 10_000), "t-0007");
  });

  test("refuses impossible arguments with a message naming the flag", () => {
    assert.deepEqual(parseSeedPlan({ threads: "1000000", tenants: "100" }), {
      threads: 1_000_000,
      tenants: 100,
      itemsPerThread: 2,
      tenantPrefix: "seed-",
      batchSize: 5_000,
    });
    assert.throws(() => parseSeedPlan({ threads: "ten" }), SeedArgumentError);
    assert.throws(() => parseSeedPlan({ threads: "5", tenants: "6" }), /--tenants \(6\) exceeds --threads \(5\)/);
    assert.throws(
      () => parseSeedPlan({ threads: "5", "items-per-thread": "-1" }),
      /--items-per-thread must be a non-negative integer/,
    );
  });
});

describe("switchyard seed (real Postgres)", () => {
  test("seeds threads with items across tenants, deterministically, and a rerun adds nothing", async () => {
    const { default: pg } = await import("pg");
    const { randomBytes } = await import("node:crypto");
    const { loadCliEnv } = await import("../env.js");
    const { seedCommand } = await import("./seed.js");
    const admin = process.env.SWITCHYARD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const database = `sy_seed_test_${randomBytes(4).toString("hex")}`;
    const url = new URL(admin);
    url.pathname = `/${database}`;
    const adminClient = new pg.Client({ connectionString: admin });
    await adminClient.connect();
    await adminClient.query(`CREATE DATABASE ${database}`);
    const printed: string[] = [];
    const context = {
      env: loadCliEnv({ ...process.env, DATABASE_URL: url.toString() }),
      print: (text: string) => printed.push(text),
      printError: (text: string) => printed.push(`error: ${text}`),
    };
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      assert.equal(await seedCommand.run({ threads: "250", tenants: "3", "items-per-thread": "4", batch: "40" }, context), 0);
      assert.match(printed.at(-1) ?? "", /^seed: 250 threads created \(0 already there\) with 4 items each, over 3 tenants/);
      await client.connect();
      const counts = await client.query<{ tenant: string; threads: string; items: string; listed: string }>(
        `SELECT t.tenant, count(*) AS threads, sum((SELECT count(*) FROM thread.items i WHERE i.tenant = t.tenant AND i.thread_id = t.id)) AS items,
                count(*) FILTER (WHERE materialized_at IS NOT NULL AND preview <> '') AS listed
           FROM thread.threads t GROUP BY t.tenant ORDER BY t.tenant`,
      );
      assert.deepEqual(
        counts.rows.map((row) => [row.tenant, Number(row.threads), Number(row.items), Number(row.listed)]),
        [
          ["seed-000", 84, 336, 84],
          ["seed-001", 83, 332, 83],
          ["seed-002", 83, 332, 83],
        ],
      );
      const searchable = await client.query<{ count: string }>(
        "SELECT count(*) FROM thread.items WHERE search_text ILIKE '%ticket-%' AND item ->> 'type' = 'userMessage'",
      );
      assert.equal(Number(searchable.rows[0]?.count), 500, "every user message carries a ticket marker");
      const lineage = await client.query<{ count: string }>(
        "SELECT count(*) FROM thread.threads WHERE parent_thread_id IS NOT NULL",
      );
      assert.ok(Number(lineage.rows[0]?.count) > 0, "some threads are sub-agents of others");
      const before = await client.query("SELECT id, preview FROM thread.threads ORDER BY id");
      assert.equal(await seedCommand.run({ threads: "250", tenants: "3", "items-per-thread": "4" }, context), 0);
      assert.match(printed.at(-1) ?? "", /^seed: 0 threads created \(250 already there\)/);
      assert.deepEqual((await client.query("SELECT id, preview FROM thread.threads ORDER BY id")).rows, before.rows);
      assert.equal(await seedCommand.run({ threads: "2", tenants: "3" }, context), 2);
    } finally {
      await client.end().catch(() => {});
      await adminClient.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await adminClient.end();
    }
  });
});
