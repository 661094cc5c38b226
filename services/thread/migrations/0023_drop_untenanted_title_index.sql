-- Titles were indexed twice: 0002's trigram index over every tenant's titles, and 0020's, which leads
-- with the tenant (btree_gin) and is the one title search uses (threads_with_matching_titles asks for
-- one tenant's matches). Every thread start and every rename wrote an entry into both. Where 0020's
-- index exists, 0002's serves nothing and goes; where btree_gin was unavailable 0020 did not create
-- its index and 0002's stays, so title search keeps an index either way.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'thread' AND indexname = 'threads_title_trgm_by_tenant') THEN
    DROP INDEX IF EXISTS thread.threads_title_trgm;
  END IF;
END
$$;
