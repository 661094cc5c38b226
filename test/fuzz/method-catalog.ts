// Every registered method's params, walked from its zod schema (through the schema's JSON Schema):
// two valid-shaped sample params objects per method — a minimal one (optional fields null) and a
// full one (every optional field given a value, arrays given one item per kind of item, records one
// entry), so nested fields behind optional objects, unions and arrays are reached too — and every
// wrong-type mutation of them (each field, nested fields included, and params itself, replaced by
// values of each JSON type it does not take, or removed). The method's own zod schema says which
// mutations are really wrong: those must be answered -32600 "Invalid request: …"; the rest only need
// a normal answer. Cases are ordered per method path by path (each path's first case a rejected one
// when it has one), so a lane walking them reaches every param of every method early.
import { type MethodSpec, methodRegistry, notificationRegistry } from "@switchyard/protocol";
import type { Prng } from "./prng.js";

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  items?: JsonSchema;
  const?: unknown;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
}

export type ParamsPath = (string | number)[];

export interface WrongTypeCase {
  method: string;
  /** Where in params the wrong value went (`params` for params itself), e.g. `clientInfo.name`. */
  where: string;
  /** e.g. `clientInfo.name := 1.5`, `(full) input.0.text removed`. */
  variant: string;
  params: unknown;
  /** The method's schema rejects these params: the answer must be -32600 Invalid request. */
  rejected: boolean;
  /** A service-to-service method: a client naming it is answered as for an unknown method. */
  internal: boolean;
}

export interface MethodSample {
  method: string;
  spec: MethodSpec<unknown, unknown>;
  params: Record<string, unknown>;
  /** The same with every optional field filled in. */
  full: Record<string, unknown>;
  /** Every path in `params` or `full` (objects walked recursively), params itself excluded. */
  paths: ParamsPath[];
}

/** Values of every JSON type, including huge and negative numbers, put where they do not belong. */
export const WRONG_VALUES: readonly (readonly [string, unknown])[] = [
  ["integer", 42],
  ["negative", -1],
  ["negative-int32", -2147483649],
  ["float", 1.5],
  ["huge", 1e308],
  ["huge-negative", -1e308],
  ["beyond-u64", 2 ** 64],
  ["string", "fuzz"],
  ["empty-string", ""],
  ["true", true],
  ["false", false],
  ["null", null],
  ["empty-array", []],
  ["array", [1, "x", null, { k: true }]],
  ["empty-object", {}],
  ["object", { k: "v", n: 1, nested: { deeper: [1] } }],
];

/** Samples for string fields by name; everything else optional starts as null (valid: nullish). */
export interface SampleStrings {
  threadId: string;
}

/** A user input item as clients send it (the registry keeps input items loose: `{type, ...}`). */
const TEXT_INPUT = { type: "text", text: "fuzz input", text_elements: [] };
const MAX_SAMPLE_DEPTH = 8;

function typesOf(schema: JsonSchema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

const optionsOf = (schema: JsonSchema): JsonSchema[] | undefined => schema.anyOf ?? schema.oneOf;

/** The non-null options of a union, unions inside flattened. */
function nonNullOptions(schema: JsonSchema): JsonSchema[] {
  const options = optionsOf(schema);
  if (!options) return typesOf(schema).length === 1 && typesOf(schema)[0] === "null" ? [] : [schema];
  return options.flatMap(nonNullOptions);
}

class Sampler {
  constructor(
    private readonly strings: SampleStrings,
    private readonly full: boolean,
  ) {}

  value(name: string, schema: JsonSchema, required: boolean, depth: number): unknown {
    if (depth > MAX_SAMPLE_DEPTH) return null;
    const options = optionsOf(schema);
    if (options) {
      const nullable = options.some((option) => typesOf(option).includes("null"));
      if (!required && nullable && !this.full) return null;
      const candidates = nonNullOptions(schema);
      const objectOption = candidates.find((option) => typesOf(option).includes("object") && option.properties);
      if (this.full && objectOption) return this.object(objectOption, depth + 1);
      if (!this.full && objectOption && !nullable) return this.object(objectOption, depth + 1);
      const first = candidates[0];
      return first ? this.value(name, first, true, depth + 1) : null;
    }
    const types = typesOf(schema);
    if (!required && types.includes("null") && !this.full) return null;
    if (schema.enum) return schema.enum[0];
    if (schema.const !== undefined) return schema.const;
    switch (types.find((type) => type !== "null")) {
      case "object":
        return this.object(schema, depth + 1);
      case "string":
        return name === "threadId" ? this.strings.threadId : name === "version" ? "0.169.0" : `fuzz-${name}`;
      case "integer":
      case "number":
        return Math.max(1, schema.minimum ?? 1, (schema.exclusiveMinimum ?? 0) + 1);
      case "boolean":
        return false;
      case "array":
        return this.array(name, schema, depth + 1);
      default:
        return {};
    }
  }

  private array(name: string, schema: JsonSchema, depth: number): unknown[] {
    if (name === "input") return [TEXT_INPUT];
    if (!this.full || !schema.items) return [];
    const items = nonNullOptions(schema.items);
    // One item per kind of object item (input kinds, sandbox kinds, …), else one item.
    const objects = items.filter((option) => typesOf(option).includes("object"));
    if (objects.length > 1) return objects.map((option) => this.object(option, depth));
    return [this.value(`${name}Item`, schema.items, true, depth)];
  }

  object(schema: JsonSchema, depth: number): Record<string, unknown> {
    const required = new Set(schema.required ?? []);
    const sample: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      sample[name] = this.value(name, property, required.has(name), depth);
    }
    // A record (`{[key]: value}`): one entry, so its values are fuzzed too.
    const extra = schema.additionalProperties;
    if (this.full && !schema.properties && typeof extra === "object" && (typesOf(extra).length > 0 || optionsOf(extra))) {
      sample.fuzzKey = this.value("fuzzKey", extra, true, depth);
    }
    return sample;
  }
}

function pathsOf(value: unknown, prefix: ParamsPath = []): ParamsPath[] {
  if (typeof value !== "object" || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value as Record<string, unknown>);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

const REMOVE = Symbol("remove");

function hasPath(value: unknown, path: ParamsPath): boolean {
  let cursor: unknown = value;
  for (const key of path) {
    if (typeof cursor !== "object" || cursor === null || !Object.hasOwn(cursor, key)) return false;
    cursor = (cursor as Record<string | number, unknown>)[key];
  }
  return true;
}

function withValueAt(params: unknown, path: ParamsPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: any = structuredClone(params);
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key];
  const last = path[path.length - 1] as string | number;
  if (value === REMOVE) {
    if (Array.isArray(cursor)) cursor.splice(last as number, 1);
    else delete cursor[last];
  } else cursor[last] = value;
  return copy;
}

/** Whether the gateway's decoding step would refuse these params (as connection.ts decodes them). */
function isRejected(spec: MethodSpec<unknown, unknown>, params: unknown): boolean {
  if (params === null || params === undefined) return spec.paramsRequired || !spec.params.safeParse({}).success;
  return !spec.params.safeParse(params).success;
}

/** The protocol's method families, by the first segment of a method's name. */
export function familyOf(method: string): string {
  const spec = methodRegistry.get(method);
  if (spec?.internal) return "internal (unknown to clients)";
  if (spec?.owner === "gateway") return "gateway-local";
  if (method.startsWith("turn/") || method === "thread/compact/start") return "turn";
  if (method.startsWith("switchyard/sessionConfig/") || method.startsWith("switchyard/configLock/"))
    return "switchyard/session config";
  if (method.startsWith("switchyard/secret/")) return "switchyard/secret";
  if (spec?.owner === "remote-control") return "remote control";
  if (method.startsWith("thread/search")) return "thread search";
  if (spec?.owner === "thread") return "thread";
  return "config";
}

export class MethodCatalog {
  readonly samples: MethodSample[];
  readonly wrongTypeCases: WrongTypeCase[];
  /** Each method's cases, path by path (see the file comment). */
  readonly casesByMethod = new Map<string, WrongTypeCase[]>();

  constructor(strings: SampleStrings) {
    this.samples = [...methodRegistry.values()].map((spec) => {
      const schema = spec.params.toJSONSchema({ io: "input", unrepresentable: "any" }) as JsonSchema;
      const objectSchema =
        schema.type === "object" ? schema : nonNullOptions(schema).find((option) => typesOf(option).includes("object"));
      const params = objectSchema ? new Sampler(strings, false).object(objectSchema, 1) : {};
      const full = objectSchema ? new Sampler(strings, true).object(objectSchema, 1) : {};
      const seen = new Set<string>();
      const paths = [...pathsOf(params), ...pathsOf(full)].filter((path) => {
        const key = path.join(".");
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return { method: spec.method, spec, params, full, paths };
    });
    for (const sample of this.samples) {
      const groups: WrongTypeCase[][] = [];
      for (const path of [[], ...sample.paths]) {
        const where = path.length === 0 ? "params" : path.join(".");
        const cases: WrongTypeCase[] = [];
        const bases: [string, unknown][] = hasPath(sample.params, path) ? [["", sample.params]] : [];
        if (path.length > 0 && hasPath(sample.full, path)) bases.push(["(full) ", sample.full]);
        if (bases.length === 0) continue;
        for (const [label, value] of WRONG_VALUES) {
          for (const [tag, base] of path.length === 0 ? [["", sample.params] as const] : bases) {
            const params = withValueAt(base, path, value);
            cases.push(this.make(sample, where, `${tag}${where} := ${label}`, params));
          }
        }
        if (path.length > 0) {
          const [tag, base] = bases[bases.length - 1] as [string, unknown];
          cases.push(this.make(sample, where, `${tag}${where} removed`, withValueAt(base, path, REMOVE)));
        }
        groups.push(cases);
      }
      this.casesByMethod.set(sample.method, groups.flat());
      this.groupsByMethod.set(sample.method, groups);
    }
    this.wrongTypeCases = [...this.casesByMethod.values()].flat();
  }

  private readonly groupsByMethod = new Map<string, WrongTypeCase[][]>();

  private make(sample: MethodSample, where: string, variant: string, params: unknown): WrongTypeCase {
    return {
      method: sample.method,
      where,
      variant,
      params,
      rejected: isRejected(sample.spec, params),
      internal: sample.spec.internal === true,
    };
  }

  /**
   * One method's cases in the order a lane sends them: round r takes the r-th case of every path,
   * each path's cases shuffled with a rejected one first.
   */
  orderedCases(method: string, prng: Prng): WrongTypeCase[] {
    const groups = (this.groupsByMethod.get(method) ?? []).map((group) => {
      const shuffled = [...group];
      for (let index = shuffled.length - 1; index > 0; index--) {
        const other = prng.int(index + 1);
        [shuffled[index], shuffled[other]] = [shuffled[other] as WrongTypeCase, shuffled[index] as WrongTypeCase];
      }
      const firstRejected = shuffled.findIndex((entry) => entry.rejected);
      if (firstRejected > 0) shuffled.unshift(...shuffled.splice(firstRejected, 1));
      return shuffled;
    });
    const ordered: WrongTypeCase[] = [];
    const rounds = Math.max(0, ...groups.map((group) => group.length));
    for (let round = 0; round < rounds; round++)
      for (const group of groups) {
        const entry = group[round];
        if (entry) ordered.push(entry);
      }
    return ordered;
  }

  sample(method: string): MethodSample {
    const sample = this.samples.find((candidate) => candidate.method === method);
    if (!sample) throw new Error(`no registered method ${method}`);
    return sample;
  }

  get methods(): string[] {
    return this.samples.map((sample) => sample.method);
  }

  /** Methods a client may call (internal ones are unknown to clients). */
  get clientMethods(): string[] {
    return this.samples.filter((sample) => !sample.spec.internal).map((sample) => sample.method);
  }

  /** Every path (with `params`) that has a rejected case, per method. */
  rejectablePaths(method: string): string[] {
    return (this.groupsByMethod.get(method) ?? [])
      .filter((group) => group.some((entry) => entry.rejected))
      .map((group) => (group[0] as WrongTypeCase).where);
  }
}

/**
 * A lane's walk through the wrong-type cases: methods in turn (a shuffled rotation), each method's
 * cases in `orderedCases` order from an offset of its own per lane, so the lanes share the work.
 */
export class WrongTypeCursor {
  private readonly methods: string[];
  private readonly sequences = new Map<string, { cases: WrongTypeCase[]; next: number }>();
  private turn = 0;

  constructor(catalog: MethodCatalog, prng: Prng, lane: number, lanes: number) {
    this.methods = [...catalog.methods];
    for (let index = this.methods.length - 1; index > 0; index--) {
      const other = prng.int(index + 1);
      [this.methods[index], this.methods[other]] = [this.methods[other] as string, this.methods[index] as string];
    }
    for (const method of this.methods) {
      const cases = catalog.orderedCases(method, prng);
      this.sequences.set(method, { cases, next: Math.floor((cases.length * (lane % lanes)) / lanes) });
    }
  }

  next(): WrongTypeCase {
    const method = this.methods[this.turn++ % this.methods.length] as string;
    const sequence = this.sequences.get(method) as { cases: WrongTypeCase[]; next: number };
    const chosen = sequence.cases[sequence.next % sequence.cases.length] as WrongTypeCase;
    sequence.next++;
    return chosen;
  }
}

/** A client → server notification: a name and params (undefined: no `params` member). */
export interface NotificationCase {
  /** `initialized`, `server notification` (a name the server sends), `method` (a request name, no id), `unknown`. */
  kind: "initialized" | "server notification" | "method" | "unknown";
  name: string;
  variant: string;
  params: unknown;
}

const UNKNOWN_NOTIFICATIONS = [
  "",
  "/",
  "initialized/",
  "Initialized",
  "notifications/initialized",
  "$/cancelRequest",
  "__proto__",
  "constructor",
  "exit",
  "thread/../initialized",
  "ﬁ/unicode/🚀",
];

/** Client notifications to send: each kind's names with sample and wrong-typed params. */
export class NotificationCatalog {
  readonly byKind = new Map<NotificationCase["kind"], NotificationCase[]>();

  constructor(strings: SampleStrings, methods: MethodCatalog) {
    const initialized: NotificationCase[] = [
      { kind: "initialized", name: "initialized", variant: "no params", params: undefined },
      { kind: "initialized", name: "initialized", variant: "params {}", params: {} },
      { kind: "initialized", name: "initialized", variant: "params with fields", params: { threadId: strings.threadId, x: [1] } },
      ...WRONG_VALUES.map(([label, value]) => ({
        kind: "initialized" as const,
        name: "initialized",
        variant: `params := ${label}`,
        params: value,
      })),
    ];
    const server: NotificationCase[] = [];
    for (const [name, spec] of notificationRegistry) {
      const schema = spec.params.toJSONSchema({ io: "input", unrepresentable: "any" }) as JsonSchema;
      const objectSchema =
        schema.type === "object" ? schema : nonNullOptions(schema).find((option) => typesOf(option).includes("object"));
      const sample = objectSchema ? new Sampler(strings, true).object(objectSchema, 1) : {};
      server.push({ kind: "server notification", name, variant: "sample params", params: sample });
      for (const path of [[], ...pathsOf(sample)]) {
        for (const [label, value] of WRONG_VALUES) {
          server.push({
            kind: "server notification",
            name,
            variant: `${path.length === 0 ? "params" : path.join(".")} := ${label}`,
            params: withValueAt(sample, path, value),
          });
        }
      }
    }
    const asMethods: NotificationCase[] = methods.samples.flatMap((sample) => [
      { kind: "method" as const, name: sample.method, variant: "sample params", params: sample.params },
      { kind: "method" as const, name: sample.method, variant: "full params", params: sample.full },
      ...(methods.casesByMethod.get(sample.method) ?? [])
        .filter((_, index) => index % 7 === 0)
        .map((entry) => ({ kind: "method" as const, name: sample.method, variant: entry.variant, params: entry.params })),
    ]);
    const unknown: NotificationCase[] = UNKNOWN_NOTIFICATIONS.flatMap((name) => [
      { kind: "unknown" as const, name, variant: "params {}", params: {} },
      { kind: "unknown" as const, name, variant: "no params", params: undefined },
    ]);
    this.byKind.set("initialized", initialized);
    this.byKind.set("server notification", server);
    this.byKind.set("method", asMethods);
    this.byKind.set("unknown", unknown);
  }

  /** Every distinct name of a kind. */
  names(kind: NotificationCase["kind"]): string[] {
    return [...new Set((this.byKind.get(kind) ?? []).map((entry) => entry.name))];
  }

  /** A case of `kind` for the `turn`-th name in rotation (so names are all reached), its variant at random. */
  pick(kind: NotificationCase["kind"], turn: number, prng: Prng): NotificationCase {
    const names = this.names(kind);
    const name = names[turn % names.length] as string;
    const key = `${kind}|${name}`;
    let cases = this.byName.get(key);
    if (!cases) {
      cases = (this.byKind.get(kind) ?? []).filter((entry) => entry.name === name);
      this.byName.set(key, cases);
    }
    return prng.pick(cases);
  }

  private readonly byName = new Map<string, NotificationCase[]>();
}
