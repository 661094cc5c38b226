// Failpoints: named places in a service where a test can make the process die at once, as a
// crash or a kill would, to check what the rest of the system does about work left half done (a
// thread committed but not yet announced, say). Armed only by `SWITCHYARD_FAILPOINTS` (a
// comma-separated list of names, read with the common environment at start-up); with nothing
// armed a failpoint is one check of an empty set. An armed process logs that it is, loudly: it is
// never meant to run in production.
import type { Logger } from "./logger.js";

/** The places a test can arm, each where a crash leaves work half done. */
export const FAILPOINTS = {
  /** thread/start: the thread and its snapshot are committed; `thread/started` is not yet published. */
  threadStartCommitted: "thread.start.committed",
} as const;

export type FailpointName = (typeof FAILPOINTS)[keyof typeof FAILPOINTS];

const armed = new Set<string>();

/** Arms the named failpoints of this process (unknown names are refused, so a typo does not pass silently). */
export function armFailpoints(names: readonly string[], log: Logger): void {
  const known = new Set<string>(Object.values(FAILPOINTS));
  for (const name of names) {
    if (!known.has(name)) throw new Error(`SWITCHYARD_FAILPOINTS: unknown failpoint ${JSON.stringify(name)}`);
    armed.add(name);
  }
  if (armed.size > 0)
    log.warn({ failpoints: [...armed] }, "failpoints armed: this process will kill itself at them (tests only)");
}

/** Dies here, at once and without cleaning up (SIGKILL), when this failpoint is armed. */
export function failpoint(name: FailpointName): void {
  if (armed.size === 0 || !armed.has(name)) return;
  process.kill(process.pid, "SIGKILL");
}
