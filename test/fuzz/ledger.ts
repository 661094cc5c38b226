// The fuzz run's bookkeeping: frames sent and their outcomes per class, how many frames each rule
// of the contract was checked against, and every violation (counted in full, a few kept as samples).
import type { FrameClass, Rule } from "./frames.js";

export interface Violation {
  rule: Rule;
  frameClass: FrameClass | undefined;
  detail: string;
}

export interface ClassTally {
  sent: number;
  outcomes: Map<string, number>;
}

const SAMPLES_PER_RULE = 8;

export class FuzzLedger {
  readonly classes = new Map<FrameClass, ClassTally>();
  private readonly checks = new Map<Rule, number>();
  private readonly violationCounts = new Map<string, number>();
  private readonly samples = new Map<Rule, Violation[]>();
  /** The first few -32603 answers per class, violations or not (the report lists them). */
  readonly internalErrors = new Map<FrameClass, string[]>();
  /** Wrong-type frames sent per method. */
  readonly wrongTypeSent = new Map<string, number>();
  /** Per method, the params paths whose rejected wrong-type case was answered -32600 as required. */
  readonly wrongTypeCovered = new Map<string, Set<string>>();
  /** Per method, answers to wrong-typed params the schema takes (outcome label → count). */
  readonly acceptedOutcomes = new Map<string, Map<string, number>>();
  /** Client notifications sent, by name, and by kind (initialized, server-notification name, …). */
  readonly notificationsSent = new Map<string, number>();
  readonly notificationKinds = new Map<string, number>();
  /** Server-request answers sent, by variant, and the rounds' results. */
  readonly serverResponses = new Map<string, number>();
  readonly serverRequestRounds = new Map<string, number>();
  /** Requests answered -32001 rateLimited (the fuzz tenant's floods reach its rate limit), per class. */
  readonly rateLimited = new Map<string, number>();

  count(map: Map<string, number>, key: string, by = 1): void {
    map.set(key, (map.get(key) ?? 0) + by);
  }

  wrongTypeAnswered(method: string, where: string, rejected: boolean, outcome: string, ok: boolean): void {
    if (rejected) {
      if (!ok) return;
      let paths = this.wrongTypeCovered.get(method);
      if (!paths) {
        paths = new Set();
        this.wrongTypeCovered.set(method, paths);
      }
      paths.add(where);
      return;
    }
    let outcomes = this.acceptedOutcomes.get(method);
    if (!outcomes) {
      outcomes = new Map();
      this.acceptedOutcomes.set(method, outcomes);
    }
    this.count(outcomes, outcome);
  }

  private tally(frameClass: FrameClass): ClassTally {
    let tally = this.classes.get(frameClass);
    if (!tally) {
      tally = { sent: 0, outcomes: new Map() };
      this.classes.set(frameClass, tally);
    }
    return tally;
  }

  sent(frameClass: FrameClass, count = 1): void {
    this.tally(frameClass).sent += count;
  }

  outcome(frameClass: FrameClass, label: string): void {
    const outcomes = this.tally(frameClass).outcomes;
    outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
  }

  internalError(frameClass: FrameClass, detail: string): void {
    const kept = this.internalErrors.get(frameClass) ?? [];
    if (kept.length < 3) kept.push(detail.slice(0, 300));
    this.internalErrors.set(frameClass, kept);
  }

  checked(rule: Rule, count = 1): void {
    this.checks.set(rule, (this.checks.get(rule) ?? 0) + count);
  }

  violation(rule: Rule, frameClass: FrameClass | undefined, detail: string): void {
    const key = `${rule}|${frameClass ?? ""}`;
    this.violationCounts.set(key, (this.violationCounts.get(key) ?? 0) + 1);
    const kept = this.samples.get(rule) ?? [];
    if (kept.length < SAMPLES_PER_RULE) kept.push({ rule, frameClass, detail: detail.slice(0, 600) });
    this.samples.set(rule, kept);
  }

  get framesSent(): number {
    let total = 0;
    for (const tally of this.classes.values()) total += tally.sent;
    return total;
  }

  checkedCount(rule: Rule): number {
    return this.checks.get(rule) ?? 0;
  }

  violationCount(rule: Rule, frameClass?: FrameClass): number {
    let total = 0;
    for (const [key, count] of this.violationCounts) {
      const [keyRule, keyClass] = key.split("|");
      if (keyRule === rule && (frameClass === undefined || keyClass === frameClass)) total += count;
    }
    return total;
  }

  /** Violation counts per frame class for one rule ("-" for violations not tied to a class). */
  violationsByClass(rule: Rule): Record<string, number> {
    const byClass: Record<string, number> = {};
    for (const [key, count] of this.violationCounts) {
      const [keyRule, keyClass] = key.split("|");
      if (keyRule === rule) byClass[keyClass || "-"] = (byClass[keyClass || "-"] ?? 0) + count;
    }
    return byClass;
  }

  samplesOf(rule: Rule): Violation[] {
    return this.samples.get(rule) ?? [];
  }
}
