// The faults, one at a time. Each injects itself, holds for a while (a killed instance stays dead
// until the fault's window ends: the survivors must carry the load), and says when it was injected
// and when the system's own fault ended (the restart of a server, the SIGCONT): recovery is
// measured from there. Killed instances are replaced only after the fault's checks.
import type { ChaosSystem, ServiceKind } from "./system.js";

export interface FaultTimes {
  injectedAtMs: number;
  /** When the fault itself ended (for a kill: the kill; the survivors must serve from then on). */
  endedAtMs: number;
}

export interface Fault {
  name: string;
  description: string;
  /**
   * Every read-only request of the phase is answered with its result: a read that a killed or stopped
   * instance had taken is asked again of the others (hedged reads), and the infrastructure stays up.
   */
  readsAnswered: boolean;
  inject(system: ChaosSystem, holdMs: number): Promise<FaultTimes>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function killOne(kind: ServiceKind): Fault {
  return {
    name: `kill-${kind}`,
    description: `kill -9 one ${kind} instance`,
    readsAnswered: true,
    async inject(system) {
      const injectedAtMs = Date.now();
      await system.kill(kind);
      return { injectedAtMs, endedAtMs: Date.now() };
    },
  };
}

export const FAULTS: readonly Fault[] = [
  killOne("gateway"),
  killOne("thread"),
  killOne("config"),
  killOne("remote-control"),
  {
    name: "restart-nats",
    description: "kill -9 nats-server, start it again on the same store",
    readsAnswered: false,
    async inject(system, holdMs) {
      const injectedAtMs = Date.now();
      await system.nats.kill();
      await sleep(holdMs);
      await system.nats.start();
      return { injectedAtMs, endedAtMs: Date.now() };
    },
  },
  {
    name: "restart-postgres",
    description: "immediate stop of Postgres (no checkpoint), start it again (crash recovery)",
    readsAnswered: false,
    async inject(system, holdMs) {
      const injectedAtMs = Date.now();
      await system.postgres.crash();
      await sleep(holdMs);
      await system.postgres.start();
      return { injectedAtMs, endedAtMs: Date.now() };
    },
  },
  {
    name: "stop-redis",
    description: "kill -9 redis-server for a while (it keeps nothing on disk), start it again empty",
    readsAnswered: true,
    async inject(system, holdMs) {
      const injectedAtMs = Date.now();
      await system.redis.kill();
      await sleep(holdMs * 2);
      await system.redis.start();
      return { injectedAtMs, endedAtMs: Date.now() };
    },
  },
  {
    name: "pause-thread",
    description: "SIGSTOP one thread instance past the keyed lane's ack_wait and the turn lease, then SIGCONT",
    readsAnswered: true,
    async inject(system) {
      const injectedAtMs = Date.now();
      const resume = system.pause("thread");
      await sleep(Math.max(system.timings.ackWaitMs, system.timings.turnLeaseMs) + 2_000);
      resume();
      return { injectedAtMs, endedAtMs: Date.now() };
    },
  },
];

export function selectFaults(names: string[] | undefined): Fault[] {
  if (!names || names.length === 0) return [...FAULTS];
  return names.map((name) => {
    const fault = FAULTS.find((candidate) => candidate.name === name);
    if (!fault) throw new Error(`unknown fault ${name}; known: ${FAULTS.map((candidate) => candidate.name).join(", ")}`);
    return fault;
  });
}
