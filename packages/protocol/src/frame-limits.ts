// Limits every client frame is held to before anything recurses over it, and the one walk that
// checks them. JSON.parse in V8 is iterative (a frame nested 100,000 levels deep parses), but every
// later pass — JSON.stringify onto the bus, zod, tracing, logging — recurses: so a decoded request is
// inspected here, iteratively, and refused when it is deeper than serde_json's own recursion limit
// (what Codex itself accepts) or holds a string Postgres cannot store.

/** serde_json's default recursion limit: Codex cannot parse a frame nested deeper than this. */
export const MAX_JSON_DEPTH = 128;

/** What an inspected value holds that Switchyard refuses. */
export type JsonDefect = { kind: "tooDeep"; maxDepth: number } | { kind: "nulCharacter"; path: string };

const NUL = "\u0000";

interface Visit {
  value: unknown;
  depth: number;
  parent: Visit | undefined;
  key: string | number;
}

function pathOf(visit: Visit): string {
  const segments: string[] = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) {
    segments.push(typeof at.key === "number" ? `[${at.key}]` : `.${at.key}`);
  }
  return segments.reverse().join("").replace(/^\./, "");
}

/**
 * Walks `value` without recursion and returns its first defect, or undefined when it has none:
 * nesting deeper than `maxDepth` (the top-level value is depth 1), or a NUL character in a string or
 * key (Postgres `text` and `jsonb` cannot hold U+0000).
 */
export function findJsonDefect(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonDefect | undefined {
  const stack: Visit[] = [{ value, depth: 1, parent: undefined, key: "" }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const current = visit.value;
    if (typeof current === "string") {
      if (current.includes(NUL)) return { kind: "nulCharacter", path: pathOf(visit) };
      continue;
    }
    if (typeof current !== "object" || current === null) continue;
    if (visit.depth > maxDepth) return { kind: "tooDeep", maxDepth };
    const depth = visit.depth + 1;
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        stack.push({ value: current[index], depth, parent: visit, key: index });
      }
      continue;
    }
    for (const key of Object.keys(current)) {
      if (key.includes(NUL)) return { kind: "nulCharacter", path: pathOf(visit) };
      stack.push({ value: (current as Record<string, unknown>)[key], depth, parent: visit, key });
    }
  }
  return undefined;
}

/** At most `maxChars` characters of client input, for echoing in an error text or a log line. */
export function clip(text: string, maxChars = 200): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length} characters)`;
}
