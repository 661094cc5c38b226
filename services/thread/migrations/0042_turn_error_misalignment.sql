-- A turn's error carries `misalignment` (null unless the model's output was judged misaligned), as
-- Codex 0.171.0's TurnError does on every surface: turn/completed, the `error` notification,
-- thread/read, thread/turns/list and thread/timeline/list. Errors written before this release lack
-- the field; they gain it as null, so every reader sends the same shape.
UPDATE thread.turns
   SET error = error || '{"misalignment": null}'::jsonb
 WHERE error IS NOT NULL AND jsonb_typeof(error) = 'object' AND NOT error ? 'misalignment';
