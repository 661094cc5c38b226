// Tenants share a service's Postgres connections in turn when they run out (packages/runtime/src/
// fair-slots.ts, used by TenantDb): against a real Postgres, a quiet tenant's statement issued behind
// a flood of another tenant's is answered among the next few, not after the whole flood, as
// pg.Pool's own first-come, first-served queue would answer it (checked here too, as the contrast).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TenantDb } from "@switchyard/runtime";
import pg from "pg";
import { createTestInfra, type TestInfra } from "./harness/infra.js";

const CONNECTIONS = 2;
const FLOOD = 24;

let infra: TestInfra;
let pool: pg.Pool;

before(async () => {
  infra = await createTestInfra("fair_slots");
  pool = new pg.Pool({ connectionString: infra.databaseUrl, max: CONNECTIONS });
});

after(async () => {
  await pool?.end();
  await infra?.dispose();
});

/** Where among all the statements' completions the quiet tenant's came (0: first). */
async function quietPlace(run: (tenant: string, sql: string) => Promise<unknown>): Promise<number> {
  const done: string[] = [];
  const flood = Array.from({ length: FLOOD }, () => run("flood", "SELECT pg_sleep(0.01)").then(() => done.push("flood")));
  const quiet = run("quiet", "SELECT 1").then(() => done.push("quiet"));
  await Promise.all([...flood, quiet]);
  return done.indexOf("quiet");
}

test("a quiet tenant's statement waits for a turn, not for another tenant's whole flood", async () => {
  const db = new TenantDb(pool);
  const place = await quietPlace((tenant, sql) => db.query(tenant, "fairness", sql, []));
  // The two running when it arrived, the flood's one turn before it, then its own.
  assert.ok(place <= CONNECTIONS + 1, `the quiet statement completed ${place + 1}th of ${FLOOD + 1}`);
  assert.deepEqual(db.slots.queued, { statements: 0, tenants: 0 });

  // The pool alone serves in arrival order: the quiet statement comes after the whole flood.
  const fifo = await quietPlace((_tenant, sql) => pool.query(sql));
  assert.ok(fifo >= FLOOD - CONNECTIONS, `without turns it completed ${fifo + 1}th of ${FLOOD + 1}`);
});
