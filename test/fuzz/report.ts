// The fuzz run's result and its printed form: frames by class and outcome, process exits and
// restarts, resident memory of the gateway (and thread service), the well-behaved connection's
// latency without and with the flood, and every rule of the contract with its violations.
import type { CanaryMethod, CanaryPhase, LatencySummary } from "./canary.js";
import { FRAME_CLASSES, RULES, type Rule } from "./frames.js";
import type { FuzzLedger, Violation } from "./ledger.js";
import type { ProcessExitRecord, RssRecord } from "./target.js";

export interface RuleResult {
  rule: Rule;
  description: string;
  checked: number;
  violations: number;
  byClass: Record<string, number>;
  samples: Violation[];
}

export interface FuzzReport {
  seed: number;
  framesPlanned: number;
  framesSent: number;
  floodDurationMs: number;
  totalDurationMs: number;
  /** Why the flood ended before its plan (the restart budget ran out), if it did. */
  abortedBecause: string | undefined;
  classes: { frameClass: string; sent: number; outcomes: Record<string, number> }[];
  rules: RuleResult[];
  processExits: ProcessExitRecord[];
  restarts: number;
  rssKb: Record<string, RssRecord>;
  canary: {
    latency: Record<CanaryPhase, Record<CanaryMethod, LatencySummary>>;
    failureCount: number;
    failures: string[];
  };
  /** The fuzzer's own event-loop delay while flooding (it inflates measured latencies). */
  eventLoopDelayMs: { p99: number; max: number };
  halfOpen: { held: number; closedByServer: Record<string, number>; nonReadingCloseCode: number | undefined };
  /** The first few -32603 answers per frame class. */
  internalErrors: Record<string, string[]>;
}

export function ruleResults(ledger: FuzzLedger): RuleResult[] {
  return (Object.keys(RULES) as Rule[]).map((rule) => ({
    rule,
    description: RULES[rule],
    checked: ledger.checkedCount(rule),
    violations: ledger.violationCount(rule),
    byClass: ledger.violationsByClass(rule),
    samples: ledger.samplesOf(rule),
  }));
}

export function classRows(ledger: FuzzLedger): FuzzReport["classes"] {
  return FRAME_CLASSES.filter((frameClass) => ledger.classes.has(frameClass)).map((frameClass) => {
    const tally = ledger.classes.get(frameClass);
    return { frameClass, sent: tally?.sent ?? 0, outcomes: Object.fromEntries(tally?.outcomes ?? []) };
  });
}

export function ruleOf(report: FuzzReport, rule: Rule): RuleResult {
  const result = report.rules.find((candidate) => candidate.rule === rule);
  if (!result) throw new Error(`no rule ${rule}`);
  return result;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

const OUTCOME_ORDER = ["result", "err -32600", "err -32001", "err -32603", "no reply", "missing"];
const ms = (value: number) => (Number.isNaN(value) ? "-" : value >= 100 ? value.toFixed(0) : value.toFixed(1));
const mib = (kb: number) => (kb / 1024).toFixed(1);

/** The lines of a log tail from its first error line on (where a crash says what it was). */
function errorExcerpt(logTail: string): string[] {
  const lines = logTail.split("\n").filter((line) => line.trim() !== "");
  const first = lines.findIndex((line) => /error|exception|fatal/i.test(line));
  return (first === -1 ? lines.slice(-8) : lines.slice(first)).slice(0, 10);
}

export function formatReport(report: FuzzReport): string {
  const sections: string[] = [];
  sections.push(
    `fuzz seed ${report.seed}: ${report.framesSent} frames sent (planned ${report.framesPlanned}) in ${(report.floodDurationMs / 1000).toFixed(1)} s of flood, ` +
      `${(report.totalDurationMs / 1000).toFixed(1)} s in all${report.abortedBecause ? `; ABORTED: ${report.abortedBecause}` : ""}`,
  );

  const labels = new Set<string>();
  for (const row of report.classes) for (const label of Object.keys(row.outcomes)) labels.add(label);
  const columns = [
    ...OUTCOME_ORDER.filter((label) => labels.has(label)),
    ...[...labels].filter((label) => !OUTCOME_ORDER.includes(label)).sort(),
  ];
  const totals = new Map<string, number>();
  const rows = report.classes.map((row) => {
    for (const label of columns) totals.set(label, (totals.get(label) ?? 0) + (row.outcomes[label] ?? 0));
    return [
      row.frameClass,
      String(row.sent),
      ...columns.map((label) => (row.outcomes[label] ? String(row.outcomes[label]) : "")),
    ];
  });
  rows.push([
    "total",
    String(report.classes.reduce((sum, row) => sum + row.sent, 0)),
    ...columns.map((label) => String(totals.get(label) ?? 0)),
  ]);
  sections.push(`frames by class and outcome\n${table(["class", "sent", ...columns], rows)}`);

  const exits = report.processExits.map(
    (exit) =>
      `  ${exit.name} (pid ${exit.pid}) exited at +${(exit.atMs / 1000).toFixed(1)} s, code ${exit.code}, signal ${exit.signal}\n` +
      `    suspects:\n${exit.suspects.map((line) => `      ${line.slice(0, 300)}`).join("\n")}\n` +
      `    log tail:\n${errorExcerpt(exit.logTail)
        .map((line) => `      ${line.slice(0, 300)}`)
        .join("\n")}`,
  );
  sections.push(
    `process exits: ${report.processExits.length}, restarts: ${report.restarts} (target 0)${exits.length ? `\n${exits.join("\n")}` : ""}`,
  );

  sections.push(
    `resident memory (VmRSS, MiB)\n${table(
      ["process", "before", "peak", "after"],
      Object.entries(report.rssKb).map(([role, rss]) => [role, mib(rss.beforeKb), mib(rss.peakKb), mib(rss.afterKb)]),
    )}`,
  );

  const latencyRows: string[][] = [];
  for (const phase of ["baseline", "flood", "after"] as const) {
    for (const method of ["thread/read", "thread/name/set"] as const) {
      const summary = report.canary.latency[phase][method];
      latencyRows.push([`${phase} ${method}`, String(summary.count), ms(summary.p50Ms), ms(summary.p99Ms), ms(summary.maxMs)]);
    }
  }
  sections.push(
    `well-behaved connection latency (ms; the fuzzer's own event-loop delay while flooding: p99 ${ms(report.eventLoopDelayMs.p99)}, max ${ms(report.eventLoopDelayMs.max)})\n` +
      `${table(["window", "requests", "p50", "p99", "max"], latencyRows)}\n` +
      `failures: ${report.canary.failureCount}${report.canary.failures.map((failure) => `\n  ${failure.slice(0, 300)}`).join("")}`,
  );

  sections.push(
    `half-open sockets held: ${report.halfOpen.held} (closed by the server: ${JSON.stringify(report.halfOpen.closedByServer)}); ` +
      `non-reading websocket close code: ${report.halfOpen.nonReadingCloseCode ?? "still open"}`,
  );

  const ruleRows = report.rules.map((rule) => [
    rule.violations === 0 ? (rule.checked === 0 ? "-" : "ok") : "FAIL",
    rule.rule,
    String(rule.checked),
    String(rule.violations),
    Object.entries(rule.byClass)
      .map(([frameClass, count]) => `${frameClass}:${count}`)
      .join(" "),
  ]);
  sections.push(`contract\n${table(["", "rule", "checked", "violations", "by class"], ruleRows)}`);
  const internal = Object.entries(report.internalErrors);
  if (internal.length > 0) {
    sections.push(
      `-32603 answers (first few per class)\n${internal
        .map(([frameClass, details]) => details.map((detail) => `  ${frameClass}: ${detail}`).join("\n"))
        .join("\n")}`,
    );
  }
  const samples = report.rules
    .filter((rule) => rule.samples.length > 0)
    .map(
      (rule) =>
        `${rule.rule} (${rule.violations}):\n${rule.samples.map((sample) => `  - ${sample.detail.slice(0, 400)}`).join("\n")}`,
    );
  if (samples.length > 0) sections.push(`violation samples\n${samples.join("\n")}`);
  return sections.join("\n\n");
}
