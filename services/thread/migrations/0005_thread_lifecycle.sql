-- The thread lifecycle: loaded state and subscribers (shared by every instance, so any instance can
-- answer thread/unsubscribe and thread/loaded/list), goals, git info, read state, and injected
-- Responses API items. The ledger keeps each keyed command's answer, so a redelivered command is
-- answered as it was the first time instead of being applied again.
ALTER TABLE thread.threads
  -- NULL: notLoaded. Set by start, resume and fork; cleared by archive and the idle sweeper.
  ADD COLUMN loaded_at        timestamptz,
  ADD COLUMN goal             jsonb,
  ADD COLUMN git_info         jsonb,
  ADD COLUMN read_revision    bigint      NOT NULL DEFAULT 0,
  ADD COLUMN first_unread     jsonb;

CREATE INDEX threads_loaded ON thread.threads (tenant, id) WHERE loaded_at IS NOT NULL;
CREATE INDEX threads_by_parent ON thread.threads (tenant, parent_thread_id) WHERE parent_thread_id IS NOT NULL;

-- Which connections (`<gatewayId>/<token>`) receive a thread's notifications.
CREATE TABLE thread.subscriptions (
  tenant        text        NOT NULL,
  thread_id     uuid        NOT NULL,
  connection    text        NOT NULL,
  subscribed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, thread_id, connection),
  FOREIGN KEY (tenant, thread_id) REFERENCES thread.threads (tenant, id) ON DELETE CASCADE
);
CREATE INDEX subscriptions_by_connection ON thread.subscriptions (tenant, connection);
ALTER TABLE thread.subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.subscriptions
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));

-- Injected items keep the raw Responses API item; `item` (the wire ThreadItem) is NULL for kinds
-- that have no thread-item rendering (reasoning, tool calls…): model-visible, not shown.
ALTER TABLE thread.items
  ALTER COLUMN item DROP NOT NULL,
  ADD COLUMN response_item jsonb;

ALTER TABLE thread.applied_commands ADD COLUMN result jsonb;
