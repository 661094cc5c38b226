// Data migrations, checked on data written before them: a database at an earlier version gets rows
// as that version wrote them, then the remaining migrations run as a service's start-up runs them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLogger, loadMigrations, migrate } from "@switchyard/runtime";
import { discoverMigrations } from "../packages/cli/src/paths.js";
import { createTestInfra, type TestInfra } from "./harness/infra.js";

const log = createLogger({ service: "migrations-test", instanceId: "t", level: "silent" });
const threadMigrations = () => {
  const set = discoverMigrations().find((candidate) => candidate.schema === "thread");
  assert.ok(set, "the thread service's migrations");
  return loadMigrations(set.directory);
};

describe("thread migrations on existing data", () => {
  let infra: TestInfra;
  before(async () => {
    infra = await createTestInfra("migrations");
  });
  after(async () => infra?.dispose());

  test("0029: threads recorded as appServer become vscode (as Codex records its clients' threads); other kinds stay", async () => {
    const migrations = threadMigrations();
    assert.ok(migrations.some((migration) => migration.version === 29));
    await migrate(infra.pool, { schema: "thread", migrations: migrations.filter((m) => m.version < 29), log });
    const insert = (id: string, kind: string) =>
      infra.pool.query(
        `INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, model, source, source_kind, history_mode,
           is_ephemeral, cli_version, settings, created_by)
         VALUES ('acme', $1, $1, '/w', 'openai', 'gpt-5', to_jsonb($2::text), $2, 'paginated', false, '0.171.0', '{}', 'ann')`,
        [id, kind],
      );
    const appServer = "0199a8f0-0000-7000-8000-000000000001";
    const cli = "0199a8f0-0000-7000-8000-000000000002";
    const exec = "0199a8f0-0000-7000-8000-000000000003";
    await insert(appServer, "appServer");
    await insert(cli, "cli");
    await insert(exec, "exec");

    const { applied } = await migrate(infra.pool, { schema: "thread", migrations, log });
    assert.ok(applied.includes(29), `0029 applied: ${applied.join(", ")}`);
    const rows = await infra.pool.query<{ id: string; source: unknown; source_kind: string }>(
      "SELECT id, source, source_kind FROM thread.threads WHERE tenant = 'acme' ORDER BY id",
    );
    assert.deepEqual(
      rows.rows.map((row) => [row.id, row.source, row.source_kind]),
      [
        [appServer, "vscode", "vscode"],
        [cli, "cli", "cli"],
        [exec, "exec", "exec"],
      ],
    );
  });
});

describe("thread migrations on existing turns", () => {
  let infra: TestInfra;
  before(async () => {
    infra = await createTestInfra("migrations-turns");
  });
  after(async () => infra?.dispose());

  test("0042: a turn's stored error gains `misalignment: null` (Codex's TurnError shape); a set one and no error stay", async () => {
    const migrations = threadMigrations();
    assert.ok(migrations.some((migration) => migration.version === 42));
    await migrate(infra.pool, { schema: "thread", migrations: migrations.filter((m) => m.version < 42), log });
    const threadId = "0199a8f0-0000-7000-8000-000000000010";
    await infra.pool.query(
      `INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, model, source, source_kind, history_mode,
         is_ephemeral, cli_version, settings, created_by)
       VALUES ('acme', $1, $1, '/w', 'openai', 'gpt-5', '"vscode"', 'vscode', 'paginated', false, '0.171.0', '{}', 'ann')`,
      [threadId],
    );
    const turn = (id: string, status: string, error: unknown) =>
      infra.pool.query(
        "INSERT INTO thread.turns (tenant, thread_id, id, status, error, fence) VALUES ('acme', $1, $2, $3, $4::jsonb, 1)",
        [threadId, id, status, error === null ? null : JSON.stringify(error)],
      );
    const old = { message: "boom", codexErrorInfo: "other", additionalDetails: null };
    const judged = { ...old, misalignment: { reason: "kept as it was" } };
    await turn("failed-before", "failed", old);
    await turn("judged", "failed", judged);
    await turn("fine", "completed", null);

    const { applied } = await migrate(infra.pool, { schema: "thread", migrations, log });
    assert.ok(applied.includes(42), `0042 applied: ${applied.join(", ")}`);
    const rows = await infra.pool.query<{ id: string; error: unknown }>(
      "SELECT id, error FROM thread.turns WHERE tenant = 'acme' ORDER BY id",
    );
    assert.deepEqual(
      rows.rows.map((row) => [row.id, row.error]),
      [
        ["failed-before", { ...old, misalignment: null }],
        ["fine", null],
        ["judged", judged],
      ],
    );
  });
});
