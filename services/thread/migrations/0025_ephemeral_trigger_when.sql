-- The ephemeral-thread guard (0022) ran its plpgsql function for every inserted thread and every
-- materializing update, though it changes a row only when the thread is ephemeral and is being
-- materialized. The same trigger with that condition in its WHEN clause: Postgres checks it without
-- calling the function, and the function runs exactly when it used to change something.
DROP TRIGGER threads_ephemeral_not_materialized ON thread.threads;
CREATE TRIGGER threads_ephemeral_not_materialized BEFORE INSERT OR UPDATE OF materialized_at ON thread.threads
  FOR EACH ROW WHEN (NEW.is_ephemeral AND NEW.materialized_at IS NOT NULL)
  EXECUTE FUNCTION thread.skip_ephemeral_materialization();
