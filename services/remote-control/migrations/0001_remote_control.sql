-- Enrolled machines ("servers"; one environment each), their pairing codes and paired clients.
-- Every row is tenant-scoped. Secrets (server tokens, pairing codes) are stored as SHA-256 only.
CREATE TABLE remote_control.servers (
  tenant             text        NOT NULL,
  server_id          text        PRIMARY KEY,
  environment_id     text        NOT NULL UNIQUE,
  installation_id    text        NOT NULL,
  -- The app-server's instance name: several app-servers on one host (one installation id) enroll
  -- separately as long as their names differ.
  name               text        NOT NULL,
  os                 text        NOT NULL,
  arch               text        NOT NULL,
  app_server_version text        NOT NULL,
  enrolled_by        text        NOT NULL,
  enrolled_at        timestamptz NOT NULL DEFAULT now(),
  token_sha256       bytea       NOT NULL,
  token_expires_at   timestamptz NOT NULL,
  last_seen_at       timestamptz,
  -- Last connection event: 'connected', 'disconnected' or 'refused' (with the reason).
  last_event         text,
  last_event_at      timestamptz,
  last_error         text,
  UNIQUE (tenant, installation_id, name)
);
CREATE INDEX servers_token ON remote_control.servers (token_sha256);
CREATE INDEX servers_tenant ON remote_control.servers (tenant, enrolled_at);

CREATE TABLE remote_control.pairing_codes (
  code_sha256        bytea       PRIMARY KEY,
  manual_code_sha256 bytea       UNIQUE,
  tenant             text        NOT NULL,
  server_id          text        NOT NULL REFERENCES remote_control.servers (server_id) ON DELETE CASCADE,
  expires_at         timestamptz NOT NULL,
  claimed_at         timestamptz,
  claimed_by         text
);

CREATE TABLE remote_control.clients (
  tenant         text        NOT NULL,
  environment_id text        NOT NULL REFERENCES remote_control.servers (environment_id) ON DELETE CASCADE,
  client_id      text        NOT NULL,
  subject        text        NOT NULL,
  display_name   text,
  device_type    text,
  platform       text,
  os_version     text,
  device_model   text,
  app_version    text,
  paired_at      timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  PRIMARY KEY (environment_id, client_id)
);
CREATE INDEX clients_subject ON remote_control.clients (environment_id, subject);
