-- thread/list filters. parentThreadId reads the direct children of a thread through
-- threads_by_parent (tenant, parent_thread_id), made in 0005; ancestorThreadId walks the same edges
-- recursively (a recursive CTE, one index probe per descendant), so nothing beyond parent_thread_id,
-- set when a sub-agent thread is spawned, has to be maintained. projectId reads one project's threads
-- here; the list indexes of 0001 serve "threads without a project" (most of them).
CREATE INDEX threads_by_project ON thread.threads (tenant, project_id, created_at DESC, id DESC)
  WHERE project_id IS NOT NULL AND materialized_at IS NOT NULL;
