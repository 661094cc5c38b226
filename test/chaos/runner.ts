// One chaos run: the system up, a baseline phase with no fault, then one phase per fault. A phase
// runs a fresh mixed load (its own writer names), injects the fault after `warmupMs`, keeps the
// load going `observeMs` past the fault's end, stops the load (every request answered or at its
// deadline), checks the phase, then replaces the instances the fault killed and waits until the
// probe says the system serves before the next fault.
import { jetstreamManager } from "@nats-io/jetstream";
import { type ChaosRow, checkConfigWrites, checkNameWrites, errorSummary, requestCounts, stuckTurns } from "./checks.js";
import { FAULTS, type Fault, selectFaults } from "./faults.js";
import { MixedLoad } from "./load.js";
import { ChaosProbe } from "./probe.js";
import { CHAOS_TENANT, type ChaosScale, ChaosSystem, type ChaosTimings, SERVICE_KINDS } from "./system.js";

/** The suite's keyed-lane consumers with messages waiting or unacknowledged, one line each. */
async function keyedLaneStates(system: ChaosSystem): Promise<string> {
  const jsm = await jetstreamManager(system.stack.infra.nc, { timeout: 2_000 });
  const prefix = `${system.stack.infra.busPrefix.toUpperCase()}_`;
  const lines: string[] = [];
  for await (const stream of jsm.streams.list()) {
    if (!stream.config.name.startsWith(prefix)) continue;
    lines.push(
      `stream ${stream.config.name}: ${stream.state.messages} stored, seq ${stream.state.first_seq}–${stream.state.last_seq}`,
    );
    for await (const consumer of jsm.consumers.list(stream.config.name)) {
      if (consumer.num_pending === 0 && consumer.num_ack_pending === 0) continue;
      lines.push(
        `  ${consumer.name}: ${consumer.num_pending} waiting, ${consumer.num_ack_pending} unacknowledged, ` +
          `delivered ${consumer.delivered.stream_seq}, ack floor ${consumer.ack_floor.stream_seq}, ` +
          `${consumer.num_redelivered} redelivered, ${consumer.num_waiting} pulls waiting`,
      );
    }
  }
  return lines.join("\n");
}

export interface ChaosOptions {
  faults?: string[];
  scale: ChaosScale;
  timings: ChaosTimings;
  /** Load before the fault is injected. */
  warmupMs: number;
  /** How long a restarted server stays down (Redis: twice this). */
  holdMs: number;
  /** Load kept up after the fault's end: recovery must happen within it. */
  observeMs: number;
  load: { writers: number; readers: number; turners: number; configWriters: number; paceMs: number };
  /** How long the scripted model takes to answer a turn. */
  turnMs: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  startedAt: string;
  options: Omit<ChaosOptions, "log">;
  rows: ChaosRow[];
  durationS: number;
}

/** The promises' targets; a row meets them when this returns nothing. */
export function missedTargets(row: ChaosRow): string[] {
  const missed: string[] = [];
  for (const column of ["lost", "duplicates", "reordered", "unanswered", "stuck_turns", "process_exits"] as const)
    if (row[column] !== 0) missed.push(`${column} = ${row[column]}`);
  if (row.recovery_s === null) missed.push("never recovered");
  else if (row.recovery_s > 10) missed.push(`recovery ${row.recovery_s} s > 10 s`);
  if (row.acknowledged === 0) missed.push("no write was acknowledged (the phase proves nothing)");
  if (row.read_errors > 0 && FAULTS.find((fault) => fault.name === row.fault)?.readsAnswered)
    missed.push(`read errors = ${row.read_errors}`);
  return missed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  const startedAtMs = Date.now();
  const faults = selectFaults(options.faults);
  const system = await ChaosSystem.start({ scale: options.scale, timings: options.timings, turnMs: options.turnMs, log });
  const rows: ChaosRow[] = [];
  let probe: ChaosProbe | undefined;
  try {
    probe = await ChaosProbe.create({
      gatewayUrls: () => system.gatewayUrls(),
      tenant: CHAOS_TENANT,
      token: system.token,
      intervalMs: 400,
      slowMs: Math.max(2_000, options.timings.ackWaitMs),
    });
    probe.start();
    const sharedThreadIds = probe.partitionThreadIds.slice(0, 8);
    rows.push(await runPhase(system, probe, sharedThreadIds, undefined, options));
    for (const fault of faults) {
      rows.push(await runPhase(system, probe, sharedThreadIds, fault, options));
      await system.replaceDead();
      await waitUntilServing(probe, log);
    }
  } finally {
    await probe?.stop();
    await system.stop();
  }
  const { log: _log, ...recorded } = options;
  return {
    startedAt: new Date(startedAtMs).toISOString(),
    options: recorded,
    rows,
    durationS: (Date.now() - startedAtMs) / 1000,
  };
}

async function runPhase(
  system: ChaosSystem,
  probe: ChaosProbe,
  sharedThreadIds: string[],
  fault: Fault | undefined,
  options: ChaosOptions,
): Promise<ChaosRow> {
  const phase = fault?.name ?? "none";
  options.log(`phase ${phase}${fault ? `: ${fault.description}` : " (baseline, no fault)"}`);
  const load = new MixedLoad({
    phase,
    token: system.token,
    gatewayUrls: () => system.gatewayUrls(),
    sharedThreadIds,
    ...options.load,
    deadlineMs: options.timings.requestTimeoutMs + 5_000,
    turnWaitMs: options.timings.turnLeaseMs * 3 + options.turnMs,
  });
  load.start();
  await sleep(options.warmupMs);
  const times = fault ? await fault.inject(system, options.holdMs) : { injectedAtMs: Date.now(), endedAtMs: Date.now() };
  await sleep(options.observeMs);
  const observedUntilMs = Date.now();
  await load.stop();
  const names = await checkNameWrites(system.stack.infra.pool, load.ledger, phase);
  const config = await checkConfigWrites(`${system.gatewayUrls()[0]}/`, system.token, load.ledger).catch(async (error) => {
    // A read-back that fails says little by itself: the keyed lanes' consumers that hold or wait
    // for messages, and the services' last lines, go with it.
    const lanes = await keyedLaneStates(system).catch((stateError: unknown) => `keyed lanes unreadable: ${String(stateError)}`);
    const logs = SERVICE_KINDS.map((kind) => system.logsOf(kind)).join("\n");
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${lanes}\n${logs}`);
  });
  const stuck = await stuckTurns(system.stack.infra.pool, options.timings.turnLeaseMs * 2 + options.turnMs + 1_000);
  const counts = requestCounts(load.ledger);
  const recovery = probe.recoverySeconds(times.endedAtMs, observedUntilMs);
  const exits = system.unexpectedExits();
  const row: ChaosRow = {
    fault: phase,
    requests: counts.requests,
    acknowledged: names.acknowledged + config.acknowledged,
    applied: names.applied + config.applied,
    lost: names.lost + config.lost,
    duplicates: names.duplicates,
    reordered: names.reordered,
    unanswered: counts.unanswered,
    stuck_turns: stuck,
    recovery_s: recovery === undefined ? null : Math.round(recovery * 10) / 10,
    interrupted: counts.interrupted,
    errors: counts.errors,
    read_errors: counts.readErrors,
    turns_completed: load.turnsCompleted,
    process_exits: exits.length,
    findings: [
      ...exits,
      ...names.findings,
      ...config.findings,
      ...errorSummary(load.ledger),
      ...[...new Set(probe.failures(times.injectedAtMs, observedUntilMs))].slice(0, 3).map((failure) => `probe: ${failure}`),
    ],
  };
  const missed = missedTargets(row);
  options.log(
    `phase ${phase}: ${row.requests} requests, ${row.acknowledged} acknowledged, ${row.errors} errors, ` +
      `${row.interrupted} interrupted, recovery ${row.recovery_s ?? "never"} s${missed.length ? ` — MISSED: ${missed.join(", ")}` : ""}`,
  );
  return row;
}

async function waitUntilServing(probe: ChaosProbe, log: (line: string) => void): Promise<void> {
  const fromMs = Date.now();
  const deadline = fromMs + 60_000;
  while (Date.now() < deadline) {
    await sleep(500);
    const recent = probe.rounds.filter((round) => round.startedAtMs >= fromMs);
    if (recent.length >= 3 && recent.slice(-3).every((round) => round.isGood)) return;
  }
  log(`the system did not serve again within 60 s of replacing instances: ${probe.failures(fromMs, Date.now()).at(-1)}`);
}
