// Tenancy's second wall: row-level security. Services query as switchyard_service with the tenant
// set per connection; a query that forgets its tenant predicate still sees only that tenant's rows
// (or none when no tenant is set), and cannot write another tenant's rows.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { serviceSession } from "./harness/service-session.js";
import { assertConformant, type Stack, startStack } from "./harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "./harness/tokens.js";

describe("tenancy: row-level security", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack("tenancy", { gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET } });
  });
  after(async () => stack?.stop());

  const serviceRoleClient = (tenant: string | undefined) => serviceSession(stack.infra.databaseUrl, tenant);

  test("a query without a tenant predicate returns only the session tenant's rows, or none", async () => {
    const clients = await Promise.all(
      ["acme", "globex"].map(async (tenant) =>
        CodexTestClient.open(stack.url, { token: await hs256Token({ tenant, sub: `${tenant}-user` }) }),
      ),
    );
    for (const client of clients) {
      await client.call("thread/start", {});
      await client.call("thread/start", {});
    }
    const all = await stack.infra.pool.query("SELECT tenant FROM thread.threads");
    assert.equal(all.rows.length, 4, "the login role (superuser) sees every row");

    const acme = await serviceRoleClient("acme");
    const noTenant = await serviceRoleClient(undefined);
    try {
      const visible = await acme.query<{ tenant: string }>("SELECT tenant FROM thread.threads");
      assert.equal(visible.rows.length, 2);
      assert.ok(visible.rows.every((row) => row.tenant === "acme"));
      const bypass = await acme.query("SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)");
      assert.equal(bypass.rowCount, 0, "switchyard_service cannot bypass row-level security");
      assert.equal((await noTenant.query("SELECT 1 FROM thread.threads")).rowCount, 0, "no tenant set: nothing");
      await assert.rejects(
        acme.query(
          `INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, source, source_kind, history_mode,
             is_ephemeral, cli_version, created_by)
           VALUES ('globex', gen_random_uuid(), gen_random_uuid(), '/w', 'p', '"appServer"', 'appServer', 'legacy', false, '0', 'x')`,
        ),
        /row-level security/,
        "cannot write another tenant's row",
      );
      const updated = await acme.query("UPDATE thread.threads SET name = 'hijacked' WHERE tenant = 'globex'");
      assert.equal(updated.rowCount, 0, "cannot touch another tenant's rows");
    } finally {
      await acme.end();
      await noTenant.end();
    }
    for (const client of clients) await client.close();
  });

  test("every result and notification matched the official schema", () => assertConformant());
});
