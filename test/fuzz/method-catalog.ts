// Every registered method's params, walked from its zod schema (through the schema's JSON Schema):
// a valid sample params object per method, and every wrong-type mutation of it (each field, nested
// fields included, and params itself, replaced by values of each JSON type it does not take). The
// method's own zod schema says which mutations are really wrong: those must be answered -32600
// "Invalid request: …"; the rest only need a normal answer.
import { type MethodSpec, methodRegistry } from "@switchyard/protocol";

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  items?: JsonSchema;
  const?: unknown;
}

export type ParamsPath = (string | number)[];

export interface WrongTypeCase {
  method: string;
  /** e.g. `clientInfo.name := 1.5`. */
  variant: string;
  params: unknown;
  /** The method's schema rejects these params: the answer must be -32600 Invalid request. */
  rejected: boolean;
}

export interface MethodSample {
  method: string;
  spec: MethodSpec<unknown, unknown>;
  params: Record<string, unknown>;
  /** Every path in `params` (objects walked recursively), params itself excluded. */
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

function typesOf(schema: JsonSchema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function sampleValue(name: string, schema: JsonSchema, required: boolean, strings: SampleStrings): unknown {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    const objectOption = options.find((option) => typesOf(option).includes("object") && option.properties);
    if (objectOption) return sampleObject(objectOption, strings);
    if (!required && options.some((option) => typesOf(option).includes("null"))) return null;
    return sampleValue(name, options[0] as JsonSchema, required, strings);
  }
  const types = typesOf(schema);
  if (!required && types.includes("null")) return null;
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  switch (types[0]) {
    case "object":
      return sampleObject(schema, strings);
    case "string":
      return name === "threadId" ? strings.threadId : name === "version" ? "0.169.0" : `fuzz-${name}`;
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return false;
    case "array":
      return [];
    default:
      return {};
  }
}

function sampleObject(schema: JsonSchema, strings: SampleStrings): Record<string, unknown> {
  const required = new Set(schema.required ?? []);
  const sample: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    sample[name] = sampleValue(name, property, required.has(name), strings);
  }
  return sample;
}

function pathsOf(value: unknown, prefix: ParamsPath = []): ParamsPath[] {
  if (typeof value !== "object" || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value as Record<string, unknown>);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

const REMOVE = Symbol("remove");

function withValueAt(params: unknown, path: ParamsPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: any = structuredClone(params);
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key];
  const last = path[path.length - 1] as string | number;
  if (value === REMOVE) delete cursor[last];
  else cursor[last] = value;
  return copy;
}

/** Whether the gateway's decoding step would refuse these params (as connection.ts decodes them). */
function isRejected(spec: MethodSpec<unknown, unknown>, params: unknown): boolean {
  if (params === null || params === undefined) return spec.paramsRequired || !spec.params.safeParse({}).success;
  return !spec.params.safeParse(params).success;
}

export class MethodCatalog {
  readonly samples: MethodSample[];
  readonly wrongTypeCases: WrongTypeCase[];

  constructor(strings: SampleStrings) {
    this.samples = [...methodRegistry.values()].map((spec) => {
      const schema = spec.params.toJSONSchema({ io: "input", unrepresentable: "any" }) as JsonSchema;
      const objectSchema = schema.type === "object" ? schema : schema.anyOf?.find((option) => typesOf(option).includes("object"));
      const params = objectSchema ? sampleObject(objectSchema, strings) : {};
      return { method: spec.method, spec, params, paths: pathsOf(params) };
    });
    this.wrongTypeCases = this.samples.flatMap((sample) => {
      const cases: WrongTypeCase[] = [];
      for (const path of [[], ...sample.paths]) {
        const where = path.length === 0 ? "params" : path.join(".");
        for (const [label, value] of WRONG_VALUES) {
          const params = withValueAt(sample.params, path, value);
          cases.push({
            method: sample.method,
            variant: `${where} := ${label}`,
            params,
            rejected: isRejected(sample.spec, params),
          });
        }
        if (path.length > 0) {
          const params = withValueAt(sample.params, path, REMOVE);
          cases.push({ method: sample.method, variant: `${where} removed`, params, rejected: isRejected(sample.spec, params) });
        }
      }
      return cases;
    });
  }

  sample(method: string): MethodSample {
    const sample = this.samples.find((candidate) => candidate.method === method);
    if (!sample) throw new Error(`no registered method ${method}`);
    return sample;
  }

  get methods(): string[] {
    return this.samples.map((sample) => sample.method);
  }
}
