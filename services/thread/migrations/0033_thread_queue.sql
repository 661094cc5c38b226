-- A thread's queue of user submissions (thread/queue/*, as Codex 0.171.0 keeps it): prompts waiting to
-- become the thread's turns, in `position` order. A submission leaves the queue in the transaction
-- that admits its turn, so it runs once or stays queued; it runs as `subject`, who queued it.
CREATE TABLE thread.queued_submissions (
  tenant                 text        NOT NULL,
  thread_id              uuid        NOT NULL,
  id                     uuid        NOT NULL,
  position               bigint      NOT NULL,
  client_user_message_id text        NOT NULL,
  input                  jsonb       NOT NULL,
  metadata               jsonb,
  subject                text        NOT NULL,
  queued_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, thread_id, id),
  FOREIGN KEY (tenant, thread_id) REFERENCES thread.threads (tenant, id) ON DELETE CASCADE
);
CREATE INDEX queued_submissions_in_order ON thread.queued_submissions (tenant, thread_id, position);

ALTER TABLE thread.queued_submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.queued_submissions
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON thread.queued_submissions TO switchyard_service;
