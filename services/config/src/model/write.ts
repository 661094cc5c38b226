// Config writes: applying `config/value/write` / `config/batchWrite` edits to a layer's table,
// validating the result, and working out whether a higher layer overrides what was written.
// Behaviour and texts follow codex 0.171.0 (probed) and its config service source.
import { ConfigWriteError } from "./errors.js";
import { canonicalFeatureName } from "./features.js";
import { parseKeyPath } from "./key-path.js";
import {
  type ConfigTable,
  deepClone,
  deepEqual,
  type EffectiveConfig,
  hasOwn,
  isConfigTable,
  type LayerMetadata,
  type LayerSource,
  mergeTables,
  setOwn,
  valueAtPath,
} from "./layers.js";
import { CONFIG_SCHEMA, unknownTopLevelKeys, validateAgainst } from "./schema.js";

export {
  ConfigRejectedError,
  ConfigWriteError,
  type ConfigWriteErrorCode,
  checkExpectedVersion,
  layerReadonlyError,
  userLayerNotFoundError,
  versionConflictError,
} from "./errors.js";

export interface ConfigEdit {
  keyPath: string;
  /** `null` clears the key. */
  value: unknown;
  mergeStrategy: "replace" | "upsert";
}

const validationError = (message: string) => new ConfigWriteError("configValidationError", message);

/** JSON → TOML value: TOML has no null, so a null anywhere inside a value is refused (Codex's text). */
function checkTomlRepresentable(value: unknown): void {
  if (value === null || value === undefined) {
    throw validationError("invalid value: invalid type: null, expected any valid TOML value");
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    // Ours: JSON cannot carry these, but a caller inside the process could.
    throw validationError("invalid value: number must be finite");
  }
  if (Array.isArray(value)) value.forEach(checkTomlRepresentable);
  else if (isConfigTable(value)) Object.values(value).forEach(checkTomlRepresentable);
}

/** Codex 0.171.0 refuses to write legacy profile selectors (texts verified). Clearing them is allowed. */
function refuseLegacyProfileWrite(segments: readonly string[]): void {
  if (segments.length === 1 && segments[0] === "profile") {
    throw validationError(
      "`profile` is a legacy config selector and can no longer be written; use `--profile <name>` with `<name>.config.toml` instead",
    );
  }
  if (segments[0] === "profiles") {
    throw validationError(
      "`profiles` contains legacy config profile tables and can no longer be written; use `--profile <name>` with `<name>.config.toml` instead",
    );
  }
}

/**
 * Clearing a path that does not exist is a no-op, as in codex 0.171.0 (`ok`). Ours: clearing below a
 * value that is not a table (`model.inner` while `model` is a string) names a path that cannot
 * exist, and is refused with `configPathNotFound` rather than silently ignored.
 */
function clearPath(root: ConfigTable, segments: readonly string[]): void {
  let current: unknown = root;
  for (const [index, segment] of segments.slice(0, -1).entries()) {
    if (!isConfigTable(current) || !hasOwn(current, segment)) return;
    current = current[segment];
    if (current !== undefined && current !== null && !isConfigTable(current)) {
      throw new ConfigWriteError(
        "configPathNotFound",
        `path not found: \`${segments.join(".")}\` (\`${segments.slice(0, index + 1).join(".")}\` is not a table)`,
      );
    }
  }
  if (isConfigTable(current)) delete current[segments[segments.length - 1] as string];
}

/**
 * Sets a value the way Codex does: missing or non-table intermediate tables are created (a scalar in
 * the way is replaced), but a scalar directly above the key is an error; `upsert` deep-merges when
 * both the old and the new value are tables.
 */
function setPath(root: ConfigTable, segments: readonly string[], value: unknown, strategy: ConfigEdit["mergeStrategy"]): void {
  const parents = segments.slice(0, -1);
  const last = segments[segments.length - 1] as string;
  let current: unknown = root;
  let holder: ConfigTable | undefined;
  let holderKey: string | undefined;
  for (const segment of parents) {
    if (!isConfigTable(current)) {
      current = {};
      if (holder && holderKey !== undefined) setOwn(holder, holderKey, current);
    }
    const table = current as ConfigTable;
    if (!hasOwn(table, segment)) setOwn(table, segment, {});
    holder = table;
    holderKey = segment;
    current = table[segment];
  }
  if (!isConfigTable(current)) throw validationError("cannot set value on non-table parent");

  const existing = hasOwn(current, last) ? current[last] : undefined;
  if (strategy === "upsert" && isConfigTable(existing) && isConfigTable(value)) {
    setOwn(current, last, mergeTables(existing, value));
  } else {
    setOwn(current, last, deepClone(value));
  }
}

/** Applies edits in order to a copy of `layer`; the input is not mutated. Validation is separate (`validateConfig`). */
export function applyEdits(layer: ConfigTable, edits: ConfigEdit[]): ConfigTable {
  const updated = deepClone(layer);
  for (const edit of edits) {
    const segments = parseKeyPath(edit.keyPath);
    if (edit.value === undefined) throw validationError("invalid value: value is missing"); // ours
    if (edit.value === null) {
      clearPath(updated, segments);
      continue;
    }
    refuseLegacyProfileWrite(segments);
    checkTomlRepresentable(edit.value);
    setPath(updated, segments, edit.value, edit.mergeStrategy);
  }
  return updated;
}

/**
 * Throws the first problem as Codex words it: "Invalid configuration: <what>\nin `<path>`\n". Unknown
 * keys pass, as in Codex 0.171.0 (`unknownConfigKeys` names them).
 */
export function validateConfig(config: ConfigTable): void {
  const failure = validateAgainst(config, CONFIG_SCHEMA, []);
  if (failure) {
    throw validationError(`Invalid configuration: ${failure.message}\nin \`${failure.path.join(".")}\`\n`);
  }
}

/** Dotted paths of top-level keys and `[features]` names Codex does not recognize (it ignores them with a warning). */
export function unknownConfigKeys(config: ConfigTable): string[] {
  const unknown = unknownTopLevelKeys(config);
  if (isConfigTable(config.features)) {
    for (const name of Object.keys(config.features)) {
      if (canonicalFeatureName(name) === undefined) unknown.push(`features.${name}`);
    }
  }
  return unknown;
}

/** Codex's startup warning for ignored settings, one line per key and layer. */
export function unrecognizedSettingsWarning(
  entries: readonly { layerLabel: string; file: string; keyPath: string }[],
): string | null {
  if (entries.length === 0) return null;
  const noun = entries.length === 1 ? "setting" : "settings";
  const lines = entries.map((entry) => `  ${entry.layerLabel} (${entry.file}): \`${entry.keyPath}\` is ignored.`);
  return [
    `Codex is ignoring ${entries.length} unrecognized configuration ${noun}. Check for typos or deprecated settings.`,
    ...lines,
  ].join("\n");
}

// ---- okOverridden -------------------------------------------------------------------------------

export interface OverriddenMetadata {
  message: string;
  overridingLayer: LayerMetadata;
  effectiveValue: unknown;
}

/** Codex's `override_message` texts (core/src/config/service.rs); the packaged-defaults one is ours. */
export function overrideMessage(source: LayerSource): string {
  switch (source.type) {
    case "system":
      return `Overridden by managed config (system): ${source.file}`;
    case "enterpriseManaged":
      return `Overridden by enterprise-managed config: ${source.name}`;
    case "project":
      return `Overridden by project config: ${source.dotCodexFolder}/config.toml`;
    case "sessionFlags":
      return "Overridden by session flags";
    case "user":
      return `Overridden by user config: ${source.file}`;
    case "legacyManagedConfigTomlFromFile":
      return `Overridden by legacy managed_config.toml: ${source.file}`;
    case "packagedDefaults":
      return `Overridden by packaged defaults: ${source.file}`;
  }
}

/**
 * For the first edited path whose effective value is not what the user layer holds, the layer that
 * supplies it (status `okOverridden`); null when every write took effect. `effective` must be resolved
 * with the updated user layer in it.
 */
export function findOverride(
  effective: EffectiveConfig,
  userLayerConfig: ConfigTable,
  editedPaths: readonly (readonly string[])[],
  /** How the effective value at a path is shown (the service redacts secrets). */
  present: (segments: readonly string[], value: unknown) => unknown = (_segments, value) => value,
): OverriddenMetadata | null {
  for (const segments of editedPaths) {
    const userValue = valueAtPath(userLayerConfig, segments);
    const effectiveValue = valueAtPath(effective.config, segments);
    if (userValue !== undefined && deepEqual(userValue, effectiveValue)) continue;
    if (userValue === undefined && effectiveValue === undefined) continue;
    const overriding = effective.layers.find(
      (layer) => layer.disabledReason === null && valueAtPath(layer.config, segments) !== undefined,
    );
    if (!overriding) continue;
    return {
      message: overrideMessage(overriding.name),
      overridingLayer: { name: overriding.name, version: overriding.version },
      effectiveValue: present(segments, effectiveValue ?? null),
    };
  }
  return null;
}
