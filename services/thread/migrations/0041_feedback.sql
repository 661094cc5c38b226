-- Feedback users send with feedback/upload, kept for the deployment's operators (Codex uploads it to
-- OpenAI instead): one row per upload, named by the thread it is about as the client named it (a
-- thread id, any other id it gave, or `no-active-thread-<id>` when it gave none), with what the user
-- chose to say and who said it.
CREATE TABLE thread.feedback (
  tenant         text        NOT NULL,
  id             uuid        NOT NULL,
  thread_id      text        NOT NULL,
  classification text        NOT NULL,
  reason         text,
  tags           jsonb       NOT NULL DEFAULT '{}'::jsonb,
  include_logs   boolean     NOT NULL DEFAULT false,
  prompt_hash    text,
  submitted_by   text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);
CREATE INDEX feedback_by_time ON thread.feedback (tenant, created_at DESC);

ALTER TABLE thread.feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.feedback
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
GRANT SELECT, INSERT ON thread.feedback TO switchyard_service;
