-- The client that created the thread (its `clientInfo.name`): thread.originator, and what
-- thread/list's `originators` filter matches, as Codex 0.171.0 records it. Null for threads created
-- before this column, or without a client name.
ALTER TABLE thread.threads ADD COLUMN originator text;
