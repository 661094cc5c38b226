-- Out-of-band elicitations (thread/increment_elicitation, thread/decrement_elicitation, as Codex 0.171.0
-- counts them): while a loaded thread's count is above zero, its waits for a client (a dynamic tool
-- call's answer) are paused. The count belongs to the thread's loaded session, as in Codex: it counts
-- only while `elicitation_epoch` is the thread's `loaded_at` (a thread unloaded and loaded again
-- starts from zero). `elicitation_paused_ms` is a clock of the time the thread has spent paused
-- (it only grows; the current pause, since `elicitation_paused_at`, is added when it ends), so a wait
-- can tell how long it was paused however many pauses it saw.
ALTER TABLE thread.threads
  ADD COLUMN elicitation_count     integer     NOT NULL DEFAULT 0,
  ADD COLUMN elicitation_epoch     timestamptz,
  ADD COLUMN elicitation_paused_at timestamptz,
  ADD COLUMN elicitation_paused_ms bigint      NOT NULL DEFAULT 0;
