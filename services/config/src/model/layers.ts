// Config layers: their sources and precedence, the recursive merge, and the effective config with
// per-leaf origins. Pure data in, data out; Codex's `ConfigLayerStack` made tenant-agnostic.
import { configLayerVersion } from "@switchyard/protocol";

export type ConfigTable = Record<string, unknown>;

export type LayerSource =
  | { type: "packagedDefaults"; file: string }
  | { type: "system"; file: string }
  | { type: "enterpriseManaged"; id: string; name: string }
  | { type: "user"; file: string; profile?: string | null }
  | { type: "project"; dotCodexFolder: string }
  | { type: "sessionFlags" }
  | { type: "legacyManagedConfigTomlFromFile"; file: string };

export interface ConfigLayer {
  name: LayerSource;
  config: ConfigTable;
  disabledReason?: string | null;
}

export interface LayerView {
  name: LayerSource;
  version: string;
  config: ConfigTable;
  disabledReason: string | null;
}

export interface LayerMetadata {
  name: LayerSource;
  version: string;
}

export interface EffectiveConfig {
  config: ConfigTable;
  /** Each leaf's dotted path (segments joined with "." unquoted, array elements by index, as Codex spells them). */
  origins: Record<string, LayerMetadata>;
  /** Highest precedence first, disabled layers included. */
  layers: LayerView[];
}

/** Codex's precedence values (codex-wire.md "Config RPCs"); higher wins. */
export function precedenceOf(source: LayerSource): number {
  switch (source.type) {
    case "packagedDefaults":
      return -10;
    case "system":
      return 10;
    case "enterpriseManaged":
      return 15;
    case "user":
      return source.profile ? 21 : 20;
    case "project":
      return 25;
    case "sessionFlags":
      return 30;
    case "legacyManagedConfigTomlFromFile":
      return 40;
  }
}

export function isConfigTable(value: unknown): value is ConfigTable {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Defines an own property even for keys like `__proto__`, which plain assignment would turn into a prototype change. */
export function setOwn(table: ConfigTable, key: string, value: unknown): void {
  Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
}

export function hasOwn(table: ConfigTable, key: string): boolean {
  return Object.hasOwn(table, key);
}

export function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => deepClone(item)) as T;
  if (isConfigTable(value)) {
    const copy: ConfigTable = {};
    for (const [key, entry] of Object.entries(value)) setOwn(copy, key, deepClone(entry));
    return copy as T;
  }
  return value;
}

/** Structural equality of config values; table key order does not matter. */
export function deepEqual(left: unknown, right: unknown): boolean {
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => deepEqual(item, right[index]))
    );
  }
  if (isConfigTable(left) || isConfigTable(right)) {
    if (!isConfigTable(left) || !isConfigTable(right)) return false;
    const leftKeys = Object.keys(left);
    return (
      leftKeys.length === Object.keys(right).length &&
      leftKeys.every((key) => hasOwn(right, key) && deepEqual(left[key], right[key]))
    );
  }
  if (left instanceof Date && right instanceof Date) return left.getTime() === right.getTime();
  return Object.is(left, right);
}

/** Tables merge recursively; scalars and arrays from `overlay` replace. Inputs are never mutated. */
export function mergeTables(base: ConfigTable, overlay: ConfigTable): ConfigTable {
  const merged = deepClone(base);
  for (const [key, overlayValue] of Object.entries(overlay)) {
    const baseValue = hasOwn(merged, key) ? merged[key] : undefined;
    if (isConfigTable(baseValue) && isConfigTable(overlayValue)) {
      setOwn(merged, key, mergeTables(baseValue, overlayValue));
    } else {
      setOwn(merged, key, deepClone(overlayValue));
    }
  }
  return merged;
}

/** Walks tables by key and arrays by decimal index, like Codex's `value_at_path`. */
export function valueAtPath(root: unknown, segments: readonly string[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (isConfigTable(current)) {
      if (!hasOwn(current, segment)) return undefined;
      current = current[segment];
    } else if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else {
      return undefined;
    }
  }
  return current;
}

/**
 * Every leaf with its path. Arrays are walked element by element and empty tables or arrays have no
 * leaves: that is what Codex's `origins` holds (verified with codex 0.171.0: `notify.0`, `skills.config.0.path`).
 */
export function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (isConfigTable(value)) {
    return Object.entries(value).flatMap(([key, entry]) => leafPaths(entry, [...prefix, key]));
  }
  if (Array.isArray(value)) {
    return value.flatMap((entry, index) => leafPaths(entry, [...prefix, String(index)]));
  }
  return prefix.length === 0 ? [] : [prefix];
}

function projectDepth(source: LayerSource): number {
  return source.type === "project" ? source.dotCodexFolder.split("/").filter(Boolean).length : 0;
}

/** Lowest precedence first. Project layers share one precedence; the deeper `.codex` folder (closer to cwd) wins. */
function sortLowToHigh(layers: readonly ConfigLayer[]): ConfigLayer[] {
  return layers
    .map((layer, index) => ({ layer, index }))
    .sort(
      (a, b) =>
        precedenceOf(a.layer.name) - precedenceOf(b.layer.name) ||
        projectDepth(a.layer.name) - projectDepth(b.layer.name) ||
        a.index - b.index,
    )
    .map(({ layer }) => layer);
}

export function isLayerEnabled(layer: ConfigLayer): boolean {
  return layer.disabledReason === undefined || layer.disabledReason === null;
}

export function resolveLayers(layers: ConfigLayer[]): EffectiveConfig {
  const lowToHigh = sortLowToHigh(layers);
  const views: LayerView[] = lowToHigh.map((layer) => ({
    name: layer.name,
    version: configLayerVersion(layer.config),
    config: deepClone(layer.config),
    disabledReason: layer.disabledReason ?? null,
  }));
  const enabled = views.filter((view) => view.disabledReason === null);
  const config = enabled.reduce<ConfigTable>((merged, view) => mergeTables(merged, view.config), {});

  // The layer that supplied a leaf is the highest enabled layer holding a value at that path: a
  // higher layer that replaced an ancestor with a scalar would have removed the leaf altogether.
  const highToLowEnabled = [...enabled].reverse();
  const origins: Record<string, LayerMetadata> = {};
  for (const segments of leafPaths(config)) {
    const source = highToLowEnabled.find((view) => valueAtPath(view.config, segments) !== undefined);
    if (source) setOwn(origins, segments.join("."), { name: source.name, version: source.version });
  }
  return { config, origins, layers: views.reverse() };
}
