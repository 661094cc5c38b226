// `pnpm bench:relay`: what the remote-control relay adds to a round trip. One real Codex 0.171.0
// app-server (`codex app-server --listen ws://127.0.0.1:PORT`, its CODEX_HOME written by
// connect-machine's code) is reached two ways in the same run:
//   direct   client ──ws──▶ app-server
//   relay    client ──ws──▶ gateway ──NATS──▶ remote-control ──machine ws (v3 envelopes)──▶ app-server
// The app-server enables remote control itself (`remoteControl/enable` on the direct connection) and
// enrolls with the stack's remote-control service, so both paths end in the same process and the
// same `thread/list`. Per round and path: a sequential pass (1 in flight: p50/p99, the overhead) and a
// loaded pass (`--concurrency` in flight on one connection: throughput); rounds rotate which path
// goes first; rows are medians over rounds. ratio = relay p50 / direct p50. Printed, and written to
// bench/results/relay-<timestamp>.json. Any error reply fails the run (exit 1).
import "./deployed.js";
import { parseArgs } from "node:util";
import { CodexTestClient } from "../harness/client.js";
import { ensureCodexBinary } from "../harness/codex-binary.js";
import { type CodexMachine, startCodexAppServerMachine } from "../harness/machine.js";
import { type Stack, startStack } from "../harness/stack.js";
import { hs256Token, TEST_HS256_SECRET } from "../harness/tokens.js";
import { type LoadResult, runLoad } from "./load.js";
import { writeResults } from "./report.js";

const TENANT = "bench-relay";
const METHOD = "thread/list";
const PARAMS = { limit: 5 };
const log = (text: string) => console.log(`[bench:relay] ${text}`);

interface RelayBenchConfig {
  rounds: number;
  warmupSeconds: number;
  sequentialSeconds: number;
  loadedSeconds: number;
  concurrency: number;
}

function parseRelayConfig(argv: string[]): RelayBenchConfig {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== "--"),
    options: {
      rounds: { type: "string", default: "3" },
      warmup: { type: "string", default: "1" },
      seconds: { type: "string", default: "5" },
      "loaded-seconds": { type: "string", default: "3" },
      concurrency: { type: "string", default: "8" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "pnpm bench:relay [-- --rounds 3 --warmup 1 --seconds 5 (sequential) --loaded-seconds 3 --concurrency 8 (loaded)]",
    );
    process.exit(0);
  }
  const positive = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${text}`);
    return value;
  };
  return {
    rounds: Math.round(positive("rounds", values.rounds)),
    warmupSeconds: positive("warmup", values.warmup),
    sequentialSeconds: positive("seconds", values.seconds),
    loadedSeconds: positive("loaded-seconds", values["loaded-seconds"]),
    concurrency: Math.round(positive("concurrency", values.concurrency)),
  };
}

type Path = "direct" | "relay";

interface PathMeasurement {
  sequential: LoadResult;
  loaded: LoadResult;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

async function measure(client: CodexTestClient, config: RelayBenchConfig): Promise<PathMeasurement> {
  const pass = (concurrency: number, seconds: number) =>
    runLoad({
      clients: [client],
      concurrency,
      warmupMs: config.warmupSeconds * 1_000,
      measureMs: seconds * 1_000,
      requestTimeoutMs: 15_000,
      nextRequest: () => ({
        method: METHOD,
        params: PARAMS,
        onReply: (reply) =>
          reply.result && !Array.isArray((reply.result as { data?: unknown }).data) ? "no data array" : undefined,
      }),
    });
  const sequential = await pass(1, config.sequentialSeconds);
  const loaded = await pass(config.concurrency, config.loadedSeconds);
  return { sequential, loaded };
}

async function waitForConnected(stack: Stack, token: string, timeoutMs: number): Promise<string> {
  const lister = await CodexTestClient.open(stack.url, { token });
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { data } = await lister.call("switchyard/environments/list", {});
      const connected = data.find((entry: { status: string }) => entry.status === "connected");
      if (connected) return connected.environmentId as string;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error("the app-server did not connect to the remote-control service");
  } finally {
    await lister.close();
  }
}

export async function runRelayBench(argv: string[]): Promise<number> {
  const config = parseRelayConfig(argv);
  const startedAt = Date.now();
  let stack: Stack | undefined;
  let machine: CodexMachine | undefined;
  const clients: CodexTestClient[] = [];
  try {
    stack = await startStack("bench_relay", {
      threads: 0,
      remoteControls: 1,
      gatewayEnv: { GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET },
      remoteControlEnv: { REMOTE_CONTROL_JWT_HS256_SECRET: TEST_HS256_SECRET },
    });
    const appServer = await startCodexAppServerMachine({
      binary: ensureCodexBinary("0.171.0"),
      baseUrl: stack.remoteControls[0]?.baseUrl as string,
      tenant: TENANT,
      subject: "bench",
      secret: TEST_HS256_SECRET,
    });
    machine = appServer;
    log(`app-server listening at ${appServer.url}`);

    const direct = await CodexTestClient.connect(appServer.url);
    clients.push(direct);
    await direct.call("initialize", {
      clientInfo: { name: "bench-direct", title: null, version: "1" },
      capabilities: { experimentalApi: true },
    });
    await direct.call("remoteControl/enable", null);
    const token = await hs256Token({ tenant: TENANT, sub: "bench" }, { expiresInS: 3_600 });
    const environmentId = await waitForConnected(stack, token, 30_000);
    log(`remote control connected: environment ${environmentId}`);

    const relayed = await CodexTestClient.connect(`${stack.url.replace(/\/$/, "")}/environments/${environmentId}`, { token });
    clients.push(relayed);
    await relayed.call("initialize", { clientInfo: { name: "bench-relay", title: null, version: "1" }, capabilities: null });

    const targets: Record<Path, CodexTestClient> = { direct, relay: relayed };
    const passes: Record<Path, PathMeasurement[]> = { direct: [], relay: [] };
    for (let index = 0; index < config.rounds; index++) {
      const order: Path[] = index % 2 === 0 ? ["direct", "relay"] : ["relay", "direct"];
      for (const path of order) {
        const measured = await measure(targets[path], config);
        passes[path].push(measured);
        log(
          `round ${index + 1} ${path}: p50 ${measured.sequential.p50Ms.toFixed(3)} ms, p99 ${measured.sequential.p99Ms.toFixed(3)} ms, ` +
            `${Math.round(measured.loaded.throughputPerSecond)}/s at ${config.concurrency} in flight`,
        );
      }
    }

    const summary = (path: Path) => ({
      p50_ms: round(median(passes[path].map((pass) => pass.sequential.p50Ms)), 3),
      p99_ms: round(median(passes[path].map((pass) => pass.sequential.p99Ms)), 3),
      throughput_per_s: round(median(passes[path].map((pass) => pass.loaded.throughputPerSecond)), 1),
      loaded_p50_ms: round(median(passes[path].map((pass) => pass.loaded.p50Ms)), 3),
      loaded_p99_ms: round(median(passes[path].map((pass) => pass.loaded.p99Ms)), 3),
      sequential_requests: passes[path].reduce((sum, pass) => sum + pass.sequential.completed, 0),
      loaded_requests: passes[path].reduce((sum, pass) => sum + pass.loaded.completed, 0),
      errors: passes[path].reduce((sum, pass) => sum + pass.sequential.errors + pass.loaded.errors, 0),
      wrong_answers: passes[path].reduce((sum, pass) => sum + pass.sequential.wrongAnswers + pass.loaded.wrongAnswers, 0),
    });
    const directRow = summary("direct");
    const relayRow = summary("relay");
    const row = {
      scenario: `relay ${METHOD}`,
      p50_ms: relayRow.p50_ms,
      p99_ms: relayRow.p99_ms,
      throughput_per_s: relayRow.throughput_per_s,
      direct_p50_ms: directRow.p50_ms,
      direct_p99_ms: directRow.p99_ms,
      direct_throughput_per_s: directRow.throughput_per_s,
      /** relay p50 / direct p50 (sequential). */
      ratio: round(relayRow.p50_ms / directRow.p50_ms, 2),
      p99_ratio: round(relayRow.p99_ms / directRow.p99_ms, 2),
      throughput_ratio: round(relayRow.throughput_per_s / directRow.throughput_per_s, 2),
      /** What the relay adds to one round trip (sequential p50 and p99, ms). */
      overhead_p50_ms: round(relayRow.p50_ms - directRow.p50_ms, 3),
      overhead_p99_ms: round(relayRow.p99_ms - directRow.p99_ms, 3),
      concurrency: config.concurrency,
      rounds: config.rounds,
      relay: relayRow,
      direct: directRow,
    };
    console.log(
      [
        "",
        "scenario            path    p50 ms   p99 ms   req/s (loaded)",
        `${row.scenario.padEnd(19)} direct  ${directRow.p50_ms.toFixed(3).padStart(7)}  ${directRow.p99_ms.toFixed(3).padStart(7)}  ${directRow.throughput_per_s.toFixed(0).padStart(8)}`,
        `${"".padEnd(19)} relay   ${relayRow.p50_ms.toFixed(3).padStart(7)}  ${relayRow.p99_ms.toFixed(3).padStart(7)}  ${relayRow.throughput_per_s.toFixed(0).padStart(8)}`,
        `relay / direct: p50 ×${row.ratio} (+${row.overhead_p50_ms} ms), p99 ×${row.p99_ratio} (+${row.overhead_p99_ms} ms), throughput ×${row.throughput_ratio}`,
        "",
      ].join("\n"),
    );

    const failures = [
      ...(["direct", "relay"] as const).flatMap((name) => {
        const summarized = name === "direct" ? directRow : relayRow;
        return summarized.errors + summarized.wrong_answers > 0
          ? [`${name}: ${summarized.errors} errors, ${summarized.wrong_answers} wrong answers`]
          : [];
      }),
    ];
    const path = writeResults(
      { startedAt: new Date(startedAt).toISOString(), config, rows: [row], failures, passes },
      { prefix: "relay-", at: new Date(startedAt) },
    );
    log(`results written to ${path}`);
    if (failures.length > 0) {
      console.error(`[bench:relay] FAILED: ${failures.join("; ")}`);
      return 1;
    }
    return 0;
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => 0)));
    await machine?.stop();
    await stack?.stop();
  }
}

runRelayBench(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[bench:relay] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
