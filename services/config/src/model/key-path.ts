// Config key paths as `config/value/write` spells them: dots separate segments; a segment in double
// quotes may hold dots, and inside quotes a backslash escapes the next character.
import { ConfigWriteError } from "./errors.js";

function invalidKeyPath(message: string): ConfigWriteError {
  return new ConfigWriteError("configValidationError", message);
}

/**
 * Follows Codex's parser character for character (texts verified against codex 0.171.0): a quote
 * opens only at the start of a segment, bare segments stay permissive (`sample@catalog`).
 */
export function parseKeyPath(text: string): string[] {
  if (text.trim() === "") throw invalidKeyPath("keyPath must not be empty");

  const segments: string[] = [];
  let segment = "";
  let quoted = false;
  const chars = [...text];
  for (let index = 0; index < chars.length; index += 1) {
    const char = chars[index] as string;
    if (char === '"' && segment === "" && !quoted) {
      quoted = true;
    } else if (char === '"' && quoted) {
      quoted = false;
    } else if (char === "\\" && quoted) {
      index += 1;
      const escaped = chars[index];
      if (escaped === undefined) throw invalidKeyPath("unterminated escape in keyPath");
      segment += escaped;
    } else if (char === "." && !quoted) {
      if (segment === "") throw invalidKeyPath("keyPath segments must not be empty");
      segments.push(segment);
      segment = "";
    } else if (char === '"') {
      throw invalidKeyPath("invalid quoted keyPath segment");
    } else {
      segment += char;
    }
  }
  if (quoted) throw invalidKeyPath("unterminated quoted keyPath segment");
  if (segment === "") throw invalidKeyPath("keyPath segments must not be empty");
  segments.push(segment);
  return segments;
}

/** The inverse of `parseKeyPath`: segments that would not survive bare are quoted and escaped. */
export function formatKeyPath(segments: readonly string[]): string {
  return segments
    .map((segment) =>
      segment === "" || /["."]/.test(segment) ? `"${segment.replace(/[\\"]/g, (char) => `\\${char}`)}"` : segment,
    )
    .join(".");
}
