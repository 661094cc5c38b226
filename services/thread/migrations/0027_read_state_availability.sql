-- Whether a thread has a durable read state (thread/read's `readState`, thread/list's `readStates`,
-- what thread/readState/update edits). As in Codex 0.171.0, a thread has one once something about it
-- is recorded: a rename, a metadata update, a goal, or its first stored item (a turn, injected
-- items, a fork with history); a thread only started, or only given settings, has none (`null`, and
-- an update is refused with `thread read state unavailable`), and an ephemeral thread never has one.
ALTER TABLE thread.threads ADD COLUMN has_read_state boolean NOT NULL DEFAULT false;
UPDATE thread.threads SET has_read_state = true
 WHERE NOT is_ephemeral
   AND (materialized_at IS NOT NULL OR name IS NOT NULL OR goal IS NOT NULL OR git_info IS NOT NULL OR read_revision > 0);

-- thread/name/set records a read state too (0024's function, with that one column more).
CREATE OR REPLACE FUNCTION thread.set_names(p_tenant text, p_thread_ids uuid[], p_command_ids text[], p_names text[])
  RETURNS TABLE (is_applied boolean, does_exist boolean)
  LANGUAGE plpgsql
AS $$
DECLARE
  i integer;
  current_revision bigint;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_thread_ids, 1), 0) LOOP
    SELECT revision INTO current_revision FROM thread.threads WHERE tenant = p_tenant AND id = p_thread_ids[i];
    IF NOT FOUND THEN
      is_applied := false;
      does_exist := false;
      RETURN NEXT;
      CONTINUE;
    END IF;
    INSERT INTO thread.applied_commands (tenant, command_id, method, thread_id, revision, payload)
      VALUES (p_tenant, p_command_ids[i], 'thread/name/set', p_thread_ids[i], current_revision + 1,
              jsonb_build_object('name', p_names[i]))
      ON CONFLICT (tenant, command_id) DO NOTHING;
    is_applied := FOUND;
    IF is_applied THEN
      UPDATE thread.threads SET name = p_names[i], revision = current_revision + 1, has_read_state = NOT is_ephemeral
       WHERE tenant = p_tenant AND id = p_thread_ids[i];
    END IF;
    does_exist := true;
    RETURN NEXT;
  END LOOP;
END
$$;
