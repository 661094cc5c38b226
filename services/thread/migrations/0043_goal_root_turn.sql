-- The turn a goal's continuations hang under. When the model creates a goal with create_goal, Codex
-- 0.171.0 (probed) starts that goal's continuations as turns whose `rootTurnId` is the root of the
-- turn that created it; a goal a client sets (thread/goal/set) has none, and each continuation is its
-- own root. Null for every goal stored before this release (a client's, or one whose continuations
-- then read as their own roots).
ALTER TABLE thread.threads ADD COLUMN goal_root_turn_id uuid;
