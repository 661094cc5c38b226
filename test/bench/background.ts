// Background CPU: what the machine's CPUs did during a measured pass besides the bench's own
// processes (load generator, gateways, services, floors, nats-server, redis-server, the bench
// database's Postgres backends). On a shared 2-core machine another user's compiler or test run
// slows both sides, but not alike (the side with more hops or CPU per request suffers more), so a
// round measured under heavy background load is run again and the quietest rounds scored (main.ts).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { type CpuSnapshot, type CpuSource, cpuSpentMs, sampleCpu } from "./cpu.js";

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy CPU milliseconds of the whole machine so far (all CPUs: user, nice, system, irq, softirq, steal). */
function machineBusyMs(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] as string;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((total, value) => total + (value ?? 0), 0);
    return (ticks * 1000) / clockTicksPerSecond;
  } catch {
    return Number.NaN;
  }
}

export interface BackgroundSample {
  at: number;
  machineBusyMs: number;
  bench: CpuSnapshot;
}

export async function sampleBackground(benchSources: CpuSource[]): Promise<BackgroundSample> {
  const bench = await sampleCpu(benchSources);
  return { at: performance.now(), machineBusyMs: machineBusyMs(), bench };
}

/** CPU the machine spent outside the bench's processes between two samples, in % of one core (NaN if unknown). */
export function backgroundCpuPercent(start: BackgroundSample, end: BackgroundSample): number {
  const elapsedMs = end.at - start.at;
  if (!(elapsedMs > 0)) return Number.NaN;
  const benchMs = Object.values(cpuSpentMs(start.bench, end.bench)).reduce((total, value) => total + value, 0);
  return Math.max(0, ((end.machineBusyMs - start.machineBusyMs - benchMs) / elapsedMs) * 100);
}
