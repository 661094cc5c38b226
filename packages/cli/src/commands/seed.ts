// `switchyard seed`: fills Postgres with synthetic threads for benchmarks and scale tests — N threads
// spread over T tenants (`seed-000`, `seed-001`, …), each materialized with K conversation items
// (user message / assistant answer pairs, one turn per pair), titles, previews, cwds, providers,
// source kinds, projects and sub-agent lineage. Rows are generated inside Postgres (INSERT … SELECT
// FROM generate_series), so nothing crosses the wire but the statements; two connections work at once.
//
// Everything is derived from (tenant, n): thread ids are md5(tenant:n) as a UUID and the text comes
// from hashes of the id, so a second run with the same arguments adds nothing (ON CONFLICT DO
// NOTHING) and two runs produce the same data. Searchable markers: every user message holds one
// `ticket-<0…99999>` (rare terms), and the vocabulary below gives common ones (`refactor`, `parser`…).
//
// It writes as the DATABASE_URL login (the migrations' owner role, to which row-level security does not
// apply) and applies the thread service's migrations first.
import { createLogger, createPool, ensureDatabase, loadMigrations, migrate } from "@switchyard/runtime";
import type pg from "pg";
import { redactUrl } from "../infra/endpoints.js";
import { discoverMigrations } from "../paths.js";
import type { Command } from "./command.js";

export interface SeedPlan {
  threads: number;
  tenants: number;
  itemsPerThread: number;
  tenantPrefix: string;
  /** Threads per INSERT statement. */
  batchSize: number;
}

export interface SeedBatch {
  tenant: string;
  /** First and last thread number (1-based, inclusive) of this batch within its tenant. */
  from: number;
  to: number;
  /** Threads the tenant has in all; spreads created_at over the last year. */
  tenantThreads: number;
}

export const tenantName = (prefix: string, index: number, tenants: number) =>
  `${prefix}${String(index).padStart(Math.max(3, String(tenants - 1).length), "0")}`;

/** The tenants' batches: threads spread as evenly as possible (the first N mod T tenants get one more). */
export function planBatches(plan: SeedPlan): SeedBatch[] {
  const batches: SeedBatch[] = [];
  const base = Math.floor(plan.threads / plan.tenants);
  const extra = plan.threads % plan.tenants;
  for (let index = 0; index < plan.tenants; index++) {
    const tenantThreads = base + (index < extra ? 1 : 0);
    for (let from = 1; from <= tenantThreads; from += plan.batchSize) {
      batches.push({
        tenant: tenantName(plan.tenantPrefix, index, plan.tenants),
        from,
        to: Math.min(tenantThreads, from + plan.batchSize - 1),
        tenantThreads,
      });
    }
  }
  return batches;
}

/** Words of the synthetic conversations; each appears in roughly 14 / 128 of the items. */
export const SEED_VOCABULARY = [
  "refactor",
  "parser",
  "login",
  "flaky",
  "test",
  "deploy",
  "cache",
  "database",
  "migration",
  "index",
  "query",
  "latency",
  "memory",
  "leak",
  "thread",
  "socket",
  "retry",
  "timeout",
  "config",
  "schema",
  "token",
  "auth",
  "session",
  "cursor",
  "page",
  "search",
  "snippet",
  "render",
  "button",
  "layout",
  "theme",
  "dark",
  "mode",
  "build",
  "bundle",
  "lint",
  "format",
  "types",
  "compile",
  "error",
  "warning",
  "panic",
  "stack",
  "trace",
  "profile",
  "benchmark",
  "floor",
  "queue",
  "stream",
  "partition",
  "consumer",
  "producer",
  "ack",
  "replay",
  "ledger",
  "revision",
  "tenant",
  "policy",
  "role",
  "grant",
  "row",
  "column",
  "table",
  "view",
  "trigger",
  "function",
  "lambda",
  "closure",
  "iterator",
  "generator",
  "async",
  "await",
  "promise",
  "future",
  "channel",
  "mutex",
  "lock",
  "deadlock",
  "race",
  "atomic",
  "vector",
  "matrix",
  "tensor",
  "model",
  "prompt",
  "context",
  "window",
  "budget",
  "quota",
  "limit",
  "rate",
  "burst",
  "spike",
  "graph",
  "node",
  "edge",
  "path",
  "route",
  "handler",
  "middleware",
  "request",
  "response",
  "header",
  "payload",
  "frame",
  "protocol",
  "version",
  "upgrade",
  "release",
  "rollback",
  "canary",
  "feature",
  "flag",
  "toggle",
  "metric",
  "alert",
  "dashboard",
  "incident",
  "postmortem",
  "review",
  "commit",
  "branch",
  "merge",
  "rebase",
  "conflict",
  "patch",
  "diff",
  "blame",
];

/** SQL text of item k of the thread with id expression `idSql` (deterministic: hashes of id and k). */
function itemTextSql(idSql: string, kSql: string): string {
  const vocabulary = `ARRAY[${SEED_VOCABULARY.map((word) => `'${word}'`).join(",")}]`;
  const word = `(${vocabulary})[1 + abs(hashtext(${idSql}::text || ':' || ${kSql} || ':' || w)) % ${SEED_VOCABULARY.length}]`;
  return `(SELECT string_agg(${word}, ' ') FROM generate_series(1, 14) AS w)
    || CASE WHEN ${kSql} % 2 = 1 THEN ' ticket-' || (abs(hashtext(${idSql}::text || ':ticket:' || ${kSql})) % 100000) ELSE '' END`;
}

const THREAD_ID_SQL = "md5($1 || ':' || n)::uuid";

/** One batch of threads: n in [$2, $3] of tenant $1, $4 = the tenant's thread count. */
/** Each seeded tenant has this many projects (ids from md5(tenant:project:k)); one thread in five is in one. */
const SEED_PROJECTS = 20;
const SEED_PROJECT_ID_SQL = (k: string) => `md5($1 || ':project:' || (${k}))::uuid::text`;

export const INSERT_THREADS_SQL = `
  WITH projects AS (
    INSERT INTO thread.projects (tenant, id, name, roots, metadata, position)
    SELECT $1, ${SEED_PROJECT_ID_SQL("k")}, 'Project ' || k, '[]', '{}', k FROM generate_series(0, ${SEED_PROJECTS - 1}) AS k
    ON CONFLICT DO NOTHING
  )
  INSERT INTO thread.threads (tenant, id, session_id, created_at, updated_at, recency_at, materialized_at, name,
    preview, cwd, model_provider, model, source, source_kind, history_mode, is_ephemeral, cli_version, project_id,
    parent_thread_id, settings, created_by)
  SELECT $1, id, id, created, updated, updated, created,
         CASE WHEN h % 3 = 0 THEN NULL ELSE initcap(split_part(first_text, ' ', 1) || ' ' || split_part(first_text, ' ', 2)
           || ' ' || split_part(first_text, ' ', 3)) END,
         first_text,
         '/workspace/repo-' || (h % 20),
         CASE WHEN h % 10 = 0 THEN 'local-llm' ELSE 'openai' END,
         'gpt-seed',
         CASE WHEN kind = 'subAgentThreadSpawn'
           THEN jsonb_build_object('subAgent', jsonb_build_object('thread_spawn',
                  jsonb_build_object('parent_thread_id', md5($1 || ':' || (n - 1))::uuid, 'depth', 1)))
           ELSE to_jsonb(kind) END,
         kind, 'paginated', false, '0.171.0',
         CASE WHEN h % 5 = 0 THEN ${SEED_PROJECT_ID_SQL(`h % ${SEED_PROJECTS}`)} END,
         CASE WHEN n % 10 IN (8, 9) THEN md5($1 || ':' || (n - 1))::uuid END,
         '{}'::jsonb, 'seed'
    FROM (
      SELECT n, id, abs(hashtext(id::text)) AS h,
             now() - make_interval(secs => (($4::bigint - n) * 31536000.0 / greatest($4, 1)) + 60) AS created,
             now() - make_interval(secs => (($4::bigint - n) * 31536000.0 / greatest($4, 1))) + make_interval(secs => abs(hashtext(id::text || ':u')) % 60) AS updated,
             ${itemTextSql("id", "1")} AS first_text,
             CASE WHEN n % 10 IN (8, 9) THEN 'subAgentThreadSpawn'
                  WHEN abs(hashtext(id::text || ':k')) % 20 < 3 THEN 'cli'
                  WHEN abs(hashtext(id::text || ':k')) % 20 < 4 THEN 'exec'
                  ELSE 'vscode' END AS kind
        FROM (SELECT n, ${THREAD_ID_SQL} AS id FROM generate_series($2::int, $3::int) AS n) AS numbered
      OFFSET 0 -- computed once per row, not once per reference to first_text
    ) AS generated
  ON CONFLICT (tenant, id) DO NOTHING`;

/** The batch's items (threads n in [$2, $3] of tenant $1): $4 per thread, odd k a user message, even k the answer; turn = ceil(k / 2). */
export const INSERT_ITEMS_SQL = `
  INSERT INTO thread.items (tenant, thread_id, seq, turn_id, item)
  SELECT $1, id, k, 'turn-' || ((k + 1) / 2), CASE WHEN k % 2 = 1
           THEN jsonb_build_object('type', 'userMessage', 'id', 'item-' || k, 'content',
                  jsonb_build_array(jsonb_build_object('type', 'text', 'text', body, 'text_elements', '[]'::jsonb)))
           ELSE jsonb_build_object('type', 'agentMessage', 'id', 'item-' || k, 'text', body) END
    FROM (
      SELECT id, k, ${itemTextSql("id", "k")} AS body
        FROM (SELECT ${THREAD_ID_SQL} AS id FROM generate_series($2::int, $3::int) AS n) AS numbered,
             generate_series(1, $4::int) AS k
    ) AS generated
  ON CONFLICT (tenant, thread_id, seq) DO NOTHING`;

async function seedBatch(pool: pg.Pool, batch: SeedBatch, itemsPerThread: number): Promise<number> {
  const client = await pool.connect();
  try {
    // Synthetic data: losing the last moments of it in a crash costs nothing, so skip the commit flush;
    // a larger GIN pending list lets the trigram indexes take each batch as one sorted merge.
    await client.query("SET synchronous_commit = off");
    await client.query("SET gin_pending_list_limit = '64MB'");
    await client.query("BEGIN");
    const threads = await client.query(INSERT_THREADS_SQL, [batch.tenant, batch.from, batch.to, batch.tenantThreads]);
    if (itemsPerThread > 0) {
      await client.query(INSERT_ITEMS_SQL, [batch.tenant, batch.from, batch.to, itemsPerThread]);
    }
    await client.query("COMMIT");
    return threads.rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

function positiveInteger(name: string, value: string | boolean | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < (allowZero ? 0 : 1)) {
    throw new SeedArgumentError(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${String(value)}`);
  }
  return parsed;
}

export class SeedArgumentError extends Error {}

export function parseSeedPlan(options: Record<string, string | boolean | undefined>): SeedPlan {
  const plan: SeedPlan = {
    threads: positiveInteger("threads", options.threads, 0),
    tenants: positiveInteger("tenants", options.tenants, 1),
    itemsPerThread: positiveInteger("items-per-thread", options["items-per-thread"], 2, true),
    tenantPrefix: typeof options["tenant-prefix"] === "string" ? options["tenant-prefix"] : "seed-",
    batchSize: positiveInteger("batch", options.batch, 5_000),
  };
  if (plan.tenants > plan.threads) throw new SeedArgumentError(`--tenants (${plan.tenants}) exceeds --threads (${plan.threads})`);
  if (plan.itemsPerThread > 1_000) throw new SeedArgumentError("--items-per-thread is at most 1000");
  return plan;
}

export const seedCommand: Command = {
  name: "seed",
  summary: "fill Postgres with synthetic threads and items (benchmarks, scale tests)",
  options: {
    threads: { type: "string", description: "threads to create in all", required: true },
    tenants: { type: "string", description: "tenants to spread them over (default 1)" },
    "items-per-thread": { type: "string", description: "conversation items per thread, 2 per turn (default 2)" },
    "tenant-prefix": { type: "string", description: "tenant names are <prefix>000, <prefix>001, … (default seed-)" },
    batch: { type: "string", description: "threads per INSERT statement (default 5000)" },
  },
  details:
    "Deterministic: thread ids are md5(<tenant>:<n>) as UUIDs, so a rerun adds nothing. User messages hold a\n" +
    "`ticket-<0..99999>` marker (rare search terms); words such as `refactor` or `parser` are common ones.\n" +
    "Applies the thread service's migrations first. Example: pnpm switchyard seed --threads 1000000 --tenants 100",
  async run(options, context) {
    let plan: SeedPlan;
    try {
      plan = parseSeedPlan(options);
    } catch (error) {
      if (error instanceof SeedArgumentError) {
        context.printError(`switchyard seed: ${error.message}`);
        return 2;
      }
      throw error;
    }
    const url = context.env.DATABASE_URL;
    try {
      await ensureDatabase(url);
    } catch (error) {
      context.printError(`cannot reach Postgres at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    const log = createLogger({ service: "seed", instanceId: "cli", level: "silent" });
    const pool = createPool({ url, applicationName: "switchyard-seed", max: 2, log });
    try {
      const threadMigrations = discoverMigrations().find((set) => set.service === "thread");
      if (!threadMigrations) throw new Error("services/thread/migrations not found");
      await migrate(pool, { schema: threadMigrations.schema, migrations: loadMigrations(threadMigrations.directory), log });

      const batches = planBatches(plan);
      const startedAt = Date.now();
      let created = 0;
      let done = 0;
      let lastReport = startedAt;
      const worker = async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) {
          const inserted = await seedBatch(pool, batch, plan.itemsPerThread);
          created += inserted;
          done += batch.to - batch.from + 1;
          if (Date.now() - lastReport >= 5_000) {
            lastReport = Date.now();
            const rate = done / ((lastReport - startedAt) / 1000);
            context.print(
              `seed: ${done.toLocaleString("en")} / ${plan.threads.toLocaleString("en")} threads (${Math.round(rate)}/s)`,
            );
          }
        }
      };
      await Promise.all([worker(), worker()]);
      // Merge what the GIN indexes parked in their pending lists (every search would scan it), then
      // give the planner statistics for the new rows.
      const ginIndexes = await pool.query<{ name: string }>(
        `SELECT format('%I.%I', schemaname, indexname) AS name FROM pg_indexes
          WHERE schemaname = 'thread' AND indexdef LIKE '%USING gin%'`,
      );
      for (const index of ginIndexes.rows) await pool.query("SELECT gin_clean_pending_list($1::regclass)", [index.name]);
      await pool.query("ANALYZE thread.threads");
      await pool.query("ANALYZE thread.items");
      const seconds = (Date.now() - startedAt) / 1000;
      context.print(
        `seed: ${created.toLocaleString("en")} threads created (${(plan.threads - created).toLocaleString("en")} already there) ` +
          `with ${plan.itemsPerThread} items each, over ${plan.tenants} tenants (${plan.tenantPrefix}…), in ${seconds.toFixed(1)} s`,
      );
      return 0;
    } catch (error) {
      context.printError(error instanceof Error ? error.message : String(error));
      return 1;
    } finally {
      await pool.end();
    }
  },
};
