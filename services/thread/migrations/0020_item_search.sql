-- Content search (thread/search, thread/searchOccurrences): the searchable text of an item is what a
-- reader sees of the conversation — the text parts of a user message and an assistant answer — kept
-- in a stored generated column, so a search reads it instead of taking the jsonb apart per row.
-- Both searches match a case-insensitive literal substring (ILIKE), which a trigram GIN index serves
-- for terms of three or more characters: unlike full-text search it finds parts of words, code
-- identifiers and paths, and needs no language. The index leads with the tenant (btree_gin) so one
-- tenant's matches are found without visiting other tenants' rows. Without btree_gin the index is
-- trigram-only; without pg_trgm (postgresql-contrib) there is no index and the searches still work,
-- unindexed, as migration 0002 does for titles.
CREATE FUNCTION thread.item_search_text(item jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
  SELECT CASE item ->> 'type'
    WHEN 'agentMessage' THEN item ->> 'text'
    WHEN 'userMessage' THEN (
      SELECT string_agg(part ->> 'text', E'\n' ORDER BY position)
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(item -> 'content') = 'array' THEN item -> 'content' ELSE '[]' END)
             WITH ORDINALITY AS content(part, position)
       WHERE part ->> 'type' = 'text')
  END
$$;

ALTER TABLE thread.items ADD COLUMN search_text text GENERATED ALWAYS AS (thread.item_search_text(item)) STORED;

DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS btree_gin;
    EXECUTE 'CREATE INDEX items_search_trgm ON thread.items
               USING gin (tenant, search_text gin_trgm_ops) WHERE search_text IS NOT NULL';
    -- Titles per tenant too (0002's index spans every tenant's titles).
    EXECUTE 'CREATE INDEX threads_title_trgm_by_tenant ON thread.threads
               USING gin (tenant, (coalesce(name, '''') || '' '' || preview) gin_trgm_ops)';
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'btree_gin unavailable (%); the item search index is trigram-only', SQLERRM;
    EXECUTE 'CREATE INDEX items_search_trgm ON thread.items
               USING gin (search_text gin_trgm_ops) WHERE search_text IS NOT NULL';
  END;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm unavailable (%); thread content search runs without an index', SQLERRM;
END
$$;

-- Row-level security keeps a non-leakproof operator such as ILIKE from being used as an index
-- condition (the index would run it on rows the policy has not checked yet), so under the policy
-- every search would read the tenant's whole item set. These two functions run the index-driven half
-- of a search as the tables' owner, with the policy's own predicate written out: the tenant comes
-- only from the session setting `switchyard.tenant`, as the policy's does, and all they return is
-- thread ids (ROWS 20: the planner should expect a few, as the callers use them only for rare terms).
-- The rows themselves are then read under the policy.
CREATE FUNCTION thread.threads_with_matching_items(pattern text, cap integer) RETURNS TABLE (thread_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp ROWS 20
AS $$
  SELECT i.thread_id FROM thread.items i
   WHERE i.tenant = current_setting('switchyard.tenant', true)
     AND i.search_text ILIKE pattern
   LIMIT cap
$$;

CREATE FUNCTION thread.threads_with_matching_titles(pattern text, cap integer) RETURNS TABLE (thread_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp ROWS 20
AS $$
  SELECT t.id FROM thread.threads t
   WHERE t.tenant = current_setting('switchyard.tenant', true)
     AND (coalesce(t.name, '') || ' ' || t.preview) ILIKE pattern
   LIMIT cap
$$;

REVOKE ALL ON FUNCTION thread.threads_with_matching_items(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION thread.threads_with_matching_titles(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION thread.threads_with_matching_items(text, integer) TO switchyard_service;
GRANT EXECUTE ON FUNCTION thread.threads_with_matching_titles(text, integer) TO switchyard_service;
