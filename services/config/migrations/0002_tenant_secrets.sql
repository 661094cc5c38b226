-- Tenant secrets: the cloud analogue of a Codex user's environment variables (a provider's `env_key`,
-- its `env_http_headers`), set by orchestrators (switchyard/secret/set) or operators (`switchyard
-- secret set`). Values are sealed by the config service (AES-256-GCM, random nonce, bound to tenant
-- and name) before they reach Postgres; `ciphertext` is `v1:<key id>:<nonce>:<ciphertext>:<tag>` and
-- `key_id` repeats the key's fingerprint so rows still sealed with an old key can be found after a
-- rotation. Nothing here is plaintext; nothing reads a value back except internal/config/modelProvider.
CREATE TABLE config.tenant_secrets (
  tenant     text        NOT NULL,
  name       text        NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
  ciphertext text        NOT NULL CHECK (ciphertext LIKE 'v1:%'),
  key_id     text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Who last set it (the principal's subject, or `cli:<operator>`), for audits; never the value.
  updated_by text        NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, name)
);
CREATE INDEX tenant_secrets_by_key ON config.tenant_secrets (key_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON config.tenant_secrets TO switchyard_service;
ALTER TABLE config.tenant_secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON config.tenant_secrets
  USING (tenant = current_setting('switchyard.tenant', true))
  WITH CHECK (tenant = current_setting('switchyard.tenant', true));
