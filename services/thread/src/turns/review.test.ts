import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseReviewOutput, REVIEW_FAILED, REVIEW_INTERRUPTED, reviewRequest, reviewText, reviewUserAction } from "./review.js";

const finding = (extra: Record<string, unknown> = {}) => ({
  title: "T",
  body: "B",
  confidence_score: 0.5,
  priority: 2,
  code_location: { absolute_file_path: "/a.ts", line_range: { start: 1, end: 3 } },
  ...extra,
});
const output = (findings: unknown[], explanation = "E", extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    findings,
    overall_correctness: "patch is correct",
    overall_explanation: explanation,
    overall_confidence_score: 1,
    ...extra,
  });

describe("review", () => {
  test("a review's prompt and label come from its target, trimmed; blank fields are refused", () => {
    assert.deepEqual(reviewRequest({ type: "custom", instructions: "  look \n" }), { prompt: "look", hint: "look" });
    assert.equal(reviewRequest({ type: "commit", sha: "0123456789", title: null }).hint, "commit 0123456");
    assert.equal(reviewRequest({ type: "commit", sha: "abc", title: " Fix " }).hint, "commit abc: Fix");
    const branch = reviewRequest({ type: "baseBranch", branch: " main " });
    assert.equal(branch.hint, "changes against 'main'");
    assert.match(branch.prompt, /merge base of the current branch and main/);
    for (const [target, field] of [
      [{ type: "custom", instructions: "\t" }, "instructions"],
      [{ type: "commit", sha: "" }, "sha"],
      [{ type: "baseBranch", branch: " " }, "branch"],
    ] as const) {
      assert.throws(() => reviewRequest(target), { message: `${field} must not be empty` });
    }
  });

  test("only a complete review output counts as findings", () => {
    assert.equal(parseReviewOutput(output([finding()]))?.findings[0]?.location, "/a.ts:1-3");
    assert.ok(parseReviewOutput(output([finding({ priority: null })])));
    assert.equal(parseReviewOutput("not json"), undefined);
    assert.equal(parseReviewOutput(output([], "E", { overall_confidence_score: "high" })), undefined);
    assert.equal(parseReviewOutput(output([finding({ code_location: { absolute_file_path: "/a.ts" } })])), undefined);
    assert.equal(parseReviewOutput(output([finding({ confidence_score: undefined })])), undefined);
    assert.equal(
      parseReviewOutput(output([finding({ code_location: { absolute_file_path: "/a", line_range: { start: -1, end: 2 } } })])),
      undefined,
    );
  });

  test("the review's text, its message and the history's results", () => {
    assert.deepEqual(reviewText(undefined), { review: REVIEW_FAILED, message: REVIEW_INTERRUPTED });
    assert.deepEqual(reviewText(""), { review: REVIEW_FAILED, message: REVIEW_INTERRUPTED });
    assert.deepEqual(reviewText("prose"), { review: "prose", message: "prose", results: "prose" });
    assert.deepEqual(reviewText(output([], "  ")), { review: REVIEW_FAILED, message: REVIEW_FAILED, results: "" });
    const one = reviewText(output([finding({ body: "line 1\nline 2" })], ""));
    assert.equal(one.review, "Review comment:\n\n- T — /a.ts:1-3\n  line 1\n  line 2");
    assert.equal(one.results, `\n\n${one.review}`);
    const two = reviewText(output([finding(), finding({ title: "U" })], "Why."));
    assert.equal(two.message, "Why.\n\nFull review comments:\n\n- T — /a.ts:1-3\n  B\n\n- U — /a.ts:1-3\n  B");
    assert.equal(two.results, two.message);
  });

  test("the history's user action says the review was interrupted when it has no results", () => {
    const text = (results: string | undefined) =>
      (reviewUserAction(results).content as { text: string }[]).map((part) => part.text).join("");
    assert.match(text(undefined), /but was interrupted[\s\S]*<results>\n {2}None\.\n {2}<\/results>/);
    assert.match(text("R"), /full review output[\s\S]*<results>\n {2}R\n {2}<\/results>/);
  });
});
