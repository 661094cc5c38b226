-- thread/name/set for a group-committed batch of one tenant's renames, one thread per input: per
-- input its ledger row (with the revision it produces) and the rename; a row per input, in input
-- order. A redelivered command conflicts in the ledger and changes nothing.
--
-- It replaces one CTE statement that joined the batch's ids to thread.threads. As a prepared
-- statement that join had a generic plan, made on each pooled connection when it first ran: made
-- while the tenant had few threads (or before the table had statistics, as on a database without
-- autovacuum), it read all of the tenant's threads by `tenant` alone and kept doing so as the tenant
-- grew, so a rename cost time in proportion to the tenant's thread count. Here every read and write
-- of a thread names its whole primary key as plain restrictions, so each is an index lookup of one
-- row whatever the planner believes about the table. It runs as its caller (row-level security
-- applies as before).
CREATE FUNCTION thread.set_names(p_tenant text, p_thread_ids uuid[], p_command_ids text[], p_names text[])
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
      UPDATE thread.threads SET name = p_names[i], revision = current_revision + 1
       WHERE tenant = p_tenant AND id = p_thread_ids[i];
    END IF;
    does_exist := true;
    RETURN NEXT;
  END LOOP;
END
$$;
