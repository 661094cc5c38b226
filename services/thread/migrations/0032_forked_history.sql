-- Which thread's stored history a fork copied, as Codex 0.171.0 keeps it: a thread cannot be
-- deleted while a fork's history still refers to it (`cannot delete thread <id>: forked history still
-- references it`); once that fork is deleted it can be. A fork refers to its source only when it took
-- some of its history and is not ephemeral (a fork of a source without turns, or an ephemeral fork,
-- writes no history of its own, and Codex lets that source go). Switchyard's forks copy their items,
-- so nothing would break; the refusal is kept because clients see it from Codex.
ALTER TABLE thread.threads ADD COLUMN copied_history_from uuid;
UPDATE thread.threads AS fork SET copied_history_from = fork.forked_from_id
 WHERE fork.forked_from_id IS NOT NULL AND NOT fork.is_ephemeral
   AND EXISTS (SELECT 1 FROM thread.items AS i WHERE i.tenant = fork.tenant AND i.thread_id = fork.id);
CREATE INDEX threads_copied_history_from ON thread.threads (tenant, copied_history_from)
  WHERE copied_history_from IS NOT NULL;
