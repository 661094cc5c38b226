-- A goal continuation that is owed, kept with the thread so it survives the instance that owes it.
-- While a thread's goal is active, the end of a completed turn (and a goal/set that makes the goal
-- active) owes the thread another turn. The instance that ran the turn normally admits it within
-- milliseconds; if that instance stops or dies first, the mark stays, and any instance's goal
-- sweeper admits the continuation once the mark is older than its grace
-- (THREAD_GOAL_CONTINUATION_GRACE_MS). Admitting any turn clears the mark (an interrupted or failed
-- turn then leaves none: the goal stays active, idle, as in Codex), and so does finding nothing to
-- continue. `goal_continuation_subject` is who the continuation runs as (the user whose config a
-- thread without a config snapshot resolves).
ALTER TABLE thread.threads
  ADD COLUMN goal_continuation_due_at timestamptz,
  ADD COLUMN goal_continuation_subject text;

-- The sweep's scan spans tenants and reads only owed continuations (a handful at most).
CREATE INDEX threads_goal_continuation_due ON thread.threads (goal_continuation_due_at)
  WHERE goal_continuation_due_at IS NOT NULL;
