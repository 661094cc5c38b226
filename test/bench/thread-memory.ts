// `pnpm bench:memory`: does a thread cost memory in the thread service once it has been touched?
// Threads live in Postgres; an instance holds nothing per thread between requests. This measures the
// thread service's RSS after touching 1,000 distinct threads and again after touching 100,000
// (thread/read, 64 in flight), prints both with their ratio (target: within 10%) and writes them to
// bench/results/memory-<timestamp>.json. Both phases send the same number of requests — the first
// cycles over its 1,000 threads — so that the only difference is how many distinct threads were
// touched, not how much work the heap has seen. The threads are seeded directly in SQL (a bench of
// the service, not of thread/start). The gateway runs
// without its read cache, so that every read reaches the thread service, and with its rate limits out
// of the way (64 reads in flight from one token exceed a token's default rate).
import "./deployed.js";
import { CodexTestClient } from "../harness/client.js";
import { startStack } from "../harness/stack.js";
import { UNLIMITED_GATEWAY_ENV } from "./config.js";
import { processMemoryKb } from "./cpu.js";
import { writeResults } from "./report.js";

const TOTAL = Number(process.env.SWITCHYARD_BENCH_MEMORY_THREADS ?? 100_000);
const FIRST = 1_000;
const CONCURRENCY = 64;

async function touch(clients: CodexTestClient[], ids: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, slot) => {
      const client = clients[slot % clients.length] as CodexTestClient;
      for (let index = next++; index < ids.length; index = next++) {
        const reply = await client.request("thread/read", { threadId: ids[index] });
        if (reply.error) throw new Error(`thread/read failed: ${reply.error.message}`);
      }
    }),
  );
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 2_000));

async function main(): Promise<void> {
  const stack = await startStack("bench_memory", { gatewayEnv: { ...UNLIMITED_GATEWAY_ENV, GATEWAY_READ_CACHE_ENTRIES: "0" } });
  try {
    const pid = stack.threads[0]?.child.pid as number;
    console.error(`seeding ${TOTAL} threads…`);
    const seeded = await stack.infra.pool.query<{ id: string }>(
      `INSERT INTO thread.threads (tenant, id, session_id, cwd, model_provider, model, source, source_kind, history_mode,
         is_ephemeral, cli_version, created_by, materialized_at, loaded_at, preview)
       SELECT 'default', id, id, '/workspace', 'openai', 'gpt-5.2', '"vscode"', 'vscode', 'paginated', false, '0', 'bench',
              now(), now(), 'seeded thread ' || n
         FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $1::int) AS n) AS seeds
       RETURNING id`,
      [TOTAL],
    );
    const ids = seeded.rows.map((row) => row.id);
    const clients = await Promise.all(Array.from({ length: 8 }, () => CodexTestClient.open(stack.url)));
    const firstThreads = ids.slice(0, FIRST);
    await touch(
      clients,
      Array.from({ length: TOTAL }, (_, index) => firstThreads[index % FIRST] as string),
    );
    await settle();
    const afterFirst = processMemoryKb(pid).rssKb;
    console.error(`${TOTAL} reads over ${FIRST} threads: RSS ${afterFirst} kB; now ${TOTAL} reads over ${TOTAL} threads…`);
    const startedAt = Date.now();
    await touch(clients, ids);
    await settle();
    const afterAll = processMemoryKb(pid).rssKb;
    const ratio = afterAll / afterFirst;
    const rows = [
      { scenario: "thread service RSS after touching threads", threads: FIRST, rss_kb: afterFirst },
      { scenario: "thread service RSS after touching threads", threads: TOTAL, rss_kb: afterAll },
    ];
    console.table(rows);
    console.log(
      `RSS ratio ${TOTAL}/${FIRST} threads: ${ratio.toFixed(3)} (target ≤ 1.10, ${ratio <= 1.1 ? "met" : "MISSED"}); ` +
        `${TOTAL} reads in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    const path = writeResults(
      { mode: "memory", rows, ratio: Number(ratio.toFixed(3)), target_ratio: 1.1 },
      { prefix: "memory-" },
    );
    console.log(`results written to ${path}`);
    for (const client of clients) await client.close();
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
