-- The config service's state: config layers per tenant (and user, and project), tenant requirements
-- and model catalog, orchestrators' session configs, each thread's config snapshot, saved lockfiles,
-- the ledger that makes keyed writes idempotent, and the per-tenant generation that versions the
-- Redis cache of effective configs. Every row is tenant-scoped and every key starts with the tenant.

-- One row per layer body. `kind` is the layer: system, enterpriseManaged, legacyManaged (tenant-wide,
-- scope ''), user (scope = the user's subject), project (scope = the project's absolute path).
-- A user profile is not a row: it is the `profiles.<name>` table of the user's layer.
CREATE TABLE config.layers (
  tenant     text        NOT NULL,
  kind       text        NOT NULL CHECK (kind IN ('system', 'enterpriseManaged', 'user', 'project', 'legacyManaged')),
  scope      text        NOT NULL DEFAULT '',
  body       jsonb       NOT NULL,
  version    text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, kind, scope)
);

-- requirements.toml as a table; the model catalog as a JSON array of entries.
CREATE TABLE config.tenant_documents (
  tenant     text        NOT NULL,
  kind       text        NOT NULL CHECK (kind IN ('requirements', 'modelCatalog')),
  body       jsonb       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, kind)
);

-- Session config set by an orchestrator, for one thread (target_kind 'thread', possibly before the
-- thread exists) or one working directory ('cwd').
CREATE TABLE config.session_configs (
  tenant      text        NOT NULL,
  target_kind text        NOT NULL CHECK (target_kind IN ('thread', 'cwd')),
  target      text        NOT NULL,
  body        jsonb       NOT NULL,
  version     text        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, target_kind, target)
);

-- A thread's config as it started: the cwd and user it resolves for, its session layer (kept
-- across refreshes), the effective config and the resolved session values (for lockfiles).
CREATE TABLE config.thread_configs (
  tenant        text        NOT NULL,
  thread_id     text        NOT NULL,
  subject       text        NOT NULL,
  cwd           text        NOT NULL,
  session_layer jsonb,
  effective     jsonb       NOT NULL,
  resolved      jsonb       NOT NULL,
  client_version text       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  refreshed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, thread_id)
);

-- Lockfiles saved for replay, by the path a thread start's debug.config_lockfile.load_path names.
CREATE TABLE config.lockfiles (
  tenant     text        NOT NULL,
  path       text        NOT NULL,
  body       text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, path)
);

-- Keyed writes run once: a redelivered command is answered with the stored result.
CREATE TABLE config.applied_commands (
  tenant     text        NOT NULL,
  command_id text        NOT NULL,
  method     text        NOT NULL,
  result     jsonb,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, command_id)
);
CREATE INDEX applied_commands_by_age ON config.applied_commands (applied_at);

-- Bumped in the same transaction as every write that can change an effective config; the Redis
-- cache keys include it, so a cached value can never outlive the write that changed it.
CREATE TABLE config.generations (
  tenant     text   NOT NULL PRIMARY KEY,
  generation bigint NOT NULL DEFAULT 0
);

-- The tenant's thread-config gRPC listener port (one listener per tenant: the released client sends
-- no credentials, so the listener is what names the tenant). Assigned by `switchyard
-- thread-config-endpoint` or at start for the default tenant; read across tenants by every instance.
CREATE TABLE config.grpc_endpoints (
  tenant     text        NOT NULL PRIMARY KEY,
  port       integer     NOT NULL UNIQUE CHECK (port > 0 AND port < 65536),
  created_at timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
  CREATE ROLE switchyard_service NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA config TO switchyard_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA config TO switchyard_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA config GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO switchyard_service;

DO $$
DECLARE
  table_name text;
BEGIN
  FOREACH table_name IN ARRAY ARRAY['layers', 'tenant_documents', 'session_configs', 'thread_configs', 'lockfiles',
                                     'applied_commands', 'generations', 'grpc_endpoints']
  LOOP
    EXECUTE format('ALTER TABLE config.%I ENABLE ROW LEVEL SECURITY', table_name);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON config.%I
                      USING (tenant = current_setting('switchyard.tenant', true))
                      WITH CHECK (tenant = current_setting('switchyard.tenant', true))$p$, table_name);
  END LOOP;
END
$$;
