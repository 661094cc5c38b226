// Params types as Codex's serde types them, so a refusal names what serde names (serde-messages.ts
// renders them; test/interop-refusals.test.ts compares them with the 0.171.0 binary's):
// - integers: u32, u64, i64 (``invalid value: integer `-1`, expected u32``, ``invalid type: floating
//   point `1.5`, expected i64``);
// - enums: ``unknown variant `x`, expected one of `a`, `b` `` for a string, ``invalid type: null,
//   expected string or map`` for anything else (serde_json's words for an enum read from a value);
// - structs and tagged enums by their Rust names (`expected struct CollaborationMode`, `expected
//   internally tagged enum SandboxPolicyDeserialize`), paths (`expected path string`).
import { z } from "zod";
import { serdeOneOf } from "./errors.js";
import { describeFound } from "./serde-messages.js";

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

/** A path field (Rust `PathBuf`): any string. */
export const PathString = z.string({ error: "expected path string" });
/** An absolute path field (Rust `AbsolutePathBuf`): a relative one is refused as the binary refuses it. */
export const AbsolutePathString = PathString.refine((path) => path.startsWith("/"), {
  error: "AbsolutePathBuf deserialized without a base path",
});

/**
 * The whole text serde gives for an enum that did not match: an unknown variant for a string (`variants`,
 * in Codex's order, may name variants that carry data and so are not plain strings here), else the
 * value's type.
 */
export function enumRefusal(variants: readonly string[]) {
  return (issue: { input?: unknown }) =>
    typeof issue.input === "string"
      ? `unknown variant \`${issue.input}\`, expected ${serdeOneOf(variants)}`
      : `invalid type: ${describeFound(issue.input ?? null)}, expected string or map`;
}

/** A unit-only enum, refused in serde's words. */
export function serdeEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: enumRefusal(values) });
}

/**
 * Params that are Rust's unit `()` (a method that takes none): absent, null or an empty map pass;
 * anything else is refused as serde refuses it (``invalid type: map, expected unit``).
 */
export const UnitParams = z.unknown().superRefine((value, context) => {
  if (value === null || value === undefined) return;
  if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) return;
  // serde's unit visitor names a map and a sequence without an article (serde_json's struct visitor says "a map").
  const found = Array.isArray(value) ? "sequence" : typeof value === "object" ? "map" : describeFound(value);
  context.addIssue({ code: "custom", message: `invalid type: ${found}, expected unit` });
});

/** A struct field: a value that is not a map is refused naming the struct. */
export function serdeStruct<Shape extends z.ZodRawShape>(name: string, shape: Shape) {
  return z.object(shape, { error: `expected struct ${name}` });
}

/** A struct without fields that refuses unknown ones (serde's `deny_unknown_fields`), in serde's words. */
export const fieldlessStrictStruct = (name: string) =>
  z.looseObject({}, { error: `expected struct ${name}` }).superRefine((value, context) => {
    const [unknown] = Object.keys(value);
    if (unknown !== undefined) context.addIssue({ code: "custom", message: `unknown field \`${unknown}\`, there are no fields` });
  });
/**
 * A struct that refuses unknown fields, in serde's words: an unknown field is refused before a
 * missing one (serde meets it while it reads the map). `fields` in the struct's declaration order.
 */
export const strictStruct = <Shape extends z.ZodRawShape>(
  name: string,
  shape: Shape,
  fields: readonly (keyof Shape & string)[],
) =>
  z
    .unknown()
    .superRefine((value, context) => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        const found = Array.isArray(value) ? "a sequence" : describeFound(value);
        context.addIssue({ code: "custom", message: `invalid type: ${found}, expected struct ${name}` });
        return;
      }
      const unknown = Object.keys(value).find((key) => !fields.includes(key));
      if (unknown !== undefined) {
        context.addIssue({ code: "custom", message: `unknown field \`${unknown}\`, expected ${serdeOneOf(fields)}` });
      }
    })
    .pipe(z.object(shape));

/** A JSON-RPC request id as a cancel names it: a string or an integer, refused in serde's words (null too). */
export const RequestIdSchema = z.custom<string | number>((value) => typeof value === "string" || Number.isSafeInteger(value), {
  error: "data did not match any variant of untagged enum RequestId",
});

/** The ranges of Rust's integer types a text may be parsed into. */
export const I32_RANGE = { min: -2_147_483_648n, max: 2_147_483_647n } as const;
export const USIZE_RANGE = { min: 0n, max: 18_446_744_073_709_551_615n } as const;

/**
 * Why Rust's `str::parse` refuses `text` for an integer type of `range`, in its words (what Codex puts
 * after its own prefix: `invalid cursor: invalid digit found in string`); undefined when it reads.
 */
export function integerParseError(text: string, range: { min: bigint; max: bigint }): string | undefined {
  if (text === "") return "cannot parse integer from empty string";
  const sign = range.min < 0n ? "[+-]?" : "\\+?";
  if (!new RegExp(`^${sign}\\d+$`).test(text)) return "invalid digit found in string";
  const value = BigInt(text);
  if (value > range.max) return "number too large to fit in target type";
  if (value < range.min) return "number too small to fit in target type";
  return undefined;
}
