import assert from "node:assert/strict";
import { test } from "node:test";
import type { ThreadGoal } from "@switchyard/protocol";
import {
  accountedGoal,
  GOAL_TOOL_REFUSALS,
  goalContinuationItem,
  goalTokens,
  goalToolAnswer,
  requestedGoal,
  requestedGoalStatus,
} from "./goal-turns.js";

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

test("progress counts toward an active or budget-limited goal; reaching the budget limits an active one", () => {
  assert.deepEqual(
    accountedGoal(goal(), { tokens: 30, seconds: 2 }, 9),
    goal({ tokensUsed: 70, timeUsedSeconds: 5, updatedAt: 9 }),
  );
  assert.equal(accountedGoal(goal(), { tokens: 60, seconds: 0 }, 9)?.status, "budgetLimited");
  assert.equal(accountedGoal(goal({ tokenBudget: null }), { tokens: 10_000, seconds: 0 }, 9)?.status, "active");
  // The turn that spent the budget goes on counting.
  assert.deepEqual(
    accountedGoal(goal({ status: "budgetLimited", tokensUsed: 120 }), { tokens: 10, seconds: 0 }, 9),
    goal({ status: "budgetLimited", tokensUsed: 130, updatedAt: 9 }),
  );
  // A goal the model completed, paused or blocked counts nothing more; nor does nothing spent.
  for (const status of ["complete", "paused", "blocked"] as const) {
    assert.equal(accountedGoal(goal({ status }), { tokens: 90, seconds: 4 }, 9), undefined, status);
  }
  assert.equal(accountedGoal(goal(), { tokens: 0, seconds: 4 }, 9), undefined);
});

test("a call's tokens toward a goal: input not served from cache, and output", () => {
  assert.equal(goalTokens({ inputTokens: 100, cachedInputTokens: 30, outputTokens: 12 }), 82);
  assert.equal(goalTokens({ inputTokens: 10, cachedInputTokens: 30, outputTokens: 5 }), 5);
});

test("update_goal's arguments are read, and refused, as Codex 0.171.0 answers the model (probed)", () => {
  assert.deepEqual(requestedGoalStatus('{"status":"complete"}'), { status: "complete" });
  assert.deepEqual(requestedGoalStatus('{"status":"complete","extra":1}'), { status: "complete" });
  assert.deepEqual(requestedGoalStatus('{"status":"paused"}'), { status: "paused" });
  const refused = (raw: string) => (requestedGoalStatus(raw) as { error: string }).error;
  assert.equal(refused('{"status":"active"}'), GOAL_TOOL_REFUSALS.statusNotTheModels);
  assert.equal(refused('{"status":"budgetLimited"}'), GOAL_TOOL_REFUSALS.statusNotTheModels);
  assert.equal(refused('{"nonsense":1}'), "missing field `status` at line 1 column 14");
  assert.equal(refused('{"status":true}'), "expected value at line 1 column 11");
  assert.equal(refused('{"status":5}'), "expected value at line 1 column 11");
  assert.equal(
    refused('{"status":"done"}'),
    "unknown variant `done`, expected one of `active`, `paused`, `blocked`, `usageLimited`, `budgetLimited`, `complete` at line 1 column 16",
  );
  assert.equal(refused("[]"), "invalid length 0, expected struct UpdateGoalArgs with 1 element at line 1 column 2");
});

test("create_goal's arguments are checked in Codex 0.171.0's order and words (probed)", () => {
  assert.deepEqual(requestedGoal('{"objective":" made by the model ","token_budget":500}'), {
    objective: "made by the model",
    tokenBudget: 500,
  });
  assert.deepEqual(requestedGoal('{"objective":"x"}'), { objective: "x", tokenBudget: null });
  const refused = (raw: string) => (requestedGoal(raw) as { error: string }).error;
  assert.equal(refused("{}"), "missing field `objective` at line 1 column 2");
  assert.equal(refused('{"objective":"  "}'), GOAL_TOOL_REFUSALS.emptyObjective);
  assert.equal(refused('{"objective":"x","token_budget":0}'), GOAL_TOOL_REFUSALS.budgetNotPositive);
  assert.equal(refused('{"objective":"x","token_budget":"7"}'), 'invalid type: string "7", expected i64 at line 1 column 35');
});

test("a goal tool's answer: the goal (no tokenBudget without one), the budget left, a report once completed", () => {
  assert.deepEqual(JSON.parse(goalToolAnswer(null)), { goal: null, remainingTokens: null, completionBudgetReport: null });
  const paused = JSON.parse(goalToolAnswer(goal({ status: "paused" })));
  assert.equal(paused.remainingTokens, 60);
  assert.equal(paused.completionBudgetReport, null);
  assert.deepEqual(Object.keys(paused.goal), [
    "threadId",
    "objective",
    "status",
    "tokenBudget",
    "tokensUsed",
    "timeUsedSeconds",
    "createdAt",
    "updatedAt",
  ]);
  const done = JSON.parse(goalToolAnswer(goal({ status: "complete" }), { justCompleted: true }));
  assert.equal(typeof done.completionBudgetReport, "string");
  const unbudgeted = JSON.parse(
    goalToolAnswer(goal({ status: "complete", tokenBudget: null, timeUsedSeconds: 0 }), { justCompleted: true }),
  );
  assert.equal("tokenBudget" in unbudgeted.goal, false);
  assert.equal(unbudgeted.remainingTokens, null);
  assert.equal(unbudgeted.completionBudgetReport, null, "nothing to report: no budget, no time");
});

test("a continuation reminds the model of the objective and the budget left, model-only", () => {
  const item = goalContinuationItem(goal());
  assert.equal(item.item, null);
  const text = JSON.stringify(item.responseItem);
  assert.match(text, /ship it/);
  assert.match(text, /40 of a budget of 100 \(60 left\)/);
  assert.match(JSON.stringify(goalContinuationItem(goal({ tokenBudget: null })).responseItem), /no token budget/);
});
