import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type PlanSegment, ProposedPlanSplitter, splitProposedPlan } from "./proposed-plan.js";

const TEXT = "Here is what I propose.\n<proposed_plan>\n# Plan\n- step one\n- step two\n</proposed_plan>\nTell me if it suits.";

/** The segments of a text fed in pieces of `size` characters, merged where consecutive. */
function streamed(text: string, size: number): PlanSegment[] {
  const splitter = new ProposedPlanSplitter();
  const segments: PlanSegment[] = [];
  for (let at = 0; at < text.length; at += size) segments.push(...splitter.push(text.slice(at, at + size)));
  segments.push(...splitter.finish());
  const merged: PlanSegment[] = [];
  for (const segment of segments) {
    const last = merged.at(-1);
    if (last && "text" in last && "text" in segment && last.kind === segment.kind) last.text += segment.text;
    else merged.push({ ...segment });
  }
  return merged;
}

describe("proposed plans", () => {
  test("the block becomes a plan, its tag lines go, the message keeps the text around it (as the binary)", () => {
    assert.deepEqual(splitProposedPlan(TEXT), {
      message: "Here is what I propose.\nTell me if it suits.",
      plan: "# Plan\n- step one\n- step two\n",
    });
  });

  test("streamed in pieces of any size, the same segments in the same order", () => {
    const expected: PlanSegment[] = [
      { kind: "message", text: "Here is what I propose.\n" },
      { kind: "planStart" },
      { kind: "plan", text: "# Plan\n- step one\n- step two\n" },
      { kind: "planEnd" },
      { kind: "message", text: "Tell me if it suits." },
    ];
    for (const size of [1, 2, 3, 5, 7, 13, 200]) assert.deepEqual(streamed(TEXT, size), expected, `pieces of ${size}`);
  });

  test("text that only looks like a tag stays text; a tag without a line break at the end still counts", () => {
    assert.deepEqual(splitProposedPlan("a <proposed_plan> inline\n<proposed_planX\nend"), {
      message: "a <proposed_plan> inline\n<proposed_planX\nend",
      plan: null,
    });
    assert.deepEqual(splitProposedPlan("<proposed_plan>\nstep\n</proposed_plan>"), { message: "", plan: "step\n" });
    // An unclosed plan ends with the text.
    assert.deepEqual(splitProposedPlan("intro\n<proposed_plan>\nstep"), { message: "intro\n", plan: "step" });
  });
});
