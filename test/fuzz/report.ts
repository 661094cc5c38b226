// The fuzz run's result and its printed form: frames by class and outcome, process exits and
// restarts, resident memory of the gateway (and thread service), the well-behaved connection's
// latency without and with the flood, and every rule of the contract with its violations.
import type { CanaryMethod, CanaryPhase, LatencySummary } from "./canary.js";
import { FRAME_CLASSES, RULES, type Rule } from "./frames.js";
import type { FuzzLedger, Violation } from "./ledger.js";
import { familyOf, type MethodCatalog, type NotificationCatalog } from "./method-catalog.js";
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
  coverage: Coverage;
}

export interface FamilyCoverage {
  family: string;
  registered: number;
  /** Methods with at least one wrong-typed case answered -32600 as required. */
  fuzzed: number;
  wrongTypeFrames: number;
  /** Params paths (params itself included) whose wrong type was answered -32600, of those that can be wrong. */
  pathsCovered: number;
  paths: number;
}

export interface Coverage {
  families: FamilyCoverage[];
  /** Registered methods with no wrong-typed case answered -32600 (must be empty). */
  methodsNotFuzzed: string[];
  /** Per kind of client notification: names sent / names there are, frames. */
  notifications: { kind: string; namesSent: number; names: number; frames: number }[];
  /** Server-request answers sent by variant, and what the turns did. */
  serverResponses: Record<string, number>;
  serverRequestRounds: Record<string, number>;
  /** Requests (not floods) answered -32001 rateLimited, per class: allowed, not judged. */
  rateLimited: Record<string, number>;
}

export function coverageOf(ledger: FuzzLedger, catalog: MethodCatalog, notifications: NotificationCatalog): Coverage {
  const families = new Map<string, FamilyCoverage>();
  const methodsNotFuzzed: string[] = [];
  for (const method of catalog.methods) {
    const family = familyOf(method);
    const row = families.get(family) ?? { family, registered: 0, fuzzed: 0, wrongTypeFrames: 0, pathsCovered: 0, paths: 0 };
    const covered = ledger.wrongTypeCovered.get(method);
    row.registered++;
    if (covered && covered.size > 0) row.fuzzed++;
    else methodsNotFuzzed.push(method);
    row.wrongTypeFrames += ledger.wrongTypeSent.get(method) ?? 0;
    const paths = catalog.rejectablePaths(method);
    row.paths += paths.length;
    row.pathsCovered += paths.filter((path) => covered?.has(path)).length;
    families.set(family, row);
  }
  const kinds = ["initialized", "server notification", "method", "unknown"] as const;
  return {
    families: [...families.values()],
    methodsNotFuzzed,
    notifications: kinds.map((kind) => {
      const names = notifications.names(kind);
      return {
        kind,
        names: names.length,
        namesSent: names.filter((name) => ledger.notificationsSent.has(`${kind}|${name}`)).length,
        frames: ledger.notificationKinds.get(kind) ?? 0,
      };
    }),
    serverResponses: Object.fromEntries([...ledger.serverResponses].sort(([a], [b]) => a.localeCompare(b))),
    serverRequestRounds: Object.fromEntries(ledger.serverRequestRounds),
    rateLimited: Object.fromEntries(ledger.rateLimited),
  };
}

function coverageSection(coverage: Coverage): string {
  const rows = coverage.families.map((row) => [
    row.family,
    `${row.fuzzed} / ${row.registered}`,
    String(row.wrongTypeFrames),
    `${row.pathsCovered} / ${row.paths}`,
  ]);
  const total = coverage.families.reduce(
    (sum, row) => ({
      fuzzed: sum.fuzzed + row.fuzzed,
      registered: sum.registered + row.registered,
      frames: sum.frames + row.wrongTypeFrames,
      pathsCovered: sum.pathsCovered + row.pathsCovered,
      paths: sum.paths + row.paths,
    }),
    { fuzzed: 0, registered: 0, frames: 0, pathsCovered: 0, paths: 0 },
  );
  rows.push(["total", `${total.fuzzed} / ${total.registered}`, String(total.frames), `${total.pathsCovered} / ${total.paths}`]);
  const notificationRows = coverage.notifications.map((row) => [row.kind, `${row.namesSent} / ${row.names}`, String(row.frames)]);
  const answers = Object.entries(coverage.serverResponses)
    .map(([variant, count]) => `${variant}: ${count}`)
    .join("; ");
  const rounds = Object.entries(coverage.serverRequestRounds)
    .map(([outcome, count]) => `${outcome}: ${count}`)
    .join("; ");
  return (
    `coverage: methods with a wrong-typed case answered -32600, by family (params paths: those with a wrong type answered -32600)\n` +
    `${table(["family", "methods fuzzed / registered", "wrong-type frames", "params paths"], rows)}\n` +
    `methods not fuzzed: ${coverage.methodsNotFuzzed.length === 0 ? "none" : coverage.methodsNotFuzzed.join(", ")}\n\n` +
    `client notifications (names sent / names)\n${table(["kind", "names", "frames"], notificationRows)}\n\n` +
    `answers to item/tool/call: ${answers || "none"}\n` +
    `tool-call turns: ${rounds || "none"}\n` +
    `answered -32001 rateLimited outside the flood lane (the fuzz tenant's rate limit; not judged): ${
      Object.entries(coverage.rateLimited)
        .map(([frameClass, count]) => `${frameClass}: ${count}`)
        .join(", ") || "none"
    }`
  );
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
  sections.push(coverageSection(report.coverage));
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
