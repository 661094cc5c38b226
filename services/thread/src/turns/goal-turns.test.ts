import assert from "node:assert/strict";
import { test } from "node:test";
import type { ThreadGoal } from "@switchyard/protocol";
import { accountedGoal, goalContinuationItem, requestedGoalStatus } from "./goal-turns.js";

const goal = (overrides: Partial<ThreadGoal> = {}): ThreadGoal => ({
  threadId: "t",
  objective: "ship it",
  status: "active",
  tokenBudget: 100,
  tokensUsed: 40,
  timeUsedSeconds: 3,
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

test("a turn's tokens and whole seconds are added; reaching the budget limits an active goal", () => {
  assert.deepEqual(
    accountedGoal(goal(), { tokens: 30, durationMs: 2_900 }, 9),
    goal({ tokensUsed: 70, timeUsedSeconds: 5, updatedAt: 9 }),
  );
  assert.equal(accountedGoal(goal(), { tokens: 60, durationMs: 0 }, 9).status, "budgetLimited");
  assert.equal(accountedGoal(goal({ tokenBudget: null }), { tokens: 10_000, durationMs: 0 }, 9).status, "active");
  // A goal the model just completed keeps its status, with the usage that got it there.
  assert.deepEqual(
    accountedGoal(goal({ status: "complete" }), { tokens: 90, durationMs: 0 }, 9),
    goal({ status: "complete", tokensUsed: 130, updatedAt: 9 }),
  );
});

test("update_goal takes complete, blocked or paused only", () => {
  assert.deepEqual(requestedGoalStatus({ status: "complete" }), { status: "complete" });
  assert.deepEqual(requestedGoalStatus({ status: "paused" }), { status: "paused" });
  for (const args of [{ status: "active" }, { status: "budgetLimited" }, {}, "complete", null]) {
    assert.ok("error" in requestedGoalStatus(args), JSON.stringify(args));
  }
});

test("a continuation reminds the model of the objective and the budget left, model-only", () => {
  const item = goalContinuationItem(goal());
  assert.equal(item.item, null);
  const text = JSON.stringify(item.responseItem);
  assert.match(text, /ship it/);
  assert.match(text, /40 of a budget of 100 \(60 left\)/);
  assert.match(JSON.stringify(goalContinuationItem(goal({ tokenBudget: null })).responseItem), /no token budget/);
});
