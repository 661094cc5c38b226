// The chaos table: one row per phase, the promises' columns first, then what explains them.
import type { ChaosRow } from "./checks.js";
import { type ChaosReport, missedTargets } from "./runner.js";

const COLUMNS: (keyof ChaosRow)[] = [
  "fault",
  "requests",
  "acknowledged",
  "applied",
  "lost",
  "duplicates",
  "reordered",
  "unanswered",
  "stuck_turns",
  "recovery_s",
  "interrupted",
  "errors",
  "read_errors",
  "turns_completed",
  "process_exits",
];

export function formatChaosTable(report: ChaosReport): string {
  const cells = report.rows.map((row) => COLUMNS.map((column) => String(row[column] ?? "never")));
  const widths = COLUMNS.map((column, index) => Math.max(column.length, ...cells.map((line) => (line[index] as string).length)));
  const line = (values: string[]) => `| ${values.map((value, index) => value.padEnd(widths[index] as number)).join(" | ")} |`;
  const out = [line(COLUMNS as string[]), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...cells.map(line)];
  out.push(
    "",
    "Targets: 0 lost, 0 duplicates, 0 reordered, 0 unanswered, 0 stuck turns, recovery ≤ 10 s; 0 read errors when an instance is killed or stopped, or Redis is.",
  );
  out.push(
    "interrupted: requests whose connection closed under them (their gateway was killed); errors: answered with an error (read_errors: of read-only requests).",
  );
  for (const row of report.rows) {
    const missed = missedTargets(row);
    if (missed.length === 0 && row.findings.length === 0) continue;
    out.push(`${row.fault}:${missed.length ? ` MISSED ${missed.join(", ")}` : ""}`);
    for (const finding of row.findings) out.push(`  ${finding}`);
  }
  out.push(`${report.rows.length} phases in ${report.durationS.toFixed(0)} s`);
  return out.join("\n");
}
