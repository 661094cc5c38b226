-- Whether a thread may use memories and feed them (thread/memoryMode/set, as Codex 0.171.0 keeps it
-- with the thread): `enabled`, `disabled`, or null while no client has set it.
ALTER TABLE thread.threads ADD COLUMN memory_mode text;
