-- The command that claimed a pairing code. A claim is asked again when its answer is late (its
-- instance died or stalls after the claim committed): the second ask carries the same command id,
-- finds the code claimed by it, and answers as the first one would have, instead of refusing a
-- code its own first ask used.
ALTER TABLE remote_control.pairing_codes ADD COLUMN claimed_command text;
