// `pnpm bench -- --only fairness/thread-read`: does one tenant flooding a shared gateway and thread
// service slow another tenant's reads? Tenant `quiet` reads its threads one at a time (thread/read,
// 1 in flight) alone, then again while tenant `flood` — in a separate process (fairness-flooder.ts),
// over many connections, as fast as answers come back — sends thread/read and thread/list far over
// its request-rate limit. Each round runs both passes (alone first); the row compares their medians:
// the "alone" figures are the floor, and `ratio` is p99 under flood / p99 alone (target ≤ 2).
// Flags: --rounds (3), --flood-rate (the flooding tenant's limit, 200/s), --seconds per pass (8), --warmup (1), --flood-connections (32),
// --flood-in-flight per connection (4), --threads seeded per tenant (16). Timings are printed, never enforced; an error
// reply to the quiet tenant fails the run.
import { setPriority } from "node:os";
import { parseArgs } from "node:util";
import { CodexTestClient } from "../harness/client.js";
import { createTestInfra } from "../harness/infra.js";
import { sampleValue, scrape } from "../harness/metrics.js";
import {
  type ServiceProcess,
  startConfigService,
  startGatewayProcess,
  startProcess,
  startThreadService,
} from "../harness/processes.js";
import { hs256Token, TEST_HS256_SECRET } from "../harness/tokens.js";
import { positiveFlag } from "./config.js";
import { FAIRNESS_SCENARIO, FLOODER_DONE, FLOODER_READY, type FlooderSettings } from "./fairness-contract.js";
import { type LoadResult, sequentialThreadReads } from "./load.js";
import { writeResults } from "./report.js";

const TARGET_P99_RATIO = 2;
/** The flooding tenant's limits (--flood-rate sets the rate): far below what the flood asks for. */
const floodLimits = (requestsPerS: number) => ({ requestsPerS, requestBurst: requestsPerS * 2, inFlight: 64 });
/**
 * The quiet tenant's: out of its reach, so what it measures is the flood's effect alone. Its one
 * reader, 1 in flight, is answered from the gateway's cache faster than the default 5,000 requests
 * per second per token on a fast machine (6,800/s seen), and would be refused by its own limit.
 */
const QUIET_LIMITS = {
  requestsPerS: 1_000_000,
  requestBurst: 2_000_000,
  tokenRequestsPerS: 1_000_000,
  tokenRequestBurst: 2_000_000,
};
const log = (text: string) => console.log(`[bench:fairness] ${text}`);

interface FloodCounts {
  seconds: number;
  served: number;
  limited: number;
  otherErrors: number;
  /** Times the gateway stopped reading one of the flood's connections (switchyard_read_pauses_total). */
  readPauses: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

interface FairnessSettings {
  rounds: number;
  /** The flooding tenant's request-rate limit (requests/s; its burst is twice that). */
  floodRate: number;
  seconds: number;
  warmupSeconds: number;
  floodConnections: number;
  floodInFlightPerConnection: number;
  threads: number;
}

function parseSettings(argv: string[]): FairnessSettings {
  const { values } = parseArgs({
    args: argv[0] === "--" ? argv.slice(1) : argv,
    strict: true,
    options: {
      only: { type: "string", multiple: true },
      rounds: { type: "string" },
      "flood-rate": { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      "flood-connections": { type: "string" },
      "flood-in-flight": { type: "string" },
      threads: { type: "string" },
    },
  });
  return {
    rounds: Math.ceil(positiveFlag("rounds", values.rounds, 3)),
    floodRate: positiveFlag("flood-rate", values["flood-rate"], 200),
    seconds: positiveFlag("seconds", values.seconds, 8),
    warmupSeconds: positiveFlag("warmup", values.warmup, 1),
    floodConnections: positiveFlag("flood-connections", values["flood-connections"], 32),
    floodInFlightPerConnection: positiveFlag("flood-in-flight", values["flood-in-flight"], 4),
    threads: positiveFlag("threads", values.threads, 16),
  };
}

async function seed(client: CodexTestClient, count: number): Promise<string[]> {
  const threads: string[] = [];
  for (let index = 0; index < count; index++) {
    threads.push((await client.call<{ thread: { id: string } }>("thread/start", { cwd: "/workspace/bench" })).thread.id);
  }
  return threads;
}

export async function runFairnessBench(argv: string[]): Promise<number> {
  const settings = parseSettings(argv);
  const startedAt = Date.now();
  const infra = await createTestInfra("fairness");
  const processes: ServiceProcess[] = [];
  const clients: CodexTestClient[] = [];
  try {
    processes.push(await startThreadService(infra.env));
    processes.push(
      await startConfigService({ ...infra.env, CONFIG_GRPC_PORT_BASE: String(20_000 + Math.floor(Math.random() * 400) * 50) }),
    );
    const gateway = await startGatewayProcess({
      ...infra.env,
      GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
      GATEWAY_TENANT_LIMITS: JSON.stringify({ flood: floodLimits(settings.floodRate), quiet: QUIET_LIMITS }),
    });
    processes.push(gateway);
    const token = (tenant: string, sub: string) => hs256Token({ tenant, sub }, { expiresInS: 86_400 });
    const quiet = await CodexTestClient.open(gateway.url, { token: await token("quiet", "reader") });
    clients.push(quiet);
    const quietThreads = await seed(quiet, settings.threads);
    const seeder = await CodexTestClient.open(gateway.url, { token: await token("flood", "seeder") });
    clients.push(seeder);
    const floodThreads = await seed(seeder, settings.threads);

    const readPass = sequentialThreadReads({
      client: quiet,
      threadIds: quietThreads,
      warmupMs: settings.warmupSeconds * 1000,
      measureMs: settings.seconds * 1000,
      log,
    });

    const flooderSettings: FlooderSettings = {
      url: gateway.url,
      tokens: await Promise.all(
        Array.from({ length: settings.floodConnections }, (_, index) => token("flood", `flooder-${index}`)),
      ),
      threadIds: floodThreads,
      inFlightPerConnection: settings.floodInFlightPerConnection,
    };
    const alonePasses: LoadResult[] = [];
    const floodedPasses: LoadResult[] = [];
    const floods: FloodCounts[] = [];
    const gatewayMetrics = `${gateway.url.replace(/^ws/, "http").replace(/\/$/, "")}/metrics`;
    const readPauses = async () =>
      sampleValue(await scrape(gatewayMetrics), "switchyard_read_pauses_total", { scope: "tenant" }) ?? 0;
    for (let round = 1; round <= settings.rounds; round++) {
      alonePasses.push(await readPass(`round ${round}: quiet tenant alone`));
      const pausesBefore = await readPauses();
      const flooder = await startProcess(
        "flooder",
        "test/bench/fairness-flooder.ts",
        {},
        (line) => line.includes(FLOODER_READY),
        {
          args: [JSON.stringify(flooderSettings)],
        },
      );
      processes.push(flooder);
      // Bounded: on a 2-core machine the load generator must not win the CPU from the processes under
      // test, or the row measures the flooder's scheduling instead of the gateway's fairness.
      if (flooder.child.pid !== undefined) setPriority(flooder.child.pid, 19);
      floodedPasses.push(await readPass(`round ${round}: quiet tenant under flood`));
      await flooder.stop();
      const doneLine = flooder
        .output()
        .split("\n")
        .find((line) => line.includes(FLOODER_DONE));
      if (!doneLine) continue;
      const flood = {
        ...(JSON.parse(doneLine) as Omit<FloodCounts, "readPauses">),
        readPauses: (await readPauses()) - pausesBefore,
      };
      floods.push(flood);
      log(
        `round ${round}: flood ${(flood.served / flood.seconds).toFixed(0)}/s served, ${(flood.limited / flood.seconds).toFixed(0)}/s refused -32001, ` +
          `${flood.otherErrors} other errors (limit ${settings.floodRate}/s); the gateway stopped reading its connections ${flood.readPauses} times`,
      );
    }
    const of = (passes: LoadResult[], pick: (pass: LoadResult) => number) => median(passes.map(pick));
    const alone = {
      p50Ms: of(alonePasses, (pass) => pass.p50Ms),
      p99Ms: of(alonePasses, (pass) => pass.p99Ms),
      throughputPerSecond: of(alonePasses, (pass) => pass.throughputPerSecond),
    };
    const flooded = {
      p50Ms: of(floodedPasses, (pass) => pass.p50Ms),
      p99Ms: of(floodedPasses, (pass) => pass.p99Ms),
      throughputPerSecond: of(floodedPasses, (pass) => pass.throughputPerSecond),
    };
    const flood =
      floods.length > 0
        ? floods.reduce((sum, counts) => ({
            seconds: sum.seconds + counts.seconds,
            served: sum.served + counts.served,
            limited: sum.limited + counts.limited,
            otherErrors: sum.otherErrors + counts.otherErrors,
            readPauses: sum.readPauses + counts.readPauses,
          }))
        : undefined;

    const round = (value: number, digits: number) => Number(value.toFixed(digits));
    const ratio = flooded.p99Ms / alone.p99Ms;
    const row = {
      scenario: FAIRNESS_SCENARIO,
      p50_ms: round(flooded.p50Ms, 3),
      p99_ms: round(flooded.p99Ms, 3),
      throughput_per_s: round(flooded.throughputPerSecond, 0),
      floor_p50_ms: round(alone.p50Ms, 3),
      floor_p99_ms: round(alone.p99Ms, 3),
      floor_throughput_per_s: round(alone.throughputPerSecond, 0),
      /** p99 under flood / p99 alone (the floor is the quiet tenant alone). */
      ratio: round(ratio, 2),
      p50_ratio: round(flooded.p50Ms / alone.p50Ms, 2),
      target_max_ratio: TARGET_P99_RATIO,
      meets_target: ratio <= TARGET_P99_RATIO,
      flood: flood && {
        connections: settings.floodConnections,
        in_flight: settings.floodConnections * settings.floodInFlightPerConnection,
        served_per_s: round(flood.served / flood.seconds, 0),
        refused_per_s: round(flood.limited / flood.seconds, 0),
        other_errors: flood.otherErrors,
        read_pauses_per_s: round(flood.readPauses / flood.seconds, 1),
        limits: floodLimits(settings.floodRate),
      },
    };
    console.log(
      `\n${FAIRNESS_SCENARIO}: quiet tenant thread/read (1 in flight, ${settings.seconds} s per pass, medians of ${settings.rounds} rounds)\n` +
        `  alone:       p50 ${row.floor_p50_ms.toFixed(3)} ms  p99 ${row.floor_p99_ms.toFixed(3)} ms  ${row.floor_throughput_per_s}/s\n` +
        `  under flood: p50 ${row.p50_ms.toFixed(3)} ms  p99 ${row.p99_ms.toFixed(3)} ms  ${row.throughput_per_s}/s\n` +
        `  p99 ratio ${row.ratio.toFixed(2)} (target <= ${TARGET_P99_RATIO}: ${row.meets_target ? "ok" : "MISS"}), p50 ratio ${row.p50_ratio.toFixed(2)}\n`,
    );
    const path = writeResults({
      startedAt: new Date(startedAt).toISOString(),
      elapsedS: (Date.now() - startedAt) / 1000,
      settings,
      rows: [row],
      rounds: settings.rounds,
      passes: { alone: alonePasses, flooded: floodedPasses },
    });
    log(`results written to ${path}`);
    const passes = [...alonePasses, ...floodedPasses];
    const errors = passes.reduce((sum, pass) => sum + pass.errors + pass.wrongAnswers, 0);
    if (errors > 0) {
      console.error(
        `[bench:fairness] FAILED: the quiet tenant got ${errors} error or wrong replies: ${passes.flatMap((pass) => pass.examples).join("; ")}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    for (const process of processes.reverse()) await process.stop().catch(() => process.crash());
    await infra.dispose();
  }
}
