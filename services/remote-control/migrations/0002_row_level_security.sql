-- The second tenancy wall, as in the thread schema: the service's queries run as switchyard_service
-- (no SUPERUSER, no BYPASSRLS; the service SET ROLEs to it), and a row is visible or writable only
-- when its tenant equals the session setting switchyard.tenant, which the service sets per tenant
-- before each query. Every query also keeps its own tenant predicate.
DO $$
BEGIN
  CREATE ROLE switchyard_service NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION
  -- The role is cluster-wide: the thread service's migration (or a concurrent one) made it already.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA remote_control TO switchyard_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA remote_control TO switchyard_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA remote_control TO switchyard_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA remote_control GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO switchyard_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA remote_control GRANT USAGE, SELECT ON SEQUENCES TO switchyard_service;

ALTER TABLE remote_control.servers ENABLE ROW LEVEL SECURITY;
ALTER TABLE remote_control.pairing_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE remote_control.clients ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON remote_control.servers
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
CREATE POLICY tenant_isolation ON remote_control.pairing_codes
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
CREATE POLICY tenant_isolation ON remote_control.clients
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));

-- A machine's server token and its `x-codex-server-id` arrive before anyone knows the tenant. These
-- two functions are the only way past the wall, and the narrowest one: each answers one tenant name
-- for one exact key (a token's SHA-256, or a random server id the machine was given), never a row.
-- The service then reads the enrollment as that tenant, under the policy. They run as their owner
-- (the migrating role, which owns the tables and so is not subject to their policies), with a fixed
-- search_path so a caller's objects cannot stand in for ours.
CREATE FUNCTION remote_control.tenant_of_server(p_server_id text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT tenant FROM remote_control.servers WHERE server_id = p_server_id $$;

CREATE FUNCTION remote_control.tenant_of_server_token(p_token_sha256 bytea) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT tenant FROM remote_control.servers WHERE token_sha256 = p_token_sha256 $$;

REVOKE ALL ON FUNCTION remote_control.tenant_of_server(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION remote_control.tenant_of_server_token(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION remote_control.tenant_of_server(text) TO switchyard_service;
GRANT EXECUTE ON FUNCTION remote_control.tenant_of_server_token(bytea) TO switchyard_service;
