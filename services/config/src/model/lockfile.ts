// Effective-config lockfiles (Codex PR "export and replay effective config locks"): a thread's
// resolved config saved as `{ version = 1, codex_version, [config] }`, and a later thread's
// regenerated lock compared against it, failing early with a TOML diff when they drift.
//
// The shape and the rules (strip the inputs that produced the values, materialize feature aliases,
// optionally tolerate a Codex version change) follow that PR. Codex 0.171.0 no longer ships the
// feature, so the error and diff texts are ours except the version-mismatch one (Codex source).
import { materializeFeatures } from "./features.js";
import { type ConfigTable, deepClone, isConfigTable, mergeTables } from "./layers.js";
import { configToToml, parseConfigToml } from "./toml.js";

export const LOCKFILE_VERSION = 1;

export interface Lockfile {
  version: typeof LOCKFILE_VERSION;
  codex_version: string;
  config: ConfigTable;
}

export class ConfigLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigLockError";
  }
}

/**
 * Inputs that produced values rather than values: profile selection, lockfile controls, file
 * includes, and facts about the machine or tenant (project trust, local paths, the session-config
 * endpoint). The top-level unified-exec toggle is folded into `features`.
 */
export const REPLAY_IRRELEVANT_KEYS: readonly string[] = [
  "profile",
  "profiles",
  "debug",
  "model_instructions_file",
  "experimental_compact_prompt_file",
  "experimental_instructions_file",
  "projects",
  "log_dir",
  "sqlite_home",
  "experimental_thread_config_endpoint",
  "experimental_use_unified_exec_tool",
];

export interface BuildLockfileOptions {
  codexVersion: string;
  /** Values the session resolved from the model catalog or at start (model, model_reasoning_effort, service_tier…). */
  resolved?: ConfigTable;
  /**
   * When false the resolved values are not written, so a replay resolves them again from the catalog
   * of its day; values the config itself set are always kept.
   */
  saveFieldsResolvedFromModelCatalog: boolean;
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isConfigTable(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeysDeep(value[key])]),
  );
}

export function buildLockfile(effective: ConfigTable, options: BuildLockfileOptions): Lockfile {
  let config = deepClone(effective);
  if (options.saveFieldsResolvedFromModelCatalog && options.resolved) config = mergeTables(config, options.resolved);
  const features = materializeFeatures(config);
  for (const key of REPLAY_IRRELEVANT_KEYS) delete config[key];
  config.features = features;
  return { version: LOCKFILE_VERSION, codex_version: options.codexVersion, config: sortKeysDeep(config) as ConfigTable };
}

export function lockfileToToml(lock: Lockfile): string {
  return configToToml({
    version: lock.version,
    codex_version: lock.codex_version,
    config: sortKeysDeep(lock.config) as ConfigTable,
  });
}

const LOCKFILE_FIELDS = ["version", "codex_version", "config"];

/** Parses and checks a lockfile; every problem is a `ConfigLockError` saying what to fix. */
export function parseLockfile(toml: string): Lockfile {
  let table: ConfigTable;
  try {
    table = parseConfigToml(toml);
  } catch (error) {
    throw new ConfigLockError(`failed to parse config lock: ${(error as Error).message}`);
  }
  const unknown = Object.keys(table).find((key) => !LOCKFILE_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw new ConfigLockError(
      `failed to parse config lock: unknown field \`${unknown}\`, expected one of \`version\`, \`codex_version\`, \`config\``,
    );
  }
  for (const field of LOCKFILE_FIELDS) {
    if (table[field] === undefined) throw new ConfigLockError(`failed to parse config lock: missing field \`${field}\``);
  }
  if (typeof table.version !== "number" || !Number.isInteger(table.version)) {
    throw new ConfigLockError("failed to parse config lock: `version` must be an integer");
  }
  if (table.version !== LOCKFILE_VERSION) {
    throw new ConfigLockError(`unsupported config lock version ${table.version}; expected ${LOCKFILE_VERSION}`);
  }
  if (typeof table.codex_version !== "string") {
    throw new ConfigLockError("failed to parse config lock: `codex_version` must be a string");
  }
  if (!isConfigTable(table.config)) throw new ConfigLockError("failed to parse config lock: `config` must be a table");
  return { version: LOCKFILE_VERSION, codex_version: table.codex_version, config: table.config };
}

// ---- comparison ---------------------------------------------------------------------------------

const bareKey = (key: string) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key));

function inlineToml(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value); // JSON escapes are valid TOML basic-string escapes
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value);
  }
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return `[${value.map(inlineToml).join(", ")}]`;
  if (isConfigTable(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${bareKey(key)} = ${inlineToml(value[key])}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  return JSON.stringify(value ?? null);
}

/** One line per leaf, each a valid TOML dotted-key assignment, so every diff line names its full key. */
function flatLines(value: unknown, prefix: string): string[] {
  if (isConfigTable(value) && Object.keys(value).length > 0) {
    return Object.keys(value)
      .sort()
      .flatMap((key) => flatLines(value[key], `${prefix}.${bareKey(key)}`));
  }
  return value === null || value === undefined ? [] : [`${prefix} = ${inlineToml(value)}`];
}

function lockLines(lock: Lockfile, includeCodexVersion: boolean): string[] {
  return [
    `version = ${lock.version}`,
    ...(includeCodexVersion ? [`codex_version = ${JSON.stringify(lock.codex_version)}`] : []),
    ...flatLines(lock.config, "config"),
  ];
}

type DiffLine = { op: " " | "-" | "+"; text: string };

function diffLines(expected: string[], actual: string[]): DiffLine[] {
  const rows = expected.length;
  const cols = actual.length;
  // lcs[i][j]: longest common subsequence of expected[i..] and actual[j..].
  const lcs = Array.from({ length: rows + 1 }, () => new Array<number>(cols + 1).fill(0));
  for (let i = rows - 1; i >= 0; i -= 1) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = cols - 1; j >= 0; j -= 1) {
      row[j] = expected[i] === actual[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const script: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < rows || j < cols) {
    if (i < rows && j < cols && expected[i] === actual[j]) {
      script.push({ op: " ", text: expected[i] as string });
      i += 1;
      j += 1;
    } else if (i < rows && (j === cols || (lcs[i + 1]?.[j] as number) >= (lcs[i]?.[j + 1] as number))) {
      // Removals before additions, as unified diffs show a changed line.
      script.push({ op: "-", text: expected[i] as string });
      i += 1;
    } else {
      script.push({ op: "+", text: actual[j] as string });
      j += 1;
    }
  }
  return script;
}

/** Unified-diff hunks ("@@ -a,b +c,d @@") with three lines of context. */
function unifiedDiff(expected: string[], actual: string[]): string {
  const script = diffLines(expected, actual);
  const context = 3;
  const changed = script.flatMap((line, index) => (line.op === " " ? [] : [index]));
  if (changed.length === 0) return "";
  const ranges: [number, number][] = [];
  for (const index of changed) {
    const start = Math.max(0, index - context);
    const end = Math.min(script.length - 1, index + context);
    const last = ranges[ranges.length - 1];
    if (last && start <= last[1] + 1) last[1] = end;
    else ranges.push([start, end]);
  }
  const output = ["--- expected (lockfile)", "+++ actual (regenerated)"];
  for (const [start, end] of ranges) {
    const before = script.slice(0, start);
    const hunk = script.slice(start, end + 1);
    const oldStart = before.filter((line) => line.op !== "+").length + 1;
    const newStart = before.filter((line) => line.op !== "-").length + 1;
    const oldCount = hunk.filter((line) => line.op !== "+").length;
    const newCount = hunk.filter((line) => line.op !== "-").length;
    output.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const line of hunk) output.push(`${line.op}${line.text}`);
  }
  return output.join("\n");
}

/**
 * Whether a regenerated lock matches the saved one. With `allowCodexVersionMismatch` a different
 * `codex_version` is tolerated; everything else must match. `diff` is empty when they match.
 */
export function compareLockfiles(
  expected: Lockfile,
  actual: Lockfile,
  options: { allowCodexVersionMismatch: boolean },
): { matches: boolean; diff: string } {
  const includeVersion = !options.allowCodexVersionMismatch;
  const diff = unifiedDiff(lockLines(expected, includeVersion), lockLines(actual, includeVersion));
  return { matches: diff === "", diff };
}

/** The replay failure as one message: Codex surfaces it as a startup config error carrying the diff. */
export function lockMismatchMessage(diff: string): string {
  return `replayed effective config does not match config lock:\n${diff}`;
}
