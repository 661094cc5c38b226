-- Whether a thread's model is recorded as Codex 0.171.0 records it: with each turn (its rollout's turn
-- context). Codex shows a loaded thread's configured model, and a thread that is not loaded (listed
-- from storage, unarchived) with the model of its last turn, or null while no turn has started.
-- Switchyard stores the model at start, so this says when it may be shown of an unloaded thread.
ALTER TABLE thread.threads ADD COLUMN model_recorded boolean NOT NULL DEFAULT false;
UPDATE thread.threads AS t SET model_recorded = true
 WHERE EXISTS (SELECT 1 FROM thread.turns AS u WHERE u.tenant = t.tenant AND u.thread_id = t.id);
