-- thread/start's statement writes less (it is most of a lone start's Postgres time): a new thread
-- row, its creator's subscription and its config snapshot, in one statement. Two of the costs it paid
-- bought nothing at start:
--
-- 1. The subscription's foreign key. Its check (a key-share lock on the thread, through a trigger
--    and a query of its own) ran for every subscription, though a start inserts the thread in the
--    same statement. Subscriptions now keep to their thread without it: a thread's delete removes its
--    subscriptions in its own transaction, and a subscription to an existing thread is inserted only
--    while that thread is key-share locked by the inserting statement (lifecycle-store.ts), as the
--    foreign key did. Commands on one thread are also never run concurrently (the keyed lane).
-- 2. The title's trigram entry. A new thread has no name and no preview, so its title is blank and no
--    search term can match it (title search asks the index only for terms with three letters or
--    digits in a row, search-store.ts `hasTrigram`). The index now holds titles with some text only,
--    and the function that asks it says so, so the planner still uses it.
--
-- Rebuilding the index takes a write lock on thread.threads for as long as it builds.
ALTER TABLE thread.subscriptions DROP CONSTRAINT IF EXISTS subscriptions_tenant_thread_id_fkey;
DELETE FROM thread.subscriptions AS s
 WHERE NOT EXISTS (SELECT 1 FROM thread.threads AS t WHERE t.tenant = s.tenant AND t.id = s.thread_id);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'thread' AND indexname = 'threads_title_trgm_by_tenant') THEN
    DROP INDEX thread.threads_title_trgm_by_tenant;
    EXECUTE 'CREATE INDEX threads_title_trgm_by_tenant ON thread.threads
               USING gin (tenant, (coalesce(name, '''') || '' '' || preview) gin_trgm_ops)
               WHERE name IS NOT NULL OR preview <> ''''';
  END IF;
  -- Where btree_gin was unavailable, 0002's index (every tenant's titles) is the one title search uses.
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'thread' AND indexname = 'threads_title_trgm') THEN
    DROP INDEX thread.threads_title_trgm;
    EXECUTE 'CREATE INDEX threads_title_trgm ON thread.threads
               USING gin ((coalesce(name, '''') || '' '' || preview) gin_trgm_ops)
               WHERE name IS NOT NULL OR preview <> ''''';
  END IF;
END
$$;

-- As 0020's, asking only for titles with some text (a blank title matches no term it is asked for).
CREATE OR REPLACE FUNCTION thread.threads_with_matching_titles(pattern text, cap integer) RETURNS TABLE (thread_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp ROWS 20
AS $$
  SELECT t.id FROM thread.threads t
   WHERE t.tenant = current_setting('switchyard.tenant', true)
     AND (t.name IS NOT NULL OR t.preview <> '')
     AND (coalesce(t.name, '') || ' ' || t.preview) ILIKE pattern
   LIMIT cap
$$;
