-- The second tenancy wall: row-level security on every tenant-scoped table. The service's queries
-- run as switchyard_service (no SUPERUSER, no BYPASSRLS; the service SET ROLEs to it), and a row is
-- visible or writable only when its tenant equals the session setting switchyard.tenant, which the
-- service sets per tenant before each query. Every query also keeps its own tenant predicate.
DO $$
BEGIN
  CREATE ROLE switchyard_service NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION
  -- The role is cluster-wide: another database's migration (or a concurrent one) made it already.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA thread TO switchyard_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA thread TO switchyard_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA thread TO switchyard_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA thread GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO switchyard_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA thread GRANT USAGE, SELECT ON SEQUENCES TO switchyard_service;

ALTER TABLE thread.threads ENABLE ROW LEVEL SECURITY;
ALTER TABLE thread.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE thread.applied_commands ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON thread.threads
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
CREATE POLICY tenant_isolation ON thread.items
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
CREATE POLICY tenant_isolation ON thread.applied_commands
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));

-- The name_changes view reads through the ledger's policy for whoever queries it.
ALTER VIEW thread.name_changes SET (security_invoker = true);
