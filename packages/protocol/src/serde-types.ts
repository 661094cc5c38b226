// Integer fields as Codex's serde types them (u32, u64, i64): a refusal names the Rust type as serde
// words it (``invalid value: integer `-1`, expected u32``, ``invalid type: floating point `1.5`,
// expected i64``, ``invalid type: string "x", expected u32``), which serde-messages.ts renders.
import { z } from "zod";

function serdeInteger(rust: string, range: { min?: number; max?: number } = {}) {
  const expected = `expected ${rust}`;
  let schema = z.number({ error: expected }).int({ error: expected });
  if (range.min !== undefined) schema = schema.min(range.min, expected);
  if (range.max !== undefined) schema = schema.max(range.max, expected);
  return schema;
}

export const U32 = serdeInteger("u32", { min: 0, max: 4_294_967_295 });
/** u64 (JSON numbers past 2^53 are not exact in JavaScript; none of these fields gets near them). */
export const U64 = serdeInteger("u64", { min: 0 });
export const I64 = serdeInteger("i64");
