-- thread/list {archived: true} shows every archived thread, as Codex 0.171.0 does, including one
-- archived before it had any content (the live list still shows only threads with content, through
-- the list indexes of 0001, which are partial on materialized_at). These serve the archived list in
-- each sort order; they hold only archived rows, so a start or a turn does not maintain them.
CREATE INDEX threads_archived_by_updated ON thread.threads (tenant, updated_at DESC, id DESC) WHERE archived_at IS NOT NULL;
CREATE INDEX threads_archived_by_created ON thread.threads (tenant, created_at DESC, id DESC) WHERE archived_at IS NOT NULL;
CREATE INDEX threads_archived_by_recency ON thread.threads (tenant, (coalesce(recency_at, updated_at)) DESC, id DESC)
  WHERE archived_at IS NOT NULL;
