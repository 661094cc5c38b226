-- A thread's next turn, when one is owed, kept with the thread so it survives the instance that owes
-- it. Two things owe a thread its next turn: its goal (while the goal is active, the end of a
-- completed turn, a turn its instance's shutdown ended, or a goal/set that makes the goal active) and
-- its queue of submissions (one was queued on an idle thread, or a turn that was not interrupted ended
-- with submissions waiting; migration 0033). The instance that owes it admits it at once and so clears
-- the mark; if that instance stops or dies first, the mark stays, and any instance's sweeper admits the
-- turn once the mark is older than its grace (THREAD_NEXT_TURN_GRACE_MS). Admitting any turn clears
-- the mark, and so does finding nothing to start. `next_turn_subject` is who a goal's continuation
-- runs as (the user whose config a thread without a config snapshot resolves); a queued submission
-- runs as whoever queued it.
ALTER TABLE thread.threads
  ADD COLUMN next_turn_due_at timestamptz,
  ADD COLUMN next_turn_subject text;

-- The sweep's scan spans tenants and reads only owed turns (a handful at most).
CREATE INDEX threads_next_turn_due ON thread.threads (next_turn_due_at) WHERE next_turn_due_at IS NOT NULL;
