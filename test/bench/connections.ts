// `pnpm bench -- --only connections/idle`: what 10,000 idle clients cost one gateway. Starts a thread
// service, config service and one gateway on the machine's infra (own database and bus prefix), and
// one measuring connection (tenant `live`, its request rates out of the way) that starts a few
// threads. Then:
//   1. alone:   that connection reads its threads (thread/read, 1 in flight; after an unmeasured
//               pass of the same length) — the floor;
//   2. opens N connections (default 10,000) from a separate client process (connections-client.ts),
//      each its own user with an HS256 bearer token, each sending `initialize` — the wall time from
//      the first upgrade to the last initialize answer is the accept time (throughput = N / it);
//   3. the gateway's RSS (/proc/<pid>/status VmRSS) before opening (after a warm-up and a settle) and
//      after all N are initialized and idle (after a settle); each is the max of a few samples, since
//      a GC cannot be forced from outside. rss_per_connection_kb = (after − before) / N (target ≤ 50);
//   4. among them: the same thread/read pass on the measuring connection, with the N open.
//   5. alone again, once the idle connections are closed (printed and recorded as a check on drift).
// The row's `ratio` is p99 among N / p99 alone (step 1). Flags: --connections (10000), --seconds per read pass
// (5), --warmup (1), --settle seconds before each RSS sample (3), --threads (8), --open-concurrency
// (upgrades in flight, 128), --client-processes (1). Timings and memory are printed, never
// enforced; a failed upgrade or initialize, an idle connection the gateway closed, or an error reply
// to the measuring connection fails the run. Everything started is stopped and the database dropped.
import { parseArgs } from "node:util";
import { CodexTestClient } from "../harness/client.js";
import { createTestInfra, type TestInfra } from "../harness/infra.js";
import {
  type ServiceProcess,
  startConfigService,
  startGatewayProcess,
  startProcess,
  startThreadService,
} from "../harness/processes.js";
import { hs256Token, TEST_HS256_SECRET } from "../harness/tokens.js";
import { positiveFlag } from "./config.js";
import {
  CLIENT_DONE,
  CLIENT_READY,
  type ClientDone,
  type ClientReport,
  CONNECTIONS_SCENARIO,
  type ConnectionsClientSettings,
  IDLE_TENANT,
} from "./connections-contract.js";
import { processCpuMs, processMemoryKb } from "./cpu.js";
import { sequentialThreadReads } from "./load.js";
import { writeResults } from "./report.js";

const TARGET_RSS_PER_CONNECTION_KB = 50;
const WARMUP_CONNECTIONS = 16;
/**
 * The measuring connection's tenant. Its reads come from the gateway's cache one after another, more
 * than a token's default rate (5,000/s) allows, so its rates are raised out of the way (as the request
 * bench's are); the idle connections' tenant keeps the default rates, which its crowd must fit in.
 */
const LIVE_TENANT = "live";
const OUT_OF_THE_WAY = 1_000_000;
const RSS_SAMPLES = 5;
const RSS_SAMPLE_GAP_MS = 500;
const log = (text: string) => console.log(`[bench:connections] ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits: number) => Number(value.toFixed(digits));

interface ConnectionsSettings {
  connections: number;
  seconds: number;
  warmupSeconds: number;
  settleSeconds: number;
  threads: number;
  openConcurrency: number;
  clientProcesses: number;
}

function parseSettings(argv: string[]): ConnectionsSettings {
  const { values } = parseArgs({
    args: argv[0] === "--" ? argv.slice(1) : argv,
    strict: true,
    options: {
      only: { type: "string", multiple: true },
      connections: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      settle: { type: "string" },
      threads: { type: "string" },
      "open-concurrency": { type: "string" },
      "client-processes": { type: "string" },
    },
  });
  return {
    connections: Math.ceil(positiveFlag("connections", values.connections, 10_000)),
    seconds: positiveFlag("seconds", values.seconds, 5),
    warmupSeconds: positiveFlag("warmup", values.warmup, 1),
    settleSeconds: positiveFlag("settle", values.settle, 3),
    threads: Math.ceil(positiveFlag("threads", values.threads, 8)),
    openConcurrency: Math.ceil(positiveFlag("open-concurrency", values["open-concurrency"], 128)),
    clientProcesses: Math.ceil(positiveFlag("client-processes", values["client-processes"], 1)),
  };
}

/** Waits `settleSeconds`, then samples VmRSS a few times: max (reported) and min. */
async function settledRss(pid: number, settleSeconds: number): Promise<{ maxKb: number; minKb: number; samplesKb: number[] }> {
  await sleep(settleSeconds * 1000);
  const samplesKb: number[] = [];
  for (let sample = 0; sample < RSS_SAMPLES; sample++) {
    if (sample > 0) await sleep(RSS_SAMPLE_GAP_MS);
    samplesKb.push(processMemoryKb(pid).rssKb);
  }
  return { maxKb: Math.max(...samplesKb), minKb: Math.min(...samplesKb), samplesKb };
}

export async function runConnectionsBench(argv: string[]): Promise<number> {
  const settings = parseSettings(argv);
  const startedAt = Date.now();
  let infra: TestInfra | undefined;
  const processes: ServiceProcess[] = [];
  const clients: CodexTestClient[] = [];
  let tornDown: Promise<void> | undefined;
  // Once, however the run ends: on return, on an error, on a signal or on the watchdog.
  const teardown = () =>
    (tornDown ??= (async () => {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      for (const process of [...processes].reverse()) await process.stop().catch(() => process.crash());
      await infra
        ?.dispose()
        .catch((error: unknown) => console.error(`[bench:connections] infra teardown failed: ${String(error)}`));
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`[bench:connections] ${signal}: stopping`);
    void teardown().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const expectedSeconds =
    120 + 8 * (settings.warmupSeconds + settings.seconds) + 2 * settings.settleSeconds + settings.connections / 50;
  const watchdog = setTimeout(() => {
    console.error(`[bench:connections] still running after ${Math.round(expectedSeconds)} s; giving up`);
    void teardown().finally(() => process.exit(2));
  }, expectedSeconds * 1000);
  watchdog.unref();
  try {
    infra = await createTestInfra("connections");
    processes.push(await startThreadService(infra.env));
    processes.push(
      await startConfigService({ ...infra.env, CONFIG_GRPC_PORT_BASE: String(20_000 + Math.floor(Math.random() * 400) * 50) }),
    );
    const gateway = await startGatewayProcess({
      ...infra.env,
      GATEWAY_AUTH_JWT_HS256_SECRET: TEST_HS256_SECRET,
      // The default per-tenant cap is 10,000 live connections; the idle ones and the warm-up ones must
      // all fit (each idle connection is its own token, so the per-token cap holds). Their request
      // rate keeps its default: a crowd of new users must fit in it.
      GATEWAY_TENANT_LIMITS: JSON.stringify({
        [IDLE_TENANT]: { connections: settings.connections + WARMUP_CONNECTIONS + 16 },
        [LIVE_TENANT]: {
          requestsPerS: OUT_OF_THE_WAY,
          requestBurst: OUT_OF_THE_WAY,
          tokenRequestsPerS: OUT_OF_THE_WAY,
          tokenRequestBurst: OUT_OF_THE_WAY,
        },
      }),
    });
    processes.push(gateway);
    const gatewayPid = gateway.child.pid;
    if (gatewayPid === undefined) throw new Error("the gateway has no pid");
    const token = (sub: string) => hs256Token({ tenant: IDLE_TENANT, sub }, { expiresInS: 86_400 });

    // The measuring connection, and the threads it reads (started before the idle connections, so
    // their thread/started notifications do not go to all of them).
    const liveToken = await hs256Token({ tenant: LIVE_TENANT, sub: "live" }, { expiresInS: 86_400 });
    const live = await CodexTestClient.open(gateway.url, { token: liveToken, optOut: ["thread/started"] });
    clients.push(live);
    const threadIds: string[] = [];
    for (let index = 0; index < settings.threads; index++) {
      threadIds.push((await live.call<{ thread: { id: string } }>("thread/start", { cwd: "/workspace/bench" })).thread.id);
    }
    const readPass = sequentialThreadReads({
      client: live,
      threadIds: threadIds,
      warmupMs: settings.warmupSeconds * 1000,
      measureMs: settings.seconds * 1000,
      log,
    });

    // A fresh gateway and thread service answer their first reads slowly (JIT, pools): read a while unmeasured first.
    await readPass("warm-up (discarded)");
    const alone = await readPass("thread/read with 1 connection open");
    // Warm-up: a few connections through the whole accept path (auth, admission, initialize), closed again.
    const warmups = await Promise.all(
      Array.from({ length: WARMUP_CONNECTIONS }, async (_, index) =>
        CodexTestClient.open(gateway.url, { token: await token(`warmup-${index}`) }),
      ),
    );
    await Promise.all(warmups.map((client) => client.close()));
    const before = await settledRss(gatewayPid, settings.settleSeconds);
    log(`gateway RSS before: max ${before.maxKb} kB, min ${before.minKb} kB (samples ${before.samplesKb.join(", ")})`);

    // The idle connections, from separate client processes (their memory and CPU are not the gateway's).
    const perProcess = Math.ceil(settings.connections / settings.clientProcesses);
    const cpuBeforeMs = processCpuMs(gatewayPid) ?? Number.NaN;
    log(
      `opening ${settings.connections} connections (${settings.openConcurrency} in flight per client process, ${settings.clientProcesses} process(es))`,
    );
    const starting = await Promise.allSettled(
      Array.from({ length: settings.clientProcesses }, (_, index) => {
        const firstIndex = index * perProcess;
        const clientSettings: ConnectionsClientSettings = {
          url: gateway.url,
          firstIndex,
          count: Math.max(0, Math.min(perProcess, settings.connections - firstIndex)),
          openConcurrency: settings.openConcurrency,
          openTimeoutMs: 60_000,
        };
        return startProcess(
          `idle-clients-${index}`,
          "test/bench/connections-client.ts",
          {},
          (line) => line.includes(CLIENT_READY),
          { args: [JSON.stringify(clientSettings)], timeoutMs: 120_000 + settings.connections * 20 },
        );
      }),
    );
    // Every client process that started is torn down, even when another one did not.
    const clientProcesses = starting.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    processes.push(...clientProcesses);
    const notStarted = starting.find((outcome) => outcome.status === "rejected");
    if (notStarted) throw notStarted.reason;
    const cpuAfterMs = processCpuMs(gatewayPid) ?? Number.NaN;
    const peakDuringAcceptKb = processMemoryKb(gatewayPid).peakKb;
    const reports = clientProcesses.map((started) => JSON.parse(started.readyLine) as ClientReport);
    const opened = reports.reduce((sum, report) => sum + report.opened, 0);
    const failed = reports.reduce((sum, report) => sum + report.failed, 0);
    const acceptMs =
      Math.max(...reports.map((report) => report.finishedAtMs)) - Math.min(...reports.map((report) => report.startedAtMs));
    const acceptS = acceptMs / 1000;
    log(
      `${opened} connections open and initialized in ${acceptS.toFixed(2)} s (${(opened / acceptS).toFixed(0)}/s), ${failed} failed` +
        (failed > 0 ? `: ${reports.flatMap((report) => report.failures).join("; ")}` : "") +
        `; gateway CPU ${(cpuAfterMs - cpuBeforeMs).toFixed(0)} ms (${(((cpuAfterMs - cpuBeforeMs) * 1000) / Math.max(1, opened)).toFixed(0)} µs per connection)`,
    );
    const after = await settledRss(gatewayPid, settings.settleSeconds);
    log(
      `gateway RSS after: max ${after.maxKb} kB, min ${after.minKb} kB (samples ${after.samplesKb.join(", ")}); peak ${peakDuringAcceptKb} kB`,
    );
    const rssPerConnectionKb = (after.maxKb - before.maxKb) / Math.max(1, opened);

    const among = await readPass(`thread/read with ${opened} idle connections open`);
    const rssAfterReadsKb = processMemoryKb(gatewayPid).rssKb;

    const dones: ClientDone[] = [];
    for (const started of clientProcesses) {
      await started.stop();
      const doneLine = started
        .output()
        .split("\n")
        .find((line) => line.includes(CLIENT_DONE));
      if (doneLine) dones.push(JSON.parse(doneLine) as ClientDone);
    }
    const closedWhileIdle = dones.reduce((sum, done) => sum + done.closedWhileIdle, 0);
    // The floor again once the idle connections are gone: how much the machine drifted meanwhile.
    await sleep(1_000);
    const aloneAfter = await readPass("thread/read with 1 connection open again (after closing the idle ones)");

    const ratio = among.p99Ms / alone.p99Ms;
    const row = {
      scenario: CONNECTIONS_SCENARIO,
      /** thread/read on the measuring connection, 1 in flight, with the idle connections open. */
      p50_ms: round(among.p50Ms, 3),
      p99_ms: round(among.p99Ms, 3),
      /** Connections accepted and initialized per second (opened / accept_s). */
      throughput_per_s: round(opened / acceptS, 0),
      /** The same thread/read pass with only the measuring connection open. */
      floor_p50_ms: round(alone.p50Ms, 3),
      floor_p99_ms: round(alone.p99Ms, 3),
      /** No floor is measured for accepting connections. */
      floor_throughput_per_s: null,
      /** p99 among the idle connections / p99 alone. */
      ratio: round(ratio, 2),
      p50_ratio: round(among.p50Ms / alone.p50Ms, 2),
      rss_per_connection_kb: round(rssPerConnectionKb, 1),
      target_max_rss_per_connection_kb: TARGET_RSS_PER_CONNECTION_KB,
      meets_target: rssPerConnectionKb <= TARGET_RSS_PER_CONNECTION_KB,
      connections: opened,
      accept_s: round(acceptS, 2),
      gateway_rss_kb: {
        before_max: before.maxKb,
        before_min: before.minKb,
        after_max: after.maxKb,
        after_min: after.minKb,
        peak: peakDuringAcceptKb,
        after_reads: rssAfterReadsKb,
      },
      rss_per_connection_kb_from_min: round((after.minKb - before.minKb) / Math.max(1, opened), 1),
      gateway_cpu_us_per_accept: round(((cpuAfterMs - cpuBeforeMs) * 1000) / Math.max(1, opened), 0),
      client_open_ms: {
        p50: round(Math.max(...reports.map((report) => report.openP50Ms)), 2),
        p99: round(Math.max(...reports.map((report) => report.openP99Ms)), 2),
      },
      client_rss_per_connection_kb: round(reports.reduce((sum, report) => sum + report.rssKb, 0) / Math.max(1, opened), 1),
      failed_connections: failed,
      closed_while_idle: closedWhileIdle,
      /** The floor pass repeated after the idle connections closed (a check on drift; not in the ratio). */
      floor_after_p50_ms: round(aloneAfter.p50Ms, 3),
      floor_after_p99_ms: round(aloneAfter.p99Ms, 3),
      reads: { alone: alone.completed, among: among.completed, alone_after: aloneAfter.completed },
    };
    const line = (label: string, value: string) => `  ${label.padEnd(34)}${value}`;
    console.log(
      `\n${CONNECTIONS_SCENARIO}: ${opened} authenticated, initialized, idle connections on one gateway\n` +
        line(
          "accept + initialize",
          `${row.accept_s.toFixed(2)} s  (${row.throughput_per_s}/s, ${settings.openConcurrency} in flight per client process; per connection p50 ${row.client_open_ms.p50} ms, p99 ${row.client_open_ms.p99} ms)`,
        ) +
        "\n" +
        line("gateway CPU per accept", `${row.gateway_cpu_us_per_accept} µs`) +
        "\n" +
        line("gateway RSS before (max/min)", `${before.maxKb} / ${before.minKb} kB`) +
        "\n" +
        line("gateway RSS after idle (max/min)", `${after.maxKb} / ${after.minKb} kB  (peak ${peakDuringAcceptKb} kB)`) +
        "\n" +
        line(
          "RSS per connection",
          `${row.rss_per_connection_kb} kB  (from min samples ${row.rss_per_connection_kb_from_min} kB; target <= ${TARGET_RSS_PER_CONNECTION_KB}: ${row.meets_target ? "ok" : "MISS"})`,
        ) +
        "\n" +
        line(
          "thread/read alone",
          `p50 ${row.floor_p50_ms.toFixed(3)} ms  p99 ${row.floor_p99_ms.toFixed(3)} ms  (${alone.completed} reads)`,
        ) +
        "\n" +
        line(
          `thread/read among ${opened}`,
          `p50 ${row.p50_ms.toFixed(3)} ms  p99 ${row.p99_ms.toFixed(3)} ms  (${among.completed} reads)`,
        ) +
        "\n" +
        line(
          "thread/read alone again (after)",
          `p50 ${row.floor_after_p50_ms.toFixed(3)} ms  p99 ${row.floor_after_p99_ms.toFixed(3)} ms  (${aloneAfter.completed} reads)`,
        ) +
        "\n" +
        line("p99 ratio (p50 ratio)", `${row.ratio.toFixed(2)} (${row.p50_ratio.toFixed(2)})`) +
        "\n" +
        line("client process RSS per connection", `${row.client_rss_per_connection_kb} kB`) +
        "\n",
    );
    const path = writeResults({
      startedAt: new Date(startedAt).toISOString(),
      elapsedS: (Date.now() - startedAt) / 1000,
      settings,
      rows: [row],
      passes: { alone, among, aloneAfter },
      clients: { reports, dones },
    });
    log(`results written to ${path}`);
    const failures = [
      ...(failed > 0
        ? [`${failed} connections failed to open or initialize: ${reports.flatMap((report) => report.failures).join("; ")}`]
        : []),
      ...(closedWhileIdle > 0
        ? [`the gateway closed ${closedWhileIdle} idle connections: ${JSON.stringify(dones.map((done) => done.closeCodes))}`]
        : []),
      ...([alone, among, aloneAfter].some((pass) => pass.errors + pass.wrongAnswers > 0)
        ? [
            `the measuring connection got error or wrong replies: ${[alone, among, aloneAfter].flatMap((pass) => pass.examples).join("; ")}`,
          ]
        : []),
    ];
    if (failures.length > 0) {
      console.error(`[bench:connections] FAILED:\n  ${failures.join("\n  ")}`);
      return 1;
    }
    return 0;
  } finally {
    clearTimeout(watchdog);
    await teardown();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
