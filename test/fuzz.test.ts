// The gateway under a bounded fuzz (test/fuzz): ~12k hostile frames in at most 35 s against the whole
// system (gateway, thread, config and remote-control services, the scripted model provider) with auth
// enforced, while a well-behaved connection keeps working.
// One run feeds every test below; each test is one part of the contract for bad input. `pnpm fuzz`
// runs the same for longer. FUZZ_SEED picks another deterministic frame sequence.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { methodRegistry, notificationRegistry } from "@switchyard/protocol";
import type { FrameClass, Rule } from "./fuzz/frames.js";
import { type FuzzReport, formatReport, ruleOf } from "./fuzz/report.js";
import { runFuzz, suiteOptions } from "./fuzz/runner.js";

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

describe("gateway fuzzing (bounded)", () => {
  let report: FuzzReport;

  before(async () => {
    report = await runFuzz(suiteOptions(seed === undefined ? {} : { seed }));
    console.log(formatReport(report));
  });

  /** The rule held, and was checked at least `minChecked` times (a run cut short proves nothing). */
  function assertRule(rule: Rule, minChecked = 1, onlyClasses?: FrameClass[]): void {
    const result = ruleOf(report, rule);
    const violations = onlyClasses
      ? onlyClasses.reduce((sum, frameClass) => sum + (result.byClass[frameClass] ?? 0), 0)
      : result.violations;
    const samples = result.samples
      .filter((sample) => !onlyClasses || (sample.frameClass !== undefined && onlyClasses.includes(sample.frameClass)))
      .map((sample) => `  - ${sample.detail}`)
      .join("\n");
    assert.equal(violations, 0, `${result.description}: ${violations} violations, e.g.\n${samples}`);
    assert.ok(result.checked >= minChecked, `${result.description}: checked only ${result.checked} times (want ≥ ${minChecked})`);
  }

  /** Frames of these classes got answers; the run was not cut short before them. */
  function assertSent(frameClass: FrameClass, minimum: number): void {
    const row = report.classes.find((candidate) => candidate.frameClass === frameClass);
    assert.ok((row?.sent ?? 0) >= minimum, `only ${row?.sent ?? 0} ${frameClass} frames were sent (want ≥ ${minimum})`);
  }

  test("no gateway, thread, config or remote-control process exits during the run", () => {
    assert.equal(report.abortedBecause, undefined, `the flood was cut short: ${report.abortedBecause}`);
    assertRule("processExit");
    assert.ok(report.framesSent >= 5_000, `a few thousand frames were sent (${report.framesSent})`);
  });

  test("text that is not JSON or not JSON-RPC gets no reply, and its connection stays open", () => {
    assertRule("silentText", 500);
    assertRule("unsolicitedReply", 0);
    assertRule("connectionSurvives", 0, ["random-text", "random-bytes", "bad-id", "bad-method"]);
  });

  test("binary frames get no reply, and their connection stays open", () => {
    assertRule("binary", 100);
    assertRule("connectionSurvives", 0, ["binary"]);
  });

  test("invalid UTF-8 closes at most its own connection, with 1007", () => {
    assertSent("invalid-utf8", 5);
    assertRule("invalidUtf8", 5);
  });

  test("a frame over the hard frame cap closes its connection with 1009", () => {
    assertRule("overCap", 1);
  });

  test("every well-formed request gets exactly one reply within the deadline", () => {
    assertRule("exactlyOneReply", 1_000);
  });

  test("connections stay open (and answer) unless closed per the rules", () => {
    assertRule("connectionSurvives");
  });

  test("-32001 is only for pipelined floods", () => {
    assertSent("flood", 200);
    assertRule("overloadedOnlyInFloods", 1_000);
  });

  test("no -32603 for deep, oversized, NUL or wrong-type input", () => {
    assertRule("noInternalForBadInput", 500);
  });

  test("nesting deeper than 128 levels is -32600 nestingTooDeep with maxDepth 128", () => {
    assertSent("deep", 20);
    assertRule("nestingTooDeep", 20);
  });

  test("100 levels inside params is not rejected for depth", () => {
    assertRule("shallowNestingAccepted", 20);
  });

  test("requests over the request limit are -32600 requestTooLarge with limitBytes", () => {
    assertSent("oversized", 10);
    assertRule("requestTooLarge", 5);
  });

  test("strings with NUL are -32600 Invalid request, answered promptly", () => {
    assertRule("nul", 100);
  });

  test("wrong types are -32600 Invalid request", () => {
    assertRule("wrongType", 300);
  });

  test("unknown methods are -32600", () => {
    assertRule("badMethod", 50);
  });

  test("every registered method was fuzzed with wrong types and answered -32600", () => {
    const fuzzed = report.coverage.families.reduce((sum, row) => sum + row.fuzzed, 0);
    const registered = report.coverage.families.reduce((sum, row) => sum + row.registered, 0);
    // Against the registry itself: a method added without coverage fails here.
    assert.equal(registered, methodRegistry.size, "the coverage table counts every registered method");
    assert.deepEqual(report.coverage.methodsNotFuzzed, [], `methods never answered -32600 for a wrong type`);
    assert.equal(fuzzed, methodRegistry.size);
  });

  test("client notifications (initialized, server notification names, method names, unknown) get no reply", () => {
    assertSent("notification", 200);
    assertRule("clientNotification", 200);
    const byKind = Object.fromEntries(report.coverage.notifications.map((row) => [row.kind, row]));
    assert.ok((byKind.initialized?.frames ?? 0) >= 10, "initialized was fuzzed");
    assert.equal(byKind["server notification"]?.names, notificationRegistry.size);
    assert.ok(
      (byKind["server notification"]?.namesSent ?? 0) >= notificationRegistry.size / 2,
      `server notification names sent by a client: ${byKind["server notification"]?.namesSent} of ${notificationRegistry.size}`,
    );
  });

  test("answers to item/tool/call (wrong-typed, malformed, unknown ids, duplicates) get no reply and the turn completes", () => {
    assertSent("server-response", 50);
    assertRule("serverResponse", 20);
  });

  test("the history a turn sends the model keeps the thread's order", () => {
    assertRule("modelHistory", 20);
  });

  test("error messages are bounded and copy no long run of a big param", () => {
    assertRule("boundedEcho", 1_000);
  });

  test("the well-behaved connection's requests all succeed throughout", () => {
    assertRule("canary", 50);
  });

  test("thread/name/set on other keys is not delayed by the flood: p99 under 2000 ms", () => {
    assertRule("canaryLatency");
  });

  test("half-open sockets and a non-reading websocket do not stop the gateway serving others", () => {
    assertRule("halfOpen", 2);
  });

  test("malformed Authorization headers are refused, never upgraded, never 5xx", () => {
    assertRule("auth", 50);
  });
});
