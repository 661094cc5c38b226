-- Thread attachments (thread/attachment/*, thread/attachmentOwner/list, as Codex 0.171.0 keeps them):
-- records a client files on a thread, one per (type, identity key) on a thread, each with a JSON
-- payload (JSON null too), kept as its text (`json`, not `jsonb`): Codex answers a payload with its keys
-- in the order they were given. Deleting the thread deletes them; a fork copies them.
CREATE TABLE thread.attachments (
  tenant          text        NOT NULL,
  thread_id       uuid        NOT NULL,
  id              uuid        NOT NULL,
  attachment_type text        NOT NULL,
  identity_key    text        NOT NULL,
  payload         json        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, thread_id, id),
  UNIQUE (tenant, thread_id, attachment_type, identity_key),
  FOREIGN KEY (tenant, thread_id) REFERENCES thread.threads (tenant, id) ON DELETE CASCADE
);
-- The reverse lookup: which threads hold an attachment with this identity, by thread id.
CREATE INDEX attachments_by_identity ON thread.attachments (tenant, attachment_type, identity_key, thread_id);

ALTER TABLE thread.attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.attachments
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON thread.attachments TO switchyard_service;
