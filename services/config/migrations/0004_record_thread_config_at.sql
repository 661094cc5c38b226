-- A new thread's config snapshot, stored only while the inputs it was resolved from are current: the
-- tenant's config generation is still the one they were read at (every config write bumps it) and
-- no session config names the thread itself. Returns whether it was stored.
--
-- The config service stores a snapshot it resolved from remembered inputs with it, and so does the
-- thread service in the same statement as the thread's row when it reuses an answer the config
-- service marked reusable (internal/config/resolveThread's `reuse`): one commit for the whole start.
-- This function is the config schema's contract with that caller; the guard lives here only.
CREATE FUNCTION config.record_thread_config_at(
  p_tenant text, p_thread_id text, p_subject text, p_cwd text, p_session_layer jsonb, p_effective jsonb,
  p_resolved jsonb, p_client_version text, p_generation bigint
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO config.thread_configs (tenant, thread_id, subject, cwd, session_layer, effective, resolved, client_version)
  SELECT p_tenant, p_thread_id, p_subject, p_cwd, p_session_layer, p_effective, p_resolved, p_client_version
   WHERE COALESCE((SELECT generation FROM config.generations WHERE tenant = p_tenant), 0) = p_generation
     AND NOT EXISTS (SELECT 1 FROM config.session_configs
                      WHERE tenant = p_tenant AND target_kind = 'thread' AND target = p_thread_id)
  ON CONFLICT (tenant, thread_id) DO UPDATE SET
    session_layer = EXCLUDED.session_layer, effective = EXCLUDED.effective, resolved = EXCLUDED.resolved,
    cwd = EXCLUDED.cwd, refreshed_at = now();
  RETURN FOUND;
END;
$$;

GRANT EXECUTE ON FUNCTION config.record_thread_config_at(text, text, text, text, jsonb, jsonb, jsonb, text, bigint)
  TO switchyard_service;
