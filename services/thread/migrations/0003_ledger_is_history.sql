-- The idempotency ledger becomes the command log: each applied keyed command records the thread
-- revision it produced and its payload, so a rename is one ledger insert and one row update (no
-- separate history insert). name_changes stays readable as a view over the ledger.
ALTER TABLE thread.applied_commands
  ADD COLUMN revision bigint,
  ADD COLUMN payload  jsonb NOT NULL DEFAULT '{}';

UPDATE thread.applied_commands AS ledger
   SET revision = history.revision, payload = jsonb_build_object('name', history.name)
  FROM thread.name_changes AS history
 WHERE history.tenant = ledger.tenant AND history.command_id = ledger.command_id;

DROP TABLE thread.name_changes;

CREATE VIEW thread.name_changes AS
  SELECT tenant, thread_id, revision, payload ->> 'name' AS name, command_id, applied_at AS changed_at
    FROM thread.applied_commands
   WHERE method = 'thread/name/set';
