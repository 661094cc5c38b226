-- Projects (project/*, as Codex 0.171.0 keeps them): a tenant's named groups of threads, each with its
-- roots (normalized absolute paths, a JSON array of {path}), its string metadata (a JSON object, keys
-- in byte order as Codex answers them, so `json` and not `jsonb`, which reorders keys), and its
-- place in the tenant's order (`position`, dense from 0 after a move; a new project goes last).
-- A project's recencyAt is not stored: it is its threads' latest activity, read with it.
CREATE TABLE thread.projects (
  tenant     text        NOT NULL,
  id         text        NOT NULL CHECK (id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  name       text        NOT NULL,
  roots      json        NOT NULL,
  metadata   json        NOT NULL,
  position   bigint      NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);

-- Every idempotency key a project was created under, kept after its project is deleted: Codex refuses
-- a deleted project's key rather than create another project under it.
CREATE TABLE thread.project_keys (
  tenant          text NOT NULL,
  idempotency_key text NOT NULL,
  project_id      text NOT NULL,
  PRIMARY KEY (tenant, idempotency_key)
);

ALTER TABLE thread.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.projects
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON thread.projects TO switchyard_service;
ALTER TABLE thread.project_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thread.project_keys
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
GRANT SELECT, INSERT ON thread.project_keys TO switchyard_service;

-- Until now a thread kept whatever project id its client gave, and no project existed to match it:
-- Codex refuses an unknown project, so those ids named nothing and are dropped. From here on a
-- thread's project is one of its tenant's projects: the foreign key holds a thread's assignment and
-- the project's deletion apart (an assignment racing a deletion waits for it, then fails), and a
-- project is deleted only once none of its threads names it (project/delete locks the project,
-- takes its threads out of it, announcing each, then deletes it).
UPDATE thread.threads SET project_id = NULL WHERE project_id IS NOT NULL;
ALTER TABLE thread.threads
  ADD CONSTRAINT threads_project_fk FOREIGN KEY (tenant, project_id) REFERENCES thread.projects (tenant, id);

-- A project's threads, with content or not (the deletion's sweep, the foreign key's check, recencyAt,
-- thread/list by project); replaces 0021's index of listed threads only.
DROP INDEX thread.threads_by_project;
CREATE INDEX threads_by_project ON thread.threads (tenant, project_id, created_at DESC, id DESC) WHERE project_id IS NOT NULL;
