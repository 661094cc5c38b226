// TOML text ⇄ config tables. Parsed tables are plain JSON-shaped objects (TOML datetimes become
// their TOML text), so they can go on the wire, be hashed for versions and compared as they are.
import { parse, stringify, TomlDate, TomlError } from "smol-toml";
import { type ConfigTable, isConfigTable, setOwn } from "./layers.js";

/** A TOML syntax error with its 1-based position. */
export class ConfigTomlError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = "ConfigTomlError";
  }
}

function toPlain(value: unknown): unknown {
  if (value instanceof TomlDate) return value.toISOString();
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === "object" && value !== null) {
    const table: ConfigTable = {};
    for (const [key, entry] of Object.entries(value)) setOwn(table, key, toPlain(entry));
    return table;
  }
  return value;
}

/** Errors read "TOML parse error at line L, column C: <reason>" followed by the offending lines. */
export function parseConfigToml(text: string): ConfigTable {
  try {
    return toPlain(parse(text)) as ConfigTable;
  } catch (error) {
    if (error instanceof TomlError) {
      const [headline = "", ...rest] = error.message.split("\n");
      const reason = headline.replace(/^Invalid TOML document: /, "");
      const excerpt = rest.join("\n").trim();
      throw new ConfigTomlError(
        `TOML parse error at line ${error.line}, column ${error.column}: ${reason}${excerpt ? `\n${excerpt}` : ""}`,
        error.line,
        error.column,
      );
    }
    throw error;
  }
}

/** TOML has no null: null entries (in tables and arrays) are left out rather than failing. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null && item !== undefined).map(withoutNulls);
  if (isConfigTable(value)) {
    const table: ConfigTable = {};
    for (const [key, entry] of Object.entries(value)) {
      if (entry !== null && entry !== undefined) setOwn(table, key, withoutNulls(entry));
    }
    return table;
  }
  return value;
}

export function configToToml(table: ConfigTable): string {
  return stringify(withoutNulls(table) as ConfigTable);
}
