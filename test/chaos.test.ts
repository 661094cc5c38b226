// The chaos run, short: the same system (2 instances of every service kind
// on private NATS, Postgres and Redis), the same mixed load and every fault, with shorter windows.
// One run feeds one test per fault; each checks the promises: every acknowledged write applied
// exactly once and in per-key order, every request answered, no turn left running, no process
// exiting on its own, and the system serving again within 10 s without a restart. `pnpm chaos`
// runs the same for longer.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { FAULTS } from "./chaos/faults.js";
import { formatChaosTable } from "./chaos/report.js";
import { type ChaosReport, missedTargets, runChaos } from "./chaos/runner.js";

describe("chaos (short run)", () => {
  let report: ChaosReport;

  before(async () => {
    report = await runChaos({
      scale: { gateways: 2, threads: 2, configs: 2, remoteControls: 2 },
      timings: { ackWaitMs: 2_000, turnLeaseMs: 2_000, requestTimeoutMs: 12_000 },
      load: { writers: 6, readers: 3, turners: 2, configWriters: 1, paceMs: 40 },
      turnMs: 400,
      warmupMs: 1_000,
      holdMs: 2_000,
      observeMs: 5_000,
      log: () => {},
    });
    console.log(formatChaosTable(report));
  });

  const rowOf = (fault: string) => {
    const row = report.rows.find((candidate) => candidate.fault === fault);
    assert.ok(row, `the run has a row for ${fault}`);
    return row;
  };

  test("with no fault, every promise holds (the checks see the load)", () => {
    const row = rowOf("none");
    assert.deepEqual(missedTargets(row), [], row.findings.join("\n"));
    assert.equal(row.errors, 0, `no errors without a fault:\n${row.findings.join("\n")}`);
    assert.ok(row.turns_completed > 0, "turns ran");
  });

  for (const fault of FAULTS) {
    test(`${fault.name}: ${fault.description}`, () => {
      const row = rowOf(fault.name);
      assert.deepEqual(missedTargets(row), [], `${fault.name}:\n${row.findings.join("\n")}`);
      assert.ok(row.applied > 0, "writes were applied during the phase");
    });
  }
});
