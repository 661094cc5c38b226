// Renders a zod validation failure the way serde_json words it in Codex's `Invalid request: …`
// errors (`missing field \`threadId\``, `invalid type: integer \`5\`, expected a string`), so clients
// that match on those texts keep working.
import type { z } from "zod";
import { serdeOneOf } from "./errors.js";
import { clip } from "./frame-limits.js";

/** How serde describes a value it did not expect (`integer \`5\``, `a sequence`, …). */
export function describeFound(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return `boolean \`${value}\``;
  if (typeof value === "number") return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  if (typeof value === "string") return `string ${JSON.stringify(clip(value, 100))}`;
  if (Array.isArray(value)) return "a sequence";
  return "a map";
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "string":
      return "a string";
    case "boolean":
      return "a boolean";
    case "number":
    case "int":
      return "an integer";
    case "array":
      return "a sequence";
    case "object":
    case "record":
      return "a map";
    default:
      return expected;
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** Messages that are serde's whole text already (serde-types.ts), not a detail to wrap. */
const WHOLE_TEXT = /^(unknown variant `|invalid type: |invalid value: |AbsolutePathBuf )/;

/** The serde-style detail for the first issue, preferring wrong values over missing fields as serde does. */
export function serdeDetail(error: z.ZodError, input: unknown): string {
  const issues = error.issues;
  const present = issues.find((issue) => valueAt(input, issue.path) !== undefined);
  const issue = present ?? issues[0];
  if (!issue) return "invalid request";
  const found = valueAt(input, issue.path);
  const field = issue.path[issue.path.length - 1];
  if (found === undefined && field !== undefined) return `missing field \`${String(field)}\``;
  // A type of serde-types.ts gave serde's whole text.
  if (WHOLE_TEXT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      // A serde type names itself (serde-types.ts: `expected u32`, `expected struct CollaborationMode`).
      return issue.message.startsWith("expected ")
        ? `invalid type: ${describeFound(found)}, ${issue.message}`
        : `invalid type: ${describeFound(found)}, expected ${describeExpected(issue.expected)}`;
    case "invalid_value":
      // serde_json reads an enum from a string (a unit variant) or a map (one with data).
      if (typeof found !== "string") return `invalid type: ${describeFound(found)}, expected string or map`;
      return `unknown variant \`${clip(String(found), 100)}\`, expected ${serdeOneOf(issue.values.map(String))}`;
    case "too_small":
    case "too_big":
      return `invalid value: ${describeFound(found)}, ${issue.message}`;
    // A check of our own (`refine`) carries the whole text, in Codex's words where Codex has one.
    case "custom":
      return issue.message;
    default:
      return `invalid value: ${describeFound(found)}, ${issue.message}`;
  }
}
