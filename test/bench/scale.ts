// `pnpm bench --scale`: thread/list and thread/search at scale, each beside a floor that runs the same
// SQL through the bare ws → NATS → Postgres path (test/bench/floor/*) in the same run.
//
// Seeds with `switchyard seed` (default 100,000 threads over 10 tenants, i.e. 10,000 threads per
// tenant — the per-tenant size of 1,000,000 over 100), then measures one tenant's:
//   list/first       thread/list, first page (25, updated_at desc)
//   list/deep        thread/list, the page 50 deep (by the cursor the system handed out for it)
//   list/searchTerm  thread/list with a title searchTerm matching ~10% of titles
//   search/common    thread/search for a word in ~10% of items
//   search/rare      thread/search for a ticket marker in a handful of items (the trigram index)
// For each, the floor runs the statements the thread service runs for that request, in order, on one
// pooled connection (SQL copied for lists; for searches from the store's own statement builder), so the
// difference is Switchyard's path, not the query. Before measuring, each scenario's system answer is
// checked against the floor's rows (same ids, same order); a wrong answer during the run fails it.
// Timings are printed beside their targets, never enforced.
import { parseArgs } from "node:util";
import { KEYED_PARTITIONS } from "@switchyard/protocol";
import pg from "pg";
import { seedCommand } from "../../packages/cli/src/commands/seed.js";
import { loadCliEnv } from "../../packages/cli/src/env.js";
import { selectedSourceKinds } from "../../services/thread/src/source-kinds.js";
import { type SearchQuery, searchStatementsFor } from "../../services/thread/src/store/search-store.js";
import { THREAD_COLUMNS } from "../../services/thread/src/store/thread-store.js";
import { CodexTestClient, type RpcReply } from "../harness/client.js";
import { createTestInfra, infraUrls } from "../harness/infra.js";
import { startGatewayProcess, startThreadService } from "../harness/processes.js";
import { FLOOR_PAGE, type FloorPageRequest, type FloorSettings } from "./floor/floor-contract.js";
import { startFloorProcess } from "./floor-processes.js";
import { type LoadResult, runLoad } from "./load.js";
import { writeResults } from "./report.js";

const PAGE = 25;
const DEEP_PAGES = 50;
const CANDIDATE_CAP = 300;
const log = (text: string) => console.log(`[bench:scale] ${text}`);

interface ScaleConfig {
  threads: number;
  tenants: number;
  itemsPerThread: number;
  /** Keep the seeded data in this database (created if missing, seeded idempotently, never dropped). */
  database: string | undefined;
  measureSeconds: number;
  sequentialSeconds: number;
  warmupSeconds: number;
  concurrency: number;
  connections: number;
  rounds: number;
}

const USAGE = `usage: pnpm bench --scale [options]
  --threads N           threads seeded in all (default 100000)
  --tenants N           tenants they are spread over (default 10); one tenant is measured
  --items-per-thread N  items per thread (default 2)
  --database NAME       seed into (and keep) this database instead of a fresh one dropped at the end
  --seconds N           loaded window per pass (default 5)   --seq-seconds N  sequential window (default 3)
  --concurrency N       in flight while loaded (default 16)  --connections N  websockets (default 4)
  --rounds N            rounds, alternating system/floor order (default 2)`;

export function parseScaleConfig(argv: string[]): ScaleConfig {
  const args = argv.filter((arg) => arg !== "--" && arg !== "--scale");
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      threads: { type: "string" },
      tenants: { type: "string" },
      "items-per-thread": { type: "string" },
      database: { type: "string" },
      seconds: { type: "string" },
      "seq-seconds": { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      connections: { type: "string" },
      rounds: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, value: string | undefined, fallback: number) => {
    const parsed = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number\n${USAGE}`);
    return parsed;
  };
  if (values.database !== undefined && !/^[a-z_][a-z0-9_]*$/.test(values.database)) {
    throw new Error("--database must be a plain lower-case identifier");
  }
  const concurrency = number("concurrency", values.concurrency, 16);
  return {
    threads: number("threads", values.threads, 100_000),
    tenants: number("tenants", values.tenants, 10),
    itemsPerThread: number("items-per-thread", values["items-per-thread"], 2),
    database: values.database,
    measureSeconds: number("seconds", values.seconds, 5),
    sequentialSeconds: number("seq-seconds", values["seq-seconds"], 3),
    warmupSeconds: number("warmup", values.warmup, 1),
    concurrency,
    connections: Math.min(number("connections", values.connections, 4), concurrency),
    rounds: number("rounds", values.rounds, 2),
  };
}

// The statements PgThreadStore.list runs (copied, as the read floor copies PgThreadStore.read's SELECT),
// with the source kinds a request that names none selects ($3: the interactive kinds, as Codex).
const LIST_WHERE =
  "tenant = $1 AND materialized_at IS NOT NULL AND (archived_at IS NOT NULL) = $2 AND source_kind = ANY($3::text[])";
const DEFAULT_SOURCE_KINDS = selectedSourceKinds(undefined);
const LIST_FIRST_SQL = `SELECT ${THREAD_COLUMNS}, (updated_at)::text AS sort_at
  FROM thread.threads WHERE ${LIST_WHERE} ORDER BY updated_at DESC, id DESC LIMIT $4`;
const LIST_DEEP_SQL = `SELECT ${THREAD_COLUMNS}, (updated_at)::text AS sort_at
  FROM thread.threads WHERE ${LIST_WHERE} AND (updated_at, id) < ($4::timestamptz, $5::uuid)
  ORDER BY updated_at DESC, id DESC LIMIT $6`;
const LIST_TITLE_CANDIDATES_SQL = `WITH title_hits AS MATERIALIZED (
    SELECT thread_id FROM thread.threads_with_matching_titles($4, $5)
  ), meta AS (
    SELECT (SELECT count(*) FROM title_hits) >= $5 AS is_capped
  )
  SELECT meta.is_capped, page.* FROM meta LEFT JOIN LATERAL (
    SELECT ${THREAD_COLUMNS}, (updated_at)::text AS sort_at, updated_at AS sort_value
      FROM thread.threads
     WHERE id IN (SELECT thread_id FROM title_hits) AND ${LIST_WHERE}
       AND (coalesce(name, '') || ' ' || preview) ILIKE $4 AND NOT meta.is_capped
     ORDER BY updated_at DESC, id DESC
     LIMIT $6
  ) AS page ON true
  ORDER BY page.sort_value DESC, page.id DESC`;
const LIST_TITLE_WALK_SQL = `SELECT ${THREAD_COLUMNS}, (updated_at)::text AS sort_at
  FROM thread.threads WHERE ${LIST_WHERE} AND strpos(lower(coalesce(name, '') || ' ' || preview), lower($4)) > 0
  ORDER BY updated_at DESC, id DESC LIMIT $5`;

interface Scenario {
  name: string;
  method: string;
  params: Record<string, unknown>;
  /** The floor's statements and their parameters, in the order the service runs them. */
  floor: FloorPageRequest;
  statements: string[];
  /** A list page (the p99 ≤ 20 ms target applies). */
  isListPage: boolean;
  expectedIds: string[];
}

interface Measured {
  loaded: LoadResult;
  sequential: LoadResult;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const idsOfReply = (reply: RpcReply): string[] => {
  const data = (reply.result as { data?: { id?: string; thread?: { id: string } }[] } | undefined)?.data ?? [];
  return data.map((entry) => entry.thread?.id ?? (entry.id as string));
};

async function measure(clients: CodexTestClient[], config: ScaleConfig, scenario: Scenario, target: "system" | "floor") {
  const request = () =>
    target === "system"
      ? {
          method: scenario.method,
          params: scenario.params,
          onReply: (reply: RpcReply) => {
            const ids = idsOfReply(reply);
            return ids.join() === scenario.expectedIds.join() ? undefined : `got ${ids.length} rows, not the floor's`;
          },
        }
      : {
          method: FLOOR_PAGE,
          params: scenario.floor,
          onReply: (reply: RpcReply) => {
            const body = reply.result as { data?: unknown[]; error?: string };
            return body.error ? `floor error: ${body.error}` : undefined;
          },
        };
  const loaded = await runLoad({
    clients,
    concurrency: config.concurrency,
    warmupMs: config.warmupSeconds * 1000,
    measureMs: config.measureSeconds * 1000,
    requestTimeoutMs: 30_000,
    nextRequest: request,
  });
  const sequential = await runLoad({
    clients: clients.slice(0, 1),
    concurrency: 1,
    warmupMs: 300,
    measureMs: config.sequentialSeconds * 1000,
    requestTimeoutMs: 30_000,
    nextRequest: request,
  });
  return { loaded, sequential };
}

async function prepareScenarios(client: CodexTestClient, pool: pg.Pool, tenant: string): Promise<Scenario[]> {
  // The cursor of the page DEEP_PAGES deep, as a client paging there would hold it.
  let cursor: string | null = null;
  for (let page = 1; page < DEEP_PAGES; page++) {
    const result: { nextCursor: string | null } = await client.call("thread/list", { limit: PAGE, cursor });
    cursor = result.nextCursor;
    if (!cursor) throw new Error(`the tenant has fewer than ${DEEP_PAGES} pages of threads`);
  }
  const [, at, id] = JSON.parse(Buffer.from(cursor as string, "base64url").toString("utf8")) as string[];
  const capped = async (sql: string, params: unknown[]) => {
    const result = await pool.query<{ is_capped: boolean }>(sql, params);
    return result.rows[0]?.is_capped === true;
  };
  const titleTerm = "refactor";
  const titlePattern = `%${titleTerm}%`;
  const titleCandidates = [tenant, false, DEFAULT_SOURCE_KINDS, titlePattern, CANDIDATE_CAP, PAGE + 1];
  const listTitleStatements = (await capped(LIST_TITLE_CANDIDATES_SQL, titleCandidates))
    ? {
        statements: [LIST_TITLE_CANDIDATES_SQL, LIST_TITLE_WALK_SQL],
        params: [titleCandidates, [tenant, false, DEFAULT_SOURCE_KINDS, titleTerm, PAGE + 1]],
      }
    : { statements: [LIST_TITLE_CANDIDATES_SQL], params: [titleCandidates] };

  const searchScenario = async (name: string, term: string): Promise<Omit<Scenario, "expectedIds">> => {
    const query: SearchQuery = {
      tenant,
      term,
      sortKey: "created_at",
      direction: "desc",
      limit: PAGE,
      cursor: null,
      isArchived: false,
      sourceKinds: DEFAULT_SOURCE_KINDS,
    };
    const { candidate, walk } = searchStatementsFor(query);
    const plan =
      candidate && !(await capped(candidate.sql, candidate.params)) ? [candidate] : candidate ? [candidate, walk] : [walk];
    return {
      name,
      method: "thread/search",
      params: { searchTerm: term, limit: PAGE },
      statements: plan.map((statement) => statement.sql),
      floor: { name, params: plan.map((statement) => statement.params) },
      isListPage: false,
    };
  };
  const rareTicket = await pool.query<{ term: string }>(
    `SELECT substring(search_text from 'ticket-[0-9]+') AS term FROM thread.items
      WHERE tenant = $1 AND search_text LIKE '%ticket-%' ORDER BY seq, thread_id LIMIT 1`,
    [tenant],
  );
  const scenarios: Omit<Scenario, "expectedIds">[] = [
    {
      name: "list/first",
      method: "thread/list",
      params: { limit: PAGE },
      statements: [LIST_FIRST_SQL],
      floor: { name: "list/first", params: [[tenant, false, DEFAULT_SOURCE_KINDS, PAGE + 1]] },
      isListPage: true,
    },
    {
      name: "list/deep",
      method: "thread/list",
      params: { limit: PAGE, cursor },
      statements: [LIST_DEEP_SQL],
      floor: { name: "list/deep", params: [[tenant, false, DEFAULT_SOURCE_KINDS, at, id, PAGE + 1]] },
      isListPage: true,
    },
    {
      name: "list/searchTerm",
      method: "thread/list",
      params: { limit: PAGE, searchTerm: titleTerm },
      statements: listTitleStatements.statements,
      floor: { name: "list/searchTerm", params: listTitleStatements.params },
      isListPage: true,
    },
    await searchScenario("search/common", "refactor"),
    await searchScenario("search/rare", `${rareTicket.rows[0]?.term ?? "ticket-1"}`),
  ];
  // What the floor's statements answer is what the system must answer (first PAGE rows, same order).
  const prepared: Scenario[] = [];
  for (const scenario of scenarios) {
    const client = await pool.connect();
    let rows: { id: string | null }[] = [];
    try {
      for (const [index, sql] of scenario.statements.entries()) {
        rows = (await client.query<{ id: string | null }>(sql, scenario.floor.params[index] ?? [])).rows;
      }
    } finally {
      client.release();
    }
    prepared.push({
      ...scenario,
      expectedIds: rows
        .map((row) => row.id)
        .filter((rowId): rowId is string => rowId !== null)
        .slice(0, PAGE),
    });
  }
  return prepared;
}

export async function runScaleBench(argv: string[]): Promise<number> {
  const config = parseScaleConfig(argv);
  const startedAt = Date.now();
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(`[bench:scale] teardown: ${String(error)}`));
  };
  process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
  try {
    const infra = await createTestInfra("bench_scale");
    stops.push(() => infra.dispose());
    let databaseUrl = infra.databaseUrl;
    if (config.database) {
      const url = new URL(infraUrls.postgresAdmin);
      url.pathname = `/${config.database}`;
      databaseUrl = url.toString();
    }
    const tenant = `seed-${String(Math.floor(config.tenants / 2)).padStart(Math.max(3, String(config.tenants - 1).length), "0")}`;
    log(
      `seeding ${config.threads} threads over ${config.tenants} tenants (${config.itemsPerThread} items each) into ${new URL(databaseUrl).pathname.slice(1)}`,
    );
    const seedStartedAt = Date.now();
    const seeded = await seedCommand.run(
      { threads: String(config.threads), tenants: String(config.tenants), "items-per-thread": String(config.itemsPerThread) },
      { env: loadCliEnv({ ...process.env, DATABASE_URL: databaseUrl }), print: log, printError: (text) => console.error(text) },
    );
    if (seeded !== 0) throw new Error("seeding failed");
    const seedSeconds = (Date.now() - seedStartedAt) / 1000;
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, options: `-c switchyard.tenant=${tenant}` });
    stops.push(() => pool.end());
    const env = { ...infra.env, DATABASE_URL: databaseUrl };

    const threadService = await startThreadService(env);
    stops.push(() => threadService.stop());
    const gateway = await startGatewayProcess({ ...env, GATEWAY_AUTH_DEFAULT_TENANT: tenant });
    stops.push(() => gateway.stop());
    const systemClients = await Promise.all(
      Array.from({ length: config.connections }, () =>
        CodexTestClient.open(gateway.url, { experimentalApi: true, optOut: ["thread/started"] }),
      ),
    );
    stops.push(() => Promise.all(systemClients.map((client) => client.close())));
    const scenarios = await prepareScenarios(systemClients[0] as CodexTestClient, pool, tenant);

    const floorSettings: FloorSettings = {
      natsUrl: infra.env.NATS_URL as string,
      databaseUrl,
      busPrefix: infra.busPrefix,
      tenant,
      partitions: KEYED_PARTITIONS,
      poolSize: 16,
      natsAsyncTraces: false,
      cteTenant: tenant,
      pageStatements: Object.fromEntries(scenarios.map((scenario) => [scenario.name, scenario.statements])),
    };
    const floorService = await startFloorProcess("floor-service", "floor-service.ts", floorSettings);
    stops.push(() => floorService.stop());
    const floorGateway = await startFloorProcess("floor-gateway", "floor-gateway.ts", floorSettings);
    stops.push(() => floorGateway.stop());
    const floorClients = await Promise.all(
      Array.from({ length: config.connections }, () => CodexTestClient.connect(floorGateway.ready.url as string)),
    );
    stops.push(() => Promise.all(floorClients.map((client) => client.close())));

    const failures: string[] = [];
    for (const scenario of scenarios) {
      const reply = await (systemClients[0] as CodexTestClient).request(scenario.method, scenario.params);
      const ids = idsOfReply(reply);
      if (reply.error || ids.join() !== scenario.expectedIds.join()) {
        failures.push(
          `${scenario.name}: the system answered ${reply.error ? reply.error.message : `${ids.length} rows`}, not the floor's ${scenario.expectedIds.length}`,
        );
      }
      log(`${scenario.name}: ${scenario.expectedIds.length} rows; ${scenario.statements.length} statement(s)`);
    }

    const results = new Map<string, { system: Measured[]; floor: Measured[] }>();
    for (let round = 0; round < config.rounds; round++) {
      for (const scenario of scenarios) {
        const entry = results.get(scenario.name) ?? { system: [], floor: [] };
        results.set(scenario.name, entry);
        const order = round % 2 === 0 ? (["system", "floor"] as const) : (["floor", "system"] as const);
        for (const target of order) {
          const measured = await measure(target === "system" ? systemClients : floorClients, config, scenario, target);
          entry[target].push(measured);
          for (const pass of [measured.loaded, measured.sequential]) {
            if (pass.errors + pass.wrongAnswers > 0) failures.push(`${scenario.name} (${target}): ${pass.examples.join("; ")}`);
          }
          log(
            `round ${round + 1} ${scenario.name} ${target}: ${measured.loaded.throughputPerSecond.toFixed(0)}/s; ` +
              `sequential p50 ${measured.sequential.p50Ms.toFixed(2)} ms p99 ${measured.sequential.p99Ms.toFixed(2)} ms`,
          );
        }
      }
    }

    const rows = scenarios.map((scenario) => {
      const entry = results.get(scenario.name) as { system: Measured[]; floor: Measured[] };
      const pick = (list: Measured[], read: (measured: Measured) => number) => median(list.map(read));
      const row = {
        scenario: scenario.name,
        p50_ms: pick(entry.system, (m) => m.sequential.p50Ms),
        p99_ms: pick(entry.system, (m) => m.sequential.p99Ms),
        throughput_per_s: pick(entry.system, (m) => m.loaded.throughputPerSecond),
        floor_p50_ms: pick(entry.floor, (m) => m.sequential.p50Ms),
        floor_p99_ms: pick(entry.floor, (m) => m.sequential.p99Ms),
        floor_throughput_per_s: pick(entry.floor, (m) => m.loaded.throughputPerSecond),
        loaded_p99_ms: pick(entry.system, (m) => m.loaded.p99Ms),
        floor_loaded_p99_ms: pick(entry.floor, (m) => m.loaded.p99Ms),
        statements: scenario.statements.length,
      };
      const ratio = row.p50_ms / row.floor_p50_ms;
      const throughputRatio = row.throughput_per_s / row.floor_throughput_per_s;
      const targets = [
        ratio <= 1.25 ? "p50 ok" : "p50 MISSED (≤ 1.25×)",
        throughputRatio >= 0.8 ? "throughput ok" : "throughput MISSED (≥ 0.8×)",
        ...(scenario.isListPage ? [row.p99_ms <= 20 ? "p99 ok" : "p99 MISSED (≤ 20 ms)"] : []),
      ];
      return { ...row, ratio, throughput_ratio: throughputRatio, targets: targets.join(", ") };
    });
    const header = "scenario         p50 ms  p99 ms  tput/s | floor p50  p99  tput/s | p50 ratio  tput ratio | targets";
    const lines = rows.map(
      (row) =>
        `${row.scenario.padEnd(16)} ${row.p50_ms.toFixed(2).padStart(6)} ${row.p99_ms.toFixed(2).padStart(7)} ${row.throughput_per_s.toFixed(0).padStart(7)} |` +
        ` ${row.floor_p50_ms.toFixed(2).padStart(9)} ${row.floor_p99_ms.toFixed(2).padStart(5)} ${row.floor_throughput_per_s.toFixed(0).padStart(7)} |` +
        ` ${row.ratio.toFixed(2).padStart(9)} ${row.throughput_ratio.toFixed(2).padStart(11)} | ${row.targets}`,
    );
    console.log(
      `\n${config.threads} threads / ${config.tenants} tenants (${config.itemsPerThread} items each), tenant ${tenant}; seeded in ${seedSeconds.toFixed(0)} s\n${header}\n${lines.join("\n")}\n`,
    );
    const path = writeResults(
      {
        startedAt: new Date(startedAt).toISOString(),
        config,
        tenant,
        seedSeconds,
        rows,
        failures,
        results: Object.fromEntries(results),
      },
      { prefix: "scale-", at: new Date(startedAt) },
    );
    log(`results written to ${path}`);
    if (failures.length > 0) {
      console.error(`\nFAILED (correctness):\n  ${failures.join("\n  ")}`);
      return 1;
    }
    return 0;
  } finally {
    await stopAll();
  }
}
