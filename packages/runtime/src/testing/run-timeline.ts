// Test support for ordering tests: when each handler run started and finished, and questions about
// those intervals. Used by the keyed-lane unit tests and the shared-reads integration suite.
import assert from "node:assert/strict";

export interface TimedRun {
  id: string;
  startedAt: number;
  finishedAt: number;
}

/** The one run recorded for `id` (fails when it ran more or less than once). */
export function runOf<R extends TimedRun>(runs: readonly R[], id: string): R {
  const found = runs.filter((run) => run.id === id);
  assert.equal(found.length, 1, `${id} ran exactly once`);
  return found[0] as R;
}

/** The largest number of the given runs running at one instant. */
export function maxConcurrency(selected: readonly TimedRun[]): number {
  const edges = selected.flatMap((run) => [
    { at: run.startedAt, delta: 1 },
    { at: run.finishedAt, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta); // a finish before a start at the same instant
  let current = 0;
  let max = 0;
  for (const edge of edges) {
    current += edge.delta;
    max = Math.max(max, current);
  }
  return max;
}
