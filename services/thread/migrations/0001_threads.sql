-- Threads, their items, and the ledger that makes keyed commands idempotent. Every row is
-- tenant-scoped and every key starts with the tenant.

CREATE TABLE thread.threads (
  tenant          text        NOT NULL,
  id              uuid        NOT NULL,
  session_id      uuid        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- Last user activity; NULL until the thread has content.
  recency_at      timestamptz,
  -- Set when the first item is stored. Like Codex, a thread without content is not listed.
  materialized_at timestamptz,
  archived_at     timestamptz,
  name            text,
  preview         text        NOT NULL DEFAULT '',
  cwd             text        NOT NULL,
  model_provider  text        NOT NULL,
  model           text,
  source          jsonb       NOT NULL,
  source_kind     text        NOT NULL,
  thread_source   text,
  history_mode    text        NOT NULL,
  is_ephemeral    boolean     NOT NULL,
  cli_version     text        NOT NULL,
  project_id      text,
  forked_from_id  uuid,
  parent_thread_id uuid,
  -- Effective per-thread settings reported back to clients (approval policy, sandbox, tier…).
  settings        jsonb       NOT NULL DEFAULT '{}',
  -- Bumped by every applied keyed write; with thread.name_changes it shows the order writes applied in.
  revision        bigint      NOT NULL DEFAULT 0,
  created_by      text        NOT NULL,
  PRIMARY KEY (tenant, id)
);

CREATE INDEX threads_list_by_updated ON thread.threads (tenant, updated_at DESC, id DESC) WHERE materialized_at IS NOT NULL;
CREATE INDEX threads_list_by_created ON thread.threads (tenant, created_at DESC, id DESC) WHERE materialized_at IS NOT NULL;
CREATE INDEX threads_list_by_recency ON thread.threads (tenant, (coalesce(recency_at, updated_at)) DESC, id DESC)
  WHERE materialized_at IS NOT NULL;

-- Append-only conversation content.
CREATE TABLE thread.items (
  tenant     text        NOT NULL,
  thread_id  uuid        NOT NULL,
  seq        bigint      NOT NULL,
  turn_id    text        NOT NULL,
  item       jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, thread_id, seq),
  FOREIGN KEY (tenant, thread_id) REFERENCES thread.threads (tenant, id) ON DELETE CASCADE
);

-- Idempotency ledger: one row per applied keyed command, written in the same statement as the
-- change it records, so a redelivered command finds its row and is not applied again.
CREATE TABLE thread.applied_commands (
  tenant     text        NOT NULL,
  command_id text        NOT NULL,
  method     text        NOT NULL,
  thread_id  uuid        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, command_id)
);

-- Append-only rename history (audit, and the order keyed writes were applied in).
CREATE TABLE thread.name_changes (
  tenant     text        NOT NULL,
  thread_id  uuid        NOT NULL,
  revision   bigint      NOT NULL,
  name       text        NOT NULL,
  command_id text        NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, thread_id, revision),
  FOREIGN KEY (tenant, thread_id) REFERENCES thread.threads (tenant, id) ON DELETE CASCADE
);
