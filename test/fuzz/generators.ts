// One generator per frame class. Each returns a frame and what the contract expects of the answer.
// Frames that may or may not be requests (random text) go through `expectationForText`, a local
// reading of the JSON-RPC-lite rules: only an object with a string `method` and an integer or
// string `id` is a request and gets a reply; anything else gets silence.
import { CODEX_CLIENT_METHODS, methodRegistry } from "@switchyard/protocol";
import {
  checks,
  EchoGuard,
  type Expectation,
  type FuzzFrame,
  isRequestId,
  NUL_ANSWER_WITHIN_MS,
  type ReplyCheck,
  type RequestId,
  requestText,
} from "./frames.js";
import type { MethodCatalog, NotificationCase, NotificationCatalog, WrongTypeCursor } from "./method-catalog.js";
import { ALPHANUMERIC, PRINTABLE_ASCII, type Prng } from "./prng.js";

/** Unique request ids for one worker: integers and strings, alternately. */
export class IdAllocator {
  private counter = 0;
  private emptyStringTaken = false;

  constructor(
    private readonly prefix: string,
    private readonly integerBase: number,
  ) {}

  next(): RequestId {
    this.counter++;
    return this.counter % 2 === 0 ? this.integerBase + this.counter : `${this.prefix}-${this.counter}`;
  }

  nextInteger(): number {
    this.counter++;
    return this.integerBase + this.counter;
  }

  nextString(): string {
    this.counter++;
    return `${this.prefix}-${this.counter}`;
  }

  /** The empty string is a valid id, but only once per allocator (ids must be unique to match replies). */
  takeEmptyString(): boolean {
    if (this.emptyStringTaken) return false;
    this.emptyStringTaken = true;
    return true;
  }
}

/** Real threads the generators aim at. */
export interface FuzzThreads {
  /** A thread of the fuzz tenant that well-formed mutated requests use. */
  sample: string;
  /** Threads that take NUL names; most share the well-behaved connection's keyed partition. */
  nulTargets: string[];
}

export interface GeneratorContext {
  prng: Prng;
  ids: IdAllocator;
  catalog: MethodCatalog;
  /** The lane's walk through every method's wrong-type cases (random cases when absent). */
  wrongTypes?: WrongTypeCursor;
  notifications: NotificationCatalog;
  /** How many notification frames this lane has sent (names go round in turn). */
  notificationTurn: number;
  threads: FuzzThreads;
  big: BigStrings;
}

export const KIB = 1024;
export const MIB = 1024 * 1024;
/** Certainly over the request limit (NATS max_payload, 1 MiB by default) and under the 16 MiB frame cap. */
export const OVER_REQUEST_LIMIT_SIZES = [Math.ceil(1.5 * MIB), 10 * 1000 * 1000] as const;
/** Under the request limit, but far too big to echo. */
export const MEDIUM_PARAM_SIZE = 256 * KIB;
/** Over the gateway's hard frame cap (GATEWAY_MAX_FRAME_BYTES, 16 MiB by default). */
export const OVER_CAP_SIZE = 17 * MIB;
export const NESTING_OVER_LIMIT = [200, 1_000, 10_000, 100_000] as const;
export const NESTING_UNDER_LIMIT = 100;

/** Big strings: one periodic pattern (so echoes of it can be recognised), cached per size. */
export class BigStrings {
  readonly guard: EchoGuard;
  private readonly cache = new Map<number, string>();

  constructor(prng: Prng) {
    this.guard = new EchoGuard(prng.string(4096, ALPHANUMERIC));
  }

  of(size: number): string {
    let text = this.cache.get(size);
    if (text === undefined) {
      text = this.guard.fill(size);
      this.cache.set(size, text);
    }
    return text;
  }
}

const badInputChecks = (rule: "nul" | "wrongType"): ReplyCheck[] => [
  checks.invalidRequest(rule),
  checks.notInternal("noInternalForBadInput"),
];

function reply(id: RequestId, ...replyChecks: ReplyCheck[]): Expectation {
  return { kind: "reply", id, checks: replyChecks };
}

/** The contract's reading of any text frame: a request (reply expected) or silence. */
export function expectationForText(text: string, silentRule: "silentText" | "binary" = "silentText"): Expectation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "silent", rule: silentRule };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "silent", rule: silentRule };
  const message = value as Record<string, unknown>;
  if (typeof message.method === "string" && isRequestId(message.id)) return reply(message.id);
  return { kind: "silent", rule: silentRule };
}

// ---------------------------------------------------------------------------------------------
// random text, random bytes, binary

const JSON_TOKENS = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"method"',
  '"params"',
  '"result"',
  '"error"',
  "null",
  "true",
  "1",
  "-0",
  "1e999",
  '"x"',
  '"\\u0000"',
  '"\\ud800"',
  " ",
  "\n",
];

function randomJsonValue(prng: Prng, depth: number): unknown {
  const kind = depth <= 0 ? prng.int(5) : prng.int(7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return prng.pick([0, -1, 1.5, 2 ** 53, 1e308, -1e-308, prng.int(1000)]);
    case 3:
      return prng.string(prng.length(40), PRINTABLE_ASCII);
    case 4:
      return prng.pick(["thread/list", "initialize", "thread/name/set", "", "x"]);
    case 5:
      return Array.from({ length: prng.int(4) }, () => randomJsonValue(prng, depth - 1));
    default: {
      const object: Record<string, unknown> = {};
      const keys = ["id", "method", "params", "result", "error", "jsonrpc", prng.string(prng.range(1, 8), ALPHANUMERIC)];
      for (let index = prng.int(5); index > 0; index--) object[prng.pick(keys)] = randomJsonValue(prng, depth - 1);
      return object;
    }
  }
}

function sampleRequestText(ctx: GeneratorContext, id: RequestId): string {
  const sample = ctx.prng.pick(ctx.catalog.samples);
  return requestText(id, sample.method, JSON.stringify(sample.params));
}

function mutateText(prng: Prng, text: string): string {
  let mutated = text;
  for (let edits = prng.range(1, 3); edits > 0; edits--) {
    const at = prng.int(mutated.length + 1);
    const insert = prng.chance(0.5) ? prng.pick(JSON_TOKENS) : String.fromCharCode(prng.int(128));
    mutated = prng.chance(0.5)
      ? mutated.slice(0, at) + insert + mutated.slice(at + 1)
      : mutated.slice(0, at) + insert + mutated.slice(at);
  }
  return mutated;
}

export function randomText(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const variant = prng.weighted([
    ["printable", 3],
    ["token-soup", 3],
    ["json-value", 4],
    ["truncated-request", 2],
    ["mutated-request", 3],
    ["unicode", 2],
    ["blank", 1],
  ] as const);
  let text: string;
  switch (variant) {
    case "printable":
      text = prng.string(prng.length(4000), PRINTABLE_ASCII);
      break;
    case "token-soup":
      text = Array.from({ length: prng.length(200) }, () => prng.pick(JSON_TOKENS)).join("");
      break;
    case "json-value": {
      const value = randomJsonValue(prng, 4);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const message = value as Record<string, unknown>;
        // A request by chance gets a fresh id, so its reply can be told apart from every other.
        if (typeof message.method === "string" && isRequestId(message.id)) message.id = ctx.ids.next();
      }
      text = JSON.stringify(value);
      break;
    }
    case "truncated-request": {
      const full = sampleRequestText(ctx, ctx.ids.nextString());
      text = full.slice(0, prng.int(full.length));
      break;
    }
    case "mutated-request":
      text = mutateText(prng, sampleRequestText(ctx, ctx.ids.nextString()));
      break;
    case "unicode":
      text = Array.from({ length: prng.length(300) }, () =>
        prng.chance(0.2) ? String.fromCharCode(0xd800 + prng.int(0x800)) : String.fromCodePoint(prng.int(0x10ffff)),
      ).join("");
      break;
    case "blank":
      text = prng.pick(["", " ", "\n", "\t\r\n ", "\u0000"]);
      break;
  }
  return { frameClass: "random-text", variant, data: text, opcode: "text", expect: expectationForText(text) };
}

export function randomBytesAsText(ctx: GeneratorContext): FuzzFrame {
  const text = ctx.prng.bytes(ctx.prng.range(1, 4096)).toString("latin1");
  return { frameClass: "random-bytes", variant: "latin1", data: text, opcode: "text", expect: expectationForText(text) };
}

export function binaryFrame(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const variant = prng.weighted([
    ["random", 4],
    ["request-as-binary", 3],
    ["nul-request-as-binary", 1],
    ["empty", 1],
  ] as const);
  let data: Buffer;
  let id: RequestId | undefined;
  switch (variant) {
    case "random":
      data = prng.bytes(prng.length(8192));
      break;
    case "request-as-binary":
      id = ctx.ids.next();
      data = Buffer.from(sampleRequestText(ctx, id));
      break;
    case "nul-request-as-binary":
      id = ctx.ids.next();
      data = Buffer.from(requestText(id, "thread/list", JSON.stringify({ searchTerm: "a\u0000b" })));
      break;
    case "empty":
      data = Buffer.alloc(0);
      break;
  }
  return { frameClass: "binary", variant, data, opcode: "binary", expect: { kind: "silent", rule: "binary", id } };
}

// ---------------------------------------------------------------------------------------------
// wrong types, bad ids, bad methods, NUL

export function wrongType(ctx: GeneratorContext): FuzzFrame {
  const wrong = ctx.wrongTypes ? ctx.wrongTypes.next() : ctx.prng.pick(ctx.catalog.wrongTypeCases);
  const id = ctx.ids.next();
  const paramsJson = wrong.params === undefined ? undefined : JSON.stringify(wrong.params);
  // Every service runs: a well-formed request reaches its real handler, and "unavailable" is a failure too.
  const expect = wrong.internal
    ? reply(id, checks.code("wrongType", -32600), checks.notInternal("noInternalForBadInput"))
    : wrong.rejected
      ? reply(id, ...badInputChecks("wrongType"))
      : reply(id, checks.notInternal("noInternalForBadInput"));
  return {
    frameClass: "wrong-type",
    variant: `${wrong.method} ${wrong.variant}`,
    data: requestText(id, wrong.method, paramsJson),
    opcode: "text",
    expect,
    wrongType: { method: wrong.method, where: wrong.where, rejected: wrong.rejected || wrong.internal },
  };
}

// ---------------------------------------------------------------------------------------------
// client notifications

/** A frame without an id: `initialized`, a server notification's name, a method's name, an unknown name. */
export function clientNotification(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const kind = prng.weighted<NotificationCase["kind"]>([
    ["initialized", 3],
    ["server notification", 4],
    ["method", 4],
    ["unknown", 1],
  ]);
  const chosen = ctx.notifications.pick(kind, ctx.notificationTurn++, prng);
  const members = [`"method":${JSON.stringify(chosen.name)}`];
  if (chosen.params !== undefined) members.push(`"params":${JSON.stringify(chosen.params)}`);
  if (prng.chance(0.3)) members.push('"jsonrpc":"2.0"');
  if (prng.chance(0.5)) members.reverse();
  return {
    frameClass: "notification",
    variant: `${kind} ${JSON.stringify(chosen.name).slice(0, 60)} ${chosen.variant}`,
    data: `{${members.join(",")}}`,
    opcode: "text",
    expect: { kind: "silent", rule: "clientNotification" },
    notification: { kind, name: chosen.name },
  };
}

/** Ids that are not integers or strings: the frame is not a request and gets no reply. */
const BAD_ID_LITERALS = ["{}", "[]", "1.5", "-2.25", "true", "false", '{"n":1}', "[1]", "1e400", "-1e400", "null"];

/** Ids that are unusual but valid (integers or strings): the request must be answered, id echoed. */
function unusualValidId(ctx: GeneratorContext, variant: string, counter: number): RequestId {
  switch (variant) {
    case "empty-string":
      return ctx.ids.takeEmptyString() ? "" : `e${counter}`;
    case "unicode-string":
      return `идентификатор-🆔-${counter}`;
    case "huge-string":
      return `${counter}-${ctx.big.of(64 * KIB)}`;
    case "lone-surrogate-string":
      return `\ud800-${counter}`;
    case "nul-string":
      return `nul\u0000${counter}`;
    case "negative":
      return -counter;
    default:
      return Number.MAX_SAFE_INTEGER - counter;
  }
}

export function badId(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const body = `"method":"model/list","params":{}`;
  const variant = prng.weighted([
    ["not-integer-or-string", 6],
    ["missing", 1],
    ["empty-string", 1],
    ["unicode-string", 1],
    ["huge-string", 1],
    ["nul-string", 1],
    ["lone-surrogate-string", 1],
    ["negative", 1],
    ["max-safe", 1],
    ["duplicate-key-valid-last", 1],
    ["duplicate-key-bad-last", 1],
  ] as const);
  const counter = ctx.ids.nextInteger();
  let id: RequestId | undefined;
  let text: string;
  let description: string = variant;
  switch (variant) {
    case "not-integer-or-string": {
      const literal = prng.pick(BAD_ID_LITERALS);
      description = `id ${literal}`;
      text = prng.chance(0.5) ? `{"id":${literal},${body}}` : `{${body},"id":${literal}}`;
      break;
    }
    case "missing":
      text = `{${body}}`;
      break;
    case "duplicate-key-bad-last":
      text = `{"id":${counter},${body},"id":{}}`;
      break;
    case "duplicate-key-valid-last":
      id = counter;
      text = `{"id":{},${body},"id":${counter}}`;
      break;
    default: {
      id = unusualValidId(ctx, variant, counter);
      text = `{"id":${JSON.stringify(id)},${body}}`;
    }
  }
  return {
    frameClass: "bad-id",
    variant: description,
    data: text,
    opcode: "text",
    expect:
      id !== undefined
        ? reply(id)
        : { kind: "silent", rule: "silentText", ...(variant === "duplicate-key-bad-last" ? { id: counter } : {}) },
  };
}

const codexOnlyMethods = CODEX_CLIENT_METHODS.filter((method) => !methodRegistry.has(method));

export function badMethod(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const variant = prng.weighted([
    ["unknown", 4],
    ["codex-only", 2],
    ["registered-without-params", 1],
    ["long-unknown", 1],
    ["not-a-string", 2],
  ] as const);
  const id = ctx.ids.next();
  switch (variant) {
    case "unknown": {
      const method = prng.pick([
        "",
        "/",
        "thread",
        "thread/list/",
        " thread/list",
        "THREAD/LIST",
        "thread/list\u0000",
        "__proto__",
        "constructor",
        "hasOwnProperty",
        "toString",
        "thread/../initialize",
        "ﬁ/unicode/🚀",
        prng.string(prng.range(1, 40), PRINTABLE_ASCII),
      ]);
      return {
        frameClass: "bad-method",
        variant: `unknown ${JSON.stringify(method).slice(0, 40)}`,
        data: requestText(id, method, "{}"),
        opcode: "text",
        expect: reply(id, checks.code("badMethod", -32600)),
      };
    }
    case "codex-only": {
      const method = prng.pick(codexOnlyMethods);
      return {
        frameClass: "bad-method",
        variant: `codex-only ${method}`,
        data: requestText(id, method, "{}"),
        opcode: "text",
        expect: reply(id, checks.code("badMethod", -32600)),
      };
    }
    case "registered-without-params": {
      const method = prng.pick(ctx.catalog.methods);
      return {
        frameClass: "bad-method",
        variant: `${method} without params`,
        data: requestText(id, method),
        opcode: "text",
        expect: reply(id, checks.notInternal("noInternalForBadInput", { allowUnavailable: true })),
      };
    }
    case "long-unknown":
      return {
        frameClass: "bad-method",
        variant: "unknown, 64 KiB name",
        data: requestText(id, ctx.big.of(64 * KIB), "{}"),
        opcode: "text",
        expect: reply(id, checks.code("badMethod", -32600)),
        echoGuard: ctx.big.guard,
      };
    case "not-a-string": {
      const literal = prng.pick(["1", "null", "{}", "[]", "true", '["thread/list"]']);
      return {
        frameClass: "bad-method",
        variant: `method ${literal}`,
        data: `{"id":${JSON.stringify(id)},"method":${literal},"params":{}}`,
        opcode: "text",
        expect: { kind: "silent", rule: "silentText", id },
      };
    }
  }
}

export function nulString(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const nul = (text: string) => {
    const at = prng.int(text.length + 1);
    return `${text.slice(0, at)}\u0000${text.slice(at)}`;
  };
  const [method, where, params] = prng.weighted<[string, string, Record<string, unknown>]>([
    [["thread/name/set", "name on a real thread", { threadId: prng.pick(ctx.threads.nulTargets), name: nul("fuzz name") }], 12],
    [["thread/name/set", "threadId", { threadId: nul(ctx.threads.sample), name: "fuzz" }], 1],
    [["thread/start", "cwd", { cwd: nul("/tmp/fuzz") }], 1],
    [["thread/start", "config key", { config: { [nul("model")]: "x" } }], 1],
    [["thread/start", "config value", { config: { model: nul("gpt") } }], 1],
    [["thread/start", "baseInstructions", { baseInstructions: nul("be brief") }], 1],
    [["thread/list", "searchTerm", { searchTerm: nul("needle") }], 1],
    [["thread/list", "cursor", { cursor: nul("abc") }], 1],
    [["thread/list", "modelProviders item", { modelProviders: ["openai", nul("x")] }], 1],
    [["thread/read", "threadId", { threadId: nul(ctx.threads.sample) }], 1],
    [["config/read", "cwd", { cwd: nul("/tmp") }], 1],
    [["model/list", "cursor", { cursor: nul("c") }], 1],
    [["hooks/list", "cwds item", { cwds: [nul("/tmp")] }], 1],
    [["initialize", "clientInfo.name", { clientInfo: { name: nul("fuzz"), version: "1" } }], 1],
    [["mock/experimentalMethod", "value", { value: nul("v") }], 1],
  ]);
  const id = ctx.ids.next();
  return {
    frameClass: "nul",
    variant: `${method} ${where}`,
    data: requestText(id, method, JSON.stringify(params)),
    opcode: "text",
    expect: reply(id, ...badInputChecks("nul"), checks.answeredWithin("nul", NUL_ANSWER_WITHIN_MS)),
  };
}

// ---------------------------------------------------------------------------------------------
// nesting

type NestShape = "array" | "object" | "mixed";

/** JSON text nested exactly `levels` deep, built by hand (JSON.stringify overflows its stack at ~10k). */
export function nestedJson(levels: number, shape: NestShape): string {
  if (shape === "array") return "[".repeat(levels) + "]".repeat(levels);
  if (shape === "object") return `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;
  const pairs = Math.floor((levels - 1) / 2);
  const odd = (levels - 1) % 2 === 1;
  return '{"a":['.repeat(pairs) + (odd ? '{"a":{}}' : "{}") + "]}".repeat(pairs);
}

const DEEP_PLACES = [
  "config",
  "granular",
  "dynamicTools",
  "extensions",
  "unknown-field",
  "params-array",
  "frame-field-first",
  "frame-field-last",
] as const;

/** A request whose deepest value is `levels` levels below its params object (params = level 1). */
function deepRequest(id: RequestId, place: (typeof DEEP_PLACES)[number], levels: number, shape: NestShape): string {
  const nest = (inner: number) => nestedJson(Math.max(1, inner), shape);
  switch (place) {
    case "config":
      return requestText(id, "thread/start", `{"config":{"a":${nest(levels - 2)}}}`);
    case "granular":
      return requestText(id, "thread/start", `{"approvalPolicy":{"granular":${nest(levels - 2)}}}`);
    case "dynamicTools":
      return requestText(id, "thread/start", `{"dynamicTools":[${nest(levels - 2)}]}`);
    case "extensions":
      return requestText(
        id,
        "initialize",
        `{"clientInfo":{"name":"fuzz","version":"1"},"capabilities":{"extensions":{"x":${nest(levels - 3)}}}}`,
      );
    case "unknown-field":
      return requestText(id, "thread/list", `{"limit":1,"extra":${nest(levels - 1)}}`);
    case "params-array":
      return requestText(id, "thread/list", nest(levels));
    case "frame-field-first":
      return `{"id":${JSON.stringify(id)},"method":"thread/list","params":{},"meta":${nest(levels)}}`;
    case "frame-field-last":
      return `{"meta":${nest(levels)},"method":"thread/list","params":{},"id":${JSON.stringify(id)}}`;
  }
}

export function deepNesting(ctx: GeneratorContext, levels: number): FuzzFrame {
  const { prng } = ctx;
  const shape = prng.pick(["array", "object", "mixed"] as const);
  if (prng.chance(0.1)) {
    return {
      frameClass: "deep",
      variant: `top-level ${shape} ×${levels}`,
      data: nestedJson(levels, shape),
      opcode: "text",
      expect: { kind: "silent", rule: "silentText" },
    };
  }
  const place = prng.pick(DEEP_PLACES);
  const id = ctx.ids.next();
  return {
    frameClass: "deep",
    variant: `${place} ${shape} ×${levels}`,
    data: deepRequest(id, place, levels, shape),
    opcode: "text",
    expect: reply(id, checks.nestingTooDeep(), checks.notInternal("noInternalForBadInput")),
  };
}

export function shallowNesting(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const shape = prng.pick(["array", "object", "mixed"] as const);
  const place = prng.pick(["config", "granular", "dynamicTools", "unknown-field", "extensions"] as const);
  const id = ctx.ids.next();
  return {
    frameClass: "nesting-100",
    variant: `${place} ${shape} ×${NESTING_UNDER_LIMIT}`,
    data: deepRequest(id, place, NESTING_UNDER_LIMIT, shape),
    opcode: "text",
    expect: reply(id, checks.notRejectedForDepth(), checks.notInternal("noInternalForBadInput")),
  };
}

// ---------------------------------------------------------------------------------------------
// oversized

/**
 * Where a big string goes. `stores`: the request would persist it on a thread (so only sizes over
 * the request limit, which must be refused, use it). `whole`: the frame is big, every param small.
 */
interface BigPlace {
  label: string;
  method: string;
  stores?: boolean;
  /** The params JSON for a big string of `size` characters. */
  params(ctx: GeneratorContext, size: number): string;
}

const bigString = (ctx: GeneratorContext, size: number) => JSON.stringify(ctx.big.of(size));

const BIG_PLACES: readonly BigPlace[] = [
  { label: "threadId", method: "thread/read", params: (ctx, size) => `{"threadId":${bigString(ctx, size)}}` },
  { label: "threadId", method: "thread/name/set", params: (ctx, size) => `{"threadId":${bigString(ctx, size)},"name":"fuzz"}` },
  {
    label: "name",
    method: "thread/name/set",
    stores: true,
    params: (ctx, size) => `{"threadId":${JSON.stringify(ctx.threads.sample)},"name":${bigString(ctx, size)}}`,
  },
  { label: "searchTerm", method: "thread/list", params: (ctx, size) => `{"searchTerm":${bigString(ctx, size)},"limit":1}` },
  { label: "cursor", method: "thread/list", params: (ctx, size) => `{"cursor":${bigString(ctx, size)}}` },
  { label: "cursor", method: "model/list", params: (ctx, size) => `{"cursor":${bigString(ctx, size)}}` },
  { label: "cwd", method: "config/read", params: (ctx, size) => `{"cwd":${bigString(ctx, size)}}` },
  { label: "cwd", method: "thread/start", stores: true, params: (ctx, size) => `{"cwd":${bigString(ctx, size)}}` },
  {
    label: "config value",
    method: "thread/start",
    stores: true,
    params: (ctx, size) => `{"config":{"model":${bigString(ctx, size)}}}`,
  },
  {
    label: "excludedThreadIds (many small strings)",
    method: "thread/list",
    stores: true,
    params: (_ctx, size) =>
      JSON.stringify({
        excludedThreadIds: Array.from(
          { length: Math.ceil(size / 40) },
          (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
        ),
      }),
  },
];

/** A big string in place number `slot` (modulo the places for this size), or padding beside params. */
export function oversized(ctx: GeneratorContext, size: number, slot: number): FuzzFrame {
  const overLimit = size > MIB;
  const id = ctx.ids.next();
  const sizeLabel = size >= MIB ? `${(size / MIB).toFixed(1)} MiB` : `${size / KIB} KiB`;
  const replyChecks = overLimit
    ? [checks.requestTooLarge(), checks.notInternal("noInternalForBadInput")]
    : [checks.notInternal("noInternalForBadInput")];
  const places = BIG_PLACES.filter((place) => overLimit || !place.stores);
  if (overLimit && slot % (places.length + 1) === places.length) {
    return {
      frameClass: "oversized",
      variant: `frame padding beside params ${sizeLabel}`,
      data: `{"id":${JSON.stringify(id)},"method":"thread/list","params":{},"padding":${bigString(ctx, size)}}`,
      opcode: "text",
      expect: reply(id, ...replyChecks),
      echoGuard: ctx.big.guard,
    };
  }
  const place = places[slot % places.length] as BigPlace;
  return {
    frameClass: "oversized",
    variant: `${place.method} ${place.label} ${sizeLabel}`,
    data: requestText(id, place.method, place.params(ctx, size)),
    opcode: "text",
    expect: reply(id, ...replyChecks),
    echoGuard: ctx.big.guard,
  };
}

/** A frame over the hard cap: its connection must be closed with 1009. */
export function overCap(ctx: GeneratorContext): FuzzFrame {
  const id = ctx.ids.next();
  const padding = ctx.big.of(OVER_CAP_SIZE);
  return {
    frameClass: "over-cap",
    variant: `thread/list searchTerm ${OVER_CAP_SIZE / MIB} MiB`,
    data: Buffer.from(requestText(id, "thread/list", `{"searchTerm":"${padding}"}`)),
    opcode: "text",
    expect: { kind: "closes", closeCode: 1009, required: true, rule: "overCap", id },
  };
}

// ---------------------------------------------------------------------------------------------
// invalid UTF-8

const INVALID_UTF8_SEQUENCES: readonly (readonly [string, number[]])[] = [
  ["lone 0xff", [0xff]],
  ["lone continuation", [0x80]],
  ["truncated 3-byte", [0xe2, 0x82]],
  ["overlong '/'", [0xc0, 0xaf]],
  ["encoded surrogate", [0xed, 0xa0, 0x80]],
  ["beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
  ["5-byte form", [0xf8, 0x88, 0x80, 0x80, 0x80]],
];

export function invalidUtf8(ctx: GeneratorContext): FuzzFrame {
  const { prng } = ctx;
  const [label, bytes] = prng.pick(INVALID_UTF8_SEQUENCES);
  const id = ctx.ids.next();
  const inRequest = prng.chance(0.6);
  const data = inRequest
    ? Buffer.concat([
        Buffer.from(`{"id":${JSON.stringify(id)},"method":"thread/list","params":{"searchTerm":"a`),
        Buffer.from(bytes),
        Buffer.from('"}}'),
      ])
    : Buffer.concat([prng.bytes(prng.int(16)).map((byte) => byte & 0x7f), Buffer.from(bytes)]);
  return {
    frameClass: "invalid-utf8",
    variant: `${label}${inRequest ? " in a request" : ""}`,
    data,
    opcode: "text",
    expect: { kind: "closes", closeCode: 1007, required: false, rule: "invalidUtf8", ...(inRequest ? { id } : {}) },
  };
}

// ---------------------------------------------------------------------------------------------
// pipelined floods

/** Well-formed requests sent hundreds at a time without waiting; -32001 is an allowed answer. */
export function floodRequest(ctx: GeneratorContext, floodThread: string, sequence: number): FuzzFrame {
  const id = ctx.ids.next();
  const [method, params] = ctx.prng.weighted<[string, unknown]>([
    [["thread/read", { threadId: floodThread }], 3],
    [["thread/list", { limit: 1 }], 2],
    [["thread/name/set", { threadId: floodThread, name: `flood#${sequence}` }], 3],
    [["model/list", {}], 1],
  ]);
  return {
    frameClass: "flood",
    variant: method,
    data: requestText(id, method, JSON.stringify(params)),
    opcode: "text",
    expect: reply(id),
  };
}

// ---------------------------------------------------------------------------------------------
// Authorization headers at the upgrade

export interface AuthAttempt {
  variant: string;
  /** Raw header values (each its own `Authorization:` line); none = no header. */
  headers: Buffer[];
  /** "upgrade": must be 101; "refuse": must not be; "either": a judgement call (both allowed). */
  expect: "upgrade" | "refuse" | "either";
}

/**
 * What the gateway must do with one Authorization value: the scheme in any case, spaces around and
 * between, then the token exactly (case-sensitive). Tabs or other whitespace, or bytes after a
 * CR/LF/NUL, are a judgement call.
 */
function authExpectation(value: Buffer, token: string): AuthAttempt["expect"] {
  const text = value.toString("latin1");
  const cut = text.search(/[\r\n\0]/);
  const visible = cut === -1 ? text : text.slice(0, cut);
  const escapedToken = token.replace(/[^A-Za-z0-9]/g, "\\$&");
  const scheme = "[Bb][Ee][Aa][Rr][Ee][Rr]";
  const strict = new RegExp(`^[ \\t]*${scheme} +${escapedToken}[ \\t]*$`);
  const loose = new RegExp(`^\\s*${scheme}\\s+${escapedToken}\\s*$`);
  if (strict.test(visible)) return cut === -1 ? "upgrade" : "either";
  if (loose.test(visible)) return "either";
  return "refuse";
}

export function authAttempt(ctx: GeneratorContext, token: string): AuthAttempt {
  const { prng } = ctx;
  const valid = `Bearer ${token}`;
  const variant = prng.weighted([
    ["missing", 1],
    ["fixed", 6],
    ["mutated-valid", 6],
    ["random-bytes", 3],
    ["long", 1],
    ["duplicate", 1],
  ] as const);
  const attempt = (name: string, values: Buffer[]): AuthAttempt => {
    const expectations = values.map((value) => authExpectation(value, token));
    const expect =
      values.length === 0
        ? "refuse"
        : values.length > 1
          ? expectations.every((each) => each === "refuse")
            ? "refuse"
            : "either"
          : (expectations[0] as AuthAttempt["expect"]);
    return { variant: name, headers: values, expect };
  };
  switch (variant) {
    case "missing":
      return attempt("no Authorization header", []);
    case "fixed": {
      const value = prng.pick([
        "",
        "Bearer",
        "Bearer ",
        "Bearer\t",
        token,
        `Basic ${Buffer.from(`user:${token}`).toString("base64")}`,
        `Bearer ${token}x`,
        `Bearer x${token}`,
        `Bearer ${token.toUpperCase()}`,
        `Bearer ${token.slice(0, -1)}`,
        `Bearer  ${token}`,
        `bEaReR ${token}  `,
        `Bearer\t${token}`,
        `Bearer ${token} ${token}`,
        `Bearer ${token}\u0000`,
        `Bearer a.b.c`,
        `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"x"}').toString("base64url")}.`,
        "Bearer ÿþ\u0080",
        `Token ${token}`,
        `Bearer=${token}`,
        `${token} Bearer`,
      ]);
      return attempt(`fixed ${JSON.stringify(value).slice(0, 50)}`, [Buffer.from(value, "latin1")]);
    }
    case "mutated-valid": {
      const bytes = Buffer.from(valid, "latin1");
      for (let edits = prng.range(1, 3); edits > 0; edits--) bytes[prng.int(bytes.length)] = prng.int(256);
      return attempt("valid header with bytes replaced", [bytes]);
    }
    case "random-bytes":
      return attempt("random bytes", [prng.bytes(prng.range(1, 200))]);
    case "long": {
      const size = prng.pick([8 * KIB, 64 * KIB]);
      return attempt(`Bearer + ${size / KIB} KiB`, [Buffer.from(`Bearer ${prng.string(size, ALPHANUMERIC)}`)]);
    }
    case "duplicate":
      return attempt("two Authorization headers", [
        Buffer.from(prng.chance(0.5) ? valid : "Bearer wrong"),
        Buffer.from(prng.chance(0.5) ? valid : "Basic x"),
      ]);
  }
}
