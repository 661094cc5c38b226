-- Turns. A turn runs outside the keyed lane, on whichever instance admitted it, under a lease kept
-- here: `owner` (the instance) must renew `lease_expires_at` while it runs, and any instance may close
-- a turn whose lease has lapsed (its runner died) as failed. Fencing: every admission or take-over
-- bumps the thread's `turn_fence`, and a runner's writes (items, lease renewals, its ending) only
-- apply while the fence it was given is still the thread's, so a runner that was presumed dead and
-- wakes up later cannot write over the turn's ending or a newer turn.
CREATE TABLE thread.turns (
  tenant           text        NOT NULL,
  thread_id        uuid        NOT NULL,
  id               text        NOT NULL,
  root_turn_id     text,
  -- 'regular' or 'compact' (thread/compact/start).
  kind             text        NOT NULL DEFAULT 'regular',
  status           text        NOT NULL CHECK (status IN ('inProgress', 'completed', 'interrupted', 'failed')),
  error            jsonb,
  started_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  fence            bigint      NOT NULL,
  owner            text,
  lease_expires_at timestamptz,
  -- The turn's own request (outputSchema, per-turn overrides), for the runner.
  request          jsonb       NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant, thread_id, id),
  FOREIGN KEY (tenant, thread_id) REFERENCES thread.threads (tenant, id) ON DELETE CASCADE
);

-- One running turn per thread, whatever instance runs it.
CREATE UNIQUE INDEX turns_one_running ON thread.turns (tenant, thread_id) WHERE status = 'inProgress';
-- What the lease sweeper scans (across tenants: it runs as the owner role, see turn-sweeper.ts).
CREATE INDEX turns_running_leases ON thread.turns (lease_expires_at) WHERE status = 'inProgress';

ALTER TABLE thread.threads
  ADD COLUMN turn_fence    bigint NOT NULL DEFAULT 0,
  -- Dynamic tools the client declared at thread/start (offered to the model on every turn).
  ADD COLUMN dynamic_tools jsonb  NOT NULL DEFAULT '[]',
  -- Cumulative token usage of the thread's turns (thread/tokenUsage/updated's `total`).
  ADD COLUMN token_usage   jsonb,
  -- The running turn (kept with the turn's row, under the same fence): the thread is `active`.
  ADD COLUMN active_turn_id text;

ALTER TABLE thread.turns ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.turns
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON thread.turns TO switchyard_service;

-- An ephemeral thread (the TUI's title generation, say) is never materialized: its items are kept
-- for thread/read, but it is not listed.
CREATE OR REPLACE FUNCTION thread.skip_ephemeral_materialization() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.is_ephemeral THEN NEW.materialized_at := NULL; END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER threads_ephemeral_not_materialized BEFORE INSERT OR UPDATE OF materialized_at ON thread.threads
  FOR EACH ROW EXECUTE FUNCTION thread.skip_ephemeral_materialization();
