// CPU time per process over a measured window, read from /proc/<pid>/stat (utime + stime), so a
// result can say where the time per request went: load generator, gateway, service, nats-server
// (shared with anything else running on the machine), and the Postgres backends of the bench's database.
// Also a process's resident memory (/proc/<pid>/status), for the memory rows.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type pg from "pg";

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** VmRSS and VmHWM (its peak) of a process, in kB; NaN once it is gone. */
export function processMemoryKb(pid: number): { rssKb: number; peakKb: number } {
  let status = "";
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    // exited
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssKb: field("VmRSS"), peakKb: field("VmHWM") };
}

/** CPU milliseconds a process has used so far, or undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces; fields after it are space-separated from `state` (field 3).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

export function findProcessIds(command: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === command) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

export interface CpuSource {
  name: string;
  processIds(): Promise<number[]>;
}

export const fixedProcesses = (name: string, pids: (number | undefined)[]): CpuSource => ({
  name,
  processIds: async () => pids.filter((pid): pid is number => pid !== undefined),
});

/** Every Postgres backend connected to the pool's database (the bench's own database). */
export const postgresBackends = (pool: pg.Pool): CpuSource => ({
  name: "postgres",
  processIds: async () => {
    const result = await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
    return result.rows.map((row) => row.pid);
  },
});

export type CpuSnapshot = Map<string, Map<number, number>>;

export async function sampleCpu(sources: CpuSource[]): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = new Map();
  for (const source of sources) {
    const perProcess = new Map<number, number>();
    for (const pid of await source.processIds()) {
      const cpuMs = processCpuMs(pid);
      if (cpuMs !== undefined) perProcess.set(pid, cpuMs);
    }
    snapshot.set(source.name, perProcess);
  }
  return snapshot;
}

/** CPU ms each source used between two snapshots (a process that appeared in between counts from 0). */
export function cpuSpentMs(start: CpuSnapshot, end: CpuSnapshot): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [name, endValues] of end) {
    const startValues = start.get(name) ?? new Map<number, number>();
    let total = 0;
    for (const [pid, cpuMs] of endValues) total += cpuMs - (startValues.get(pid) ?? 0);
    spent[name] = total;
  }
  return spent;
}
