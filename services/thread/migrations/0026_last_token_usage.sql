-- The usage of the thread's last model call and the turn it belongs to ({"turnId", "usage"}):
-- thread/tokenUsage/updated's `last` and `turnId`, which Codex 0.171.0 sends a client after it resumes
-- or forks the thread with its turns (`token_usage` holds the cumulative `total`).
ALTER TABLE thread.threads ADD COLUMN last_token_usage jsonb;
