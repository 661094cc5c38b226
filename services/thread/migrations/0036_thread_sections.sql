-- Thread sections (threadSection/*, thread/section/move, as Codex 0.171.0 keeps them): a tenant's
-- named groups of threads. The built-in "Pinned" section is not stored: every tenant has it, under
-- Codex's fixed id. A thread in a section carries the section's id, its view (`section`: id, name,
-- appearance, as thread/read and thread/list show it, rewritten when the section is renamed), its
-- position among the section's threads and when it entered the section.
CREATE TABLE thread.sections (
  tenant     text        NOT NULL,
  id         uuid        NOT NULL,
  name       text        NOT NULL,
  appearance jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);

ALTER TABLE thread.sections ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.sections
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON thread.sections TO switchyard_service;

ALTER TABLE thread.threads
  ADD COLUMN section_id         uuid,
  ADD COLUMN section            jsonb,
  ADD COLUMN section_position   bigint,
  ADD COLUMN section_entered_at timestamptz;

-- A section's threads in position order (thread/list by section_position, the next position).
CREATE INDEX threads_by_section ON thread.threads (tenant, section_id, section_position, id) WHERE section_id IS NOT NULL;
