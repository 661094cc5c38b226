import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { closePendingCalls, sampleFailureMessage } from "./sample-handlers.js";

describe("thread/sample", () => {
  test("a response's own failure in Codex's words", () => {
    assert.equal(sampleFailureMessage({ kind: "failed", code: null, message: "boom" }), "sample failed: retryable error: boom");
    assert.equal(sampleFailureMessage({ kind: "failed", code: "slow_down", message: "x" }), "sample failed: server overloaded");
    assert.equal(
      sampleFailureMessage({ kind: "incomplete", reason: "max_output_tokens" }),
      "sample failed: Incomplete response returned, reason: max_output_tokens",
    );
    assert.equal(sampleFailureMessage({ kind: "failed", code: "invalid_prompt", message: "bad" }), "sample failed: bad");
  });

  test("a mid-turn copy answers the tool calls that have no output yet, and only those", () => {
    const history = [
      { type: "message", role: "user", content: [] },
      { type: "function_call", call_id: "done", name: "a", arguments: "{}" },
      { type: "function_call_output", call_id: "done", output: "ok" },
      { type: "function_call", call_id: "pending", name: "b", arguments: "{}" },
      { type: "custom_tool_call", call_id: "custom", name: "c", input: "" },
    ];
    assert.deepEqual(closePendingCalls(history), [
      ...history.slice(0, 4),
      { type: "function_call_output", call_id: "pending", output: "aborted" },
      history[4],
      { type: "custom_tool_call_output", call_id: "custom", output: "aborted" },
    ]);
  });
});
