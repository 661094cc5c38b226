-- Case-insensitive title search for thread/list's searchTerm. Trigram indexes need pg_trgm
-- (in postgresql-contrib); without it the search still works, unindexed.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXECUTE 'CREATE INDEX threads_title_trgm ON thread.threads
             USING gin ((coalesce(name, '''') || '' '' || preview) gin_trgm_ops)';
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm unavailable (%); thread search runs without a trigram index', SQLERRM;
END
$$;
