// A thread's goal drives turns, as in Codex 0.171.0 (goals are stable and on by default there):
// while the goal is active, every turn that completes is accounted to it (its tokens and time), and
// an idle thread with an active goal takes another turn on its own, a continuation, whose model input
// ends with a reminder of the objective and the budget. Continuations stop when the goal is no
// longer active: the model marks it complete, blocked or paused (the `update_goal` tool), a client
// pauses or clears it, or its token budget is spent (`budgetLimited`); and when a turn fails or is
// interrupted (the goal stays active; the next turn or a goal/set resumes it).
import type { ThreadGoal } from "@switchyard/protocol";
import type { ResponsesFunctionTool } from "../provider/request-body.js";
import type { TurnItem } from "./turn-store.js";

/** The function the model calls to end (or pause) the goal it works toward. */
export const UPDATE_GOAL_TOOL_NAME = "update_goal";

/** The statuses the model may set; the rest are the client's or the budget's to set. */
const MODEL_GOAL_STATUSES = ["complete", "blocked", "paused"] as const;
type ModelGoalStatus = (typeof MODEL_GOAL_STATUSES)[number];

export const UPDATE_GOAL_TOOL: ResponsesFunctionTool = {
  type: "function",
  name: UPDATE_GOAL_TOOL_NAME,
  description:
    "Changes the status of this thread's goal. Use `complete` only once current evidence shows every requirement of the " +
    "objective is met; `blocked` only when the same blocker has stopped progress for several goal turns in a row and " +
    "needs the user; `paused` only when the user asked to pause. Returns the goal as stored.",
  parameters: {
    type: "object",
    properties: { status: { type: "string", enum: [...MODEL_GOAL_STATUSES] } },
    required: ["status"],
    additionalProperties: false,
  },
  strict: false,
};

/** The status an `update_goal` call asks for, or an explanation for the model of what is wrong. */
export function requestedGoalStatus(args: unknown): { status: ModelGoalStatus } | { error: string } {
  const status = (args as { status?: unknown } | null)?.status;
  if (typeof status === "string" && (MODEL_GOAL_STATUSES as readonly string[]).includes(status)) {
    return { status: status as ModelGoalStatus };
  }
  return { error: `update_goal takes {"status": one of ${MODEL_GOAL_STATUSES.join(", ")}}; got ${JSON.stringify(args)}` };
}

/**
 * The goal after a completed turn that worked toward it: its tokens and whole seconds added, and
 * `budgetLimited` once the usage reaches the budget (an active goal only: one the model just marked
 * complete keeps that status, with the usage that got it there).
 */
export function accountedGoal(goal: ThreadGoal, turn: { tokens: number; durationMs: number }, nowSeconds: number): ThreadGoal {
  const tokensUsed = goal.tokensUsed + Math.max(0, Math.round(turn.tokens));
  const isSpent = goal.status === "active" && goal.tokenBudget !== null && tokensUsed >= goal.tokenBudget;
  return goalInOrder({
    ...goal,
    tokensUsed,
    timeUsedSeconds: goal.timeUsedSeconds + Math.max(0, Math.floor(turn.durationMs / 1000)),
    status: isSpent ? "budgetLimited" : goal.status,
    updatedAt: nowSeconds,
  });
}

/** A goal with its fields in the order Codex sends them (a stored goal comes back in jsonb's order). */
export function goalInOrder(goal: ThreadGoal): ThreadGoal {
  const { threadId, objective, status, tokenBudget, tokensUsed, timeUsedSeconds, createdAt, updatedAt } = goal;
  return { threadId, objective, status, tokenBudget, tokensUsed, timeUsedSeconds, createdAt, updatedAt };
}

/**
 * The model-only message a continuation turn starts with (kept in the thread's history, never shown
 * to clients, as Codex keeps its own): the objective, the budget, and how to finish.
 */
export function goalContinuationItem(goal: ThreadGoal): TurnItem {
  const budget =
    goal.tokenBudget === null
      ? `- Tokens used so far: ${goal.tokensUsed} (no token budget)`
      : `- Tokens used so far: ${goal.tokensUsed} of a budget of ${goal.tokenBudget} (${Math.max(0, goal.tokenBudget - goal.tokensUsed)} left)`;
  const text = [
    '<codex_internal_context source="goal">',
    "Keep working toward this thread's goal. No user sent this message: the goal is still active, so this turn continues it.",
    "",
    "Objective:",
    goal.objective,
    "",
    "Budget:",
    budget,
    "",
    "Make real progress toward the whole objective; do not narrow it to what fits in one turn. Check the current state " +
      "before relying on what earlier turns said. When every requirement is met and you can show it, call update_goal " +
      'with status "complete". Call it with "blocked" only after the same blocker has stopped you for several goal turns ' +
      'in a row, and with "paused" only when the user asks for a pause.',
    "</codex_internal_context>",
  ].join("\n");
  return { item: null, responseItem: { type: "message", role: "user", content: [{ type: "input_text", text }] } };
}
