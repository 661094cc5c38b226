// What each fault is judged by, from the load's ledger and from Postgres (never from the services'
// own word): every acknowledged write applied exactly once and in per-key order, every request
// answered, no turn left `inProgress`.
import { methodRegistry } from "@switchyard/protocol";
import type pg from "pg";
import { CodexTestClient } from "../harness/client.js";
import { appliedWrites, orderViolations, parseWriteName } from "../harness/writes.js";
import type { LedgerEntry } from "./load.js";

export interface ChaosRow {
  fault: string;
  requests: number;
  acknowledged: number;
  applied: number;
  lost: number;
  duplicates: number;
  reordered: number;
  unanswered: number;
  stuck_turns: number;
  /** Seconds from the fault's end until the probe saw the system serve for good; null: never. */
  recovery_s: number | null;
  /** Requests whose connection closed under them (their gateway killed): nobody left to answer. */
  interrupted: number;
  /** Requests answered with an error (a result or an error both count as answered). */
  errors: number;
  /** Of those, read-only requests (`MethodSpec.readOnly`: the ones asked again when late). */
  read_errors: number;
  turns_completed: number;
  /** Service processes that exited during the phase although nobody killed them. */
  process_exits: number;
  /** Examples of what went wrong, for the report. */
  findings: string[];
}

export interface WriteCheck {
  acknowledged: number;
  applied: number;
  lost: number;
  duplicates: number;
  reordered: number;
  findings: string[];
}

/** Keyed writes (`thread/name/set`) of one phase against `thread.name_changes`. */
export async function checkNameWrites(pool: pg.Pool, ledger: LedgerEntry[], phase: string): Promise<WriteCheck> {
  const writes = ledger.filter((entry) => entry.kind === "write" && entry.name);
  const acknowledged = writes.filter((entry) => entry.outcome === "result").map((entry) => entry.name as string);
  const applied = (await appliedWrites(pool)).filter((write) => write.name.startsWith(`${phase}-w`));
  const appliedCount = new Map<string, number>();
  for (const write of applied) appliedCount.set(write.name, (appliedCount.get(write.name) ?? 0) + 1);
  const findings: string[] = [];
  const lostNames = acknowledged.filter((name) => !appliedCount.has(name));
  if (lostNames.length > 0) findings.push(`acknowledged but not applied: ${lostNames.slice(0, 5).join(", ")}`);
  let duplicates = 0;
  for (const [name, count] of appliedCount) {
    if (count > 1) {
      duplicates += count - 1;
      findings.push(`${name} applied ${count} times`);
    }
  }
  const reorders = orderViolations(applied);
  if (reorders.length > 0) findings.push(`out of order: ${reorders.slice(0, 5).join("; ")}`);
  return {
    acknowledged: acknowledged.length,
    applied: appliedCount.size,
    lost: lostNames.length,
    duplicates,
    reordered: reorders.length,
    findings,
  };
}

/**
 * Config writes of one phase: each writer overwrites its own key, so what can be checked is the
 * final value: it is one the writer sent, and not older than its last acknowledged write.
 */
export async function checkConfigWrites(url: string, token: string, ledger: LedgerEntry[]): Promise<WriteCheck> {
  const writes = ledger.filter((entry) => entry.kind === "config" && entry.name && entry.writer);
  const writers = new Map<string, { lastAcknowledged: number; lastSent: number }>();
  let acknowledged = 0;
  for (const entry of writes) {
    const parsed = parseWriteName(entry.name as string);
    if (!parsed) continue;
    const state = writers.get(parsed.writer) ?? { lastAcknowledged: -1, lastSent: -1 };
    state.lastSent = Math.max(state.lastSent, parsed.sequence);
    if (entry.outcome === "result") {
      acknowledged++;
      state.lastAcknowledged = Math.max(state.lastAcknowledged, parsed.sequence);
    }
    writers.set(parsed.writer, state);
  }
  const findings: string[] = [];
  let lost = 0;
  if (writers.size > 0) {
    const client = await CodexTestClient.open(url, { token });
    const read = await client.call<{ config: { shell_environment_policy?: { set?: Record<string, string> } } }>(
      "config/read",
      {},
    );
    await client.close();
    for (const [writer, state] of writers) {
      const value = read.config.shell_environment_policy?.set?.[writer];
      const parsed = value ? parseWriteName(value) : undefined;
      const finalSequence = parsed?.writer === writer ? parsed.sequence : -1;
      if (finalSequence < state.lastAcknowledged) {
        lost += state.lastAcknowledged - Math.max(finalSequence, -1);
        findings.push(`config ${writer}: final ${value ?? "(none)"}, but #${state.lastAcknowledged} was acknowledged`);
      } else if (finalSequence > state.lastSent) {
        findings.push(`config ${writer}: final ${value} was never sent`);
      }
    }
  }
  // An overwrite leaves only the last value: every acknowledged write at or before it counts as applied.
  const applied = acknowledged - lost;
  return { acknowledged, applied, lost, duplicates: 0, reordered: 0, findings };
}

/**
 * Turns still `inProgress` once every runner has had time to finish or to be swept (two leases
 * after the load stopped): waits until none is left or `waitMs` has passed, then counts them.
 */
export async function stuckTurns(pool: pg.Pool, waitMs: number): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await pool
      .query<{ count: string }>("SELECT count(*) FROM thread.turns WHERE status = 'inProgress'")
      .catch(() => ({ rows: [{ count: "-1" }] }));
    const count = Number(rows[0]?.count ?? 0);
    if (count === 0 || Date.now() > deadline) return Math.max(count, 0);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function requestCounts(ledger: LedgerEntry[]) {
  return {
    requests: ledger.length,
    unanswered: ledger.filter((entry) => entry.outcome === "unanswered" || entry.outcome === "pending").length,
    interrupted: ledger.filter((entry) => entry.outcome === "interrupted").length,
    errors: ledger.filter((entry) => entry.outcome === "error").length,
    readErrors: ledger.filter((entry) => entry.outcome === "error" && methodRegistry.get(entry.method)?.readOnly).length,
  };
}

/** The most frequent error messages of a phase (what the errors were, in the report). */
export function errorSummary(ledger: LedgerEntry[]): string[] {
  const counts = new Map<string, number>();
  for (const entry of ledger) {
    if (entry.outcome !== "error" && entry.outcome !== "unanswered") continue;
    const key =
      entry.outcome === "unanswered"
        ? `${entry.method}: unanswered`
        : `${entry.method}: ${entry.errorCode} ${entry.errorMessage}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([message, count]) => `${count}× ${message.slice(0, 160)}`);
}
