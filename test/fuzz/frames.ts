// What the fuzzer sends and what it expects back: frame classes, per-frame expectations and the
// reply checks that encode the gateway's contract for bad input (one rule per check, so a report
// can say which part of the contract broke).
import { setTimeout as sleep } from "node:timers/promises";
import type { RpcReply } from "../harness/client.js";

/** Resolves with `value` after `ms` without keeping the process alive (for races against replies). */
export const after = <T>(ms: number, value: T): Promise<T> => sleep(ms, value, { ref: false });

export const FRAME_CLASSES = [
  "random-text",
  "random-bytes",
  "binary",
  "wrong-type",
  "bad-id",
  "bad-method",
  "nul",
  "deep",
  "nesting-100",
  "oversized",
  "flood",
  "invalid-utf8",
  "over-cap",
  "auth",
  "half-open",
  "non-reading",
  "notification",
  "server-response",
] as const;
export type FrameClass = (typeof FRAME_CLASSES)[number];

/** The contract's parts; every violation and every check names one. */
export const RULES = {
  processExit: "no gateway, thread, config or remote-control service process exits",
  silentText: "text that is not JSON or not a JSON-RPC shape gets no reply",
  binary: "binary frames get no reply",
  unsolicitedReply: "the server sends no reply that matches no request",
  connectionSurvives: "connections stay open (and answer) unless closed per the rules",
  invalidUtf8: "invalid UTF-8 closes at most its own connection, with 1007",
  overCap: "a frame over the hard cap closes its connection with 1009",
  exactlyOneReply: "every well-formed request gets exactly one reply within the deadline",
  overloadedOnlyInFloods: "-32001 only for pipelined floods (or rateLimited: the fuzz tenant reaches its request rate)",
  noInternalForBadInput: "no -32603 for deep, oversized, NUL or wrong-type input",
  nestingTooDeep: "nesting deeper than 128 is -32600 nestingTooDeep (maxDepth 128)",
  shallowNestingAccepted: "100 levels inside params is not rejected for depth",
  requestTooLarge: "a request over the request limit is -32600 requestTooLarge",
  nul: "a string with NUL is -32600 Invalid request, answered promptly",
  wrongType: "wrong types are -32600 Invalid request",
  badMethod: "unknown methods are -32600",
  clientNotification: "client notifications (initialized, other names, wrong-typed params) get no reply",
  modelHistory: "the history a turn sends the model keeps the thread's order",
  serverResponse:
    "answers to server requests (wrong-typed, malformed, unknown ids, duplicates) get no reply; the turn that asked completes",
  boundedEcho: "error messages are at most 16 KiB and copy no run over 300 characters of a big param",
  canary: "the well-behaved connection's requests all succeed",
  canaryLatency: "the well-behaved connection's thread/name/set p99 under the flood stays under 2000 ms",
  halfOpen: "half-open sockets and a non-reading websocket do not stop the gateway serving others",
  auth: "malformed Authorization headers are refused (400/401/431), never upgraded, never 5xx",
} as const;
export type Rule = keyof typeof RULES;

export const INVALID_REQUEST = -32600;
export const OVERLOADED = -32001;
export const INTERNAL_ERROR = -32603;
export const MAX_DEPTH = 128;
export const MAX_ERROR_MESSAGE_CHARS = 16 * 1024;
export const MAX_ECHO_RUN = 300;
/**
 * NUL input is rejected at validation: its answer must not wait for lanes or retries (the defect
 * held a keyed partition ~6 s per bad command). Generous, because the fuzzer's own event loop can
 * stall for a second or two on a loaded 2-core machine.
 */
export const NUL_ANSWER_WITHIN_MS = 5_000;

export type RequestId = number | string;

export interface ReplyCheck {
  rule: Rule;
  /** undefined when the reply satisfies the rule; otherwise what was wrong. */
  verify(reply: RpcReply, latencyMs: number): string | undefined;
}

export type Expectation =
  /** No reply; the connection stays open. `id`: an id in the frame that must not be answered. */
  | { kind: "silent"; rule: "silentText" | "binary" | "clientNotification" | "serverResponse"; id?: RequestId }
  /** Exactly one reply with `id`, satisfying every check. */
  | { kind: "reply"; id: RequestId; checks: ReplyCheck[] }
  /**
   * The server closes the connection with `closeCode` (`required`), or may (then the connection
   * must still answer afterwards); `id`, if the frame was a request, is answered at most once.
   */
  | { kind: "closes"; closeCode: number; required: boolean; rule: Rule; id?: RequestId };

export interface FuzzFrame {
  frameClass: FrameClass;
  /** A short, human description (what was fuzzed where), for reports. */
  variant: string;
  data: string | Buffer;
  opcode: "text" | "binary";
  expect: Expectation;
  /** Set for frames carrying a big generated string: error messages must not copy runs of it. */
  echoGuard?: EchoGuard;
  /** A wrong-type case: which method and where (coverage counts it once answered as the rules say). */
  wrongType?: { method: string; where: string; rejected: boolean };
  /** A client notification: its kind and name (for the coverage table). */
  notification?: { kind: string; name: string };
}

/**
 * Builds big strings from one random period and detects error messages that copy a run of more
 * than MAX_ECHO_RUN characters of them: any such run contains a whole PROBE-character slice of the
 * message starting at a multiple of (MAX_ECHO_RUN + 1 - PROBE), which locates it in the period.
 */
export class EchoGuard {
  private static readonly PROBE = 16;
  private readonly offsets = new Map<string, number[]>();

  constructor(private readonly period: string) {
    const doubled = period + period.slice(0, EchoGuard.PROBE);
    for (let start = 0; start < period.length; start++) {
      const slice = doubled.slice(start, start + EchoGuard.PROBE);
      const known = this.offsets.get(slice);
      if (known) known.push(start);
      else this.offsets.set(slice, [start]);
    }
  }

  /** A string of `length` characters repeating the period. */
  fill(length: number): string {
    return this.period.repeat(Math.ceil(length / this.period.length)).slice(0, length);
  }

  private periodAt(offset: number): string {
    const length = this.period.length;
    return this.period[((offset % length) + length) % length] as string;
  }

  copiesFrom(message: string): boolean {
    const probe = EchoGuard.PROBE;
    const step = MAX_ECHO_RUN + 1 - probe;
    for (let start = 0; start + probe <= message.length; start += step) {
      for (const offset of this.offsets.get(message.slice(start, start + probe)) ?? []) {
        let before = 0;
        while (start - before > 0 && message[start - before - 1] === this.periodAt(offset - before - 1)) before++;
        let afterProbe = probe;
        while (start + afterProbe < message.length && message[start + afterProbe] === this.periodAt(offset + afterProbe))
          afterProbe++;
        if (before + afterProbe > MAX_ECHO_RUN) return true;
      }
    }
    return false;
  }
}

export function describeReply(reply: RpcReply): string {
  if (reply.error) {
    const message =
      reply.error.message.length > 160
        ? `${reply.error.message.slice(0, 160)}… (${reply.error.message.length} chars)`
        : reply.error.message;
    const data = reply.error.data === undefined ? "" : ` data=${JSON.stringify(reply.error.data).slice(0, 120)}`;
    return `error ${reply.error.code} ${JSON.stringify(message)}${data}`;
  }
  return "result";
}

/** The outcome label a reply is counted under in the report. */
export const replyOutcome = (reply: RpcReply): string => (reply.error ? `err ${reply.error.code}` : "result");

const errorData = (reply: RpcReply): Record<string, unknown> =>
  typeof reply.error?.data === "object" && reply.error.data !== null ? (reply.error.data as Record<string, unknown>) : {};

/**
 * -32603 answers that are Codex 0.171.0's own for well-formed input (the contract, not a failure):
 * a thread it cannot find, user verification in a build without it (Codex's own `data.reason`), an
 * MCP server that is not running, a default provider that is not known.
 */
const CODEX_INTERNAL_REASONS = new Set(["threadNotFound", "providerUnavailable", "mcpServerUnavailable", "configLoadFailed"]);

export const checks = {
  invalidRequest(rule: Rule): ReplyCheck {
    return {
      rule,
      verify: (reply) =>
        reply.error?.code === INVALID_REQUEST && reply.error.message.startsWith("Invalid request:")
          ? undefined
          : `expected -32600 "Invalid request: …", got ${describeReply(reply)}`,
    };
  },
  code(rule: Rule, code: number): ReplyCheck {
    return {
      rule,
      verify: (reply) => (reply.error?.code === code ? undefined : `expected error ${code}, got ${describeReply(reply)}`),
    };
  },
  nestingTooDeep(): ReplyCheck {
    return {
      rule: "nestingTooDeep",
      verify: (reply) => {
        const data = errorData(reply);
        const ok =
          reply.error?.code === INVALID_REQUEST &&
          reply.error.message.startsWith("Invalid request:") &&
          data.reason === "nestingTooDeep" &&
          data.maxDepth === MAX_DEPTH;
        return ok ? undefined : `expected -32600 nestingTooDeep maxDepth ${MAX_DEPTH}, got ${describeReply(reply)}`;
      },
    };
  },
  notRejectedForDepth(): ReplyCheck {
    return {
      rule: "shallowNestingAccepted",
      verify: (reply) => {
        const data = errorData(reply);
        if (data.reason === "nestingTooDeep" || /nest|depth/i.test(reply.error?.message ?? "")) {
          return `100 levels was rejected for depth: ${describeReply(reply)}`;
        }
        if (reply.error && reply.error.code !== INVALID_REQUEST)
          return `expected a result or a validation error, got ${describeReply(reply)}`;
        return undefined;
      },
    };
  },
  requestTooLarge(): ReplyCheck {
    return {
      rule: "requestTooLarge",
      verify: (reply) => {
        const data = errorData(reply);
        const ok =
          reply.error?.code === INVALID_REQUEST &&
          reply.error.message.includes("request too large") &&
          data.reason === "requestTooLarge" &&
          typeof data.limitBytes === "number" &&
          data.limitBytes > 0;
        return ok ? undefined : `expected -32600 requestTooLarge with limitBytes, got ${describeReply(reply)}`;
      },
    };
  },
  answeredWithin(rule: Rule, limitMs: number): ReplyCheck {
    return {
      rule,
      verify: (_reply, latencyMs) =>
        latencyMs <= limitMs ? undefined : `answered after ${Math.round(latencyMs)} ms (limit ${limitMs} ms)`,
    };
  },
  /**
   * No -32603. `allowUnavailable`: for well-formed requests that reach a service, "the … service is
   * unavailable" is a fact of the deployment (the fuzz stack runs no remote-control service, say),
   * not a failure to handle the input. Codex's own -32603 for a thread its thread store cannot read
   * (the queue methods on a thread that is unknown or archived, which other frames of the run may
   * have done to the sample thread) is an answer, classified `threadNotFound`, not a failure either.
   */
  notInternal(rule: Rule, options: { allowUnavailable?: boolean } = {}): ReplyCheck {
    return {
      rule,
      verify: (reply) => {
        if (reply.error?.code !== INTERNAL_ERROR) return undefined;
        const { reason } = errorData(reply);
        if (CODEX_INTERNAL_REASONS.has(String(reason)) || (options.allowUnavailable && reason === "serviceUnavailable"))
          return undefined;
        return `got ${describeReply(reply)}`;
      },
    };
  },
};

/** A request frame's text, built by hand so params can be JSON too deep for JSON.stringify. */
export function requestText(id: RequestId, method: string, paramsJson?: string): string {
  const params = paramsJson === undefined ? "" : `,"params":${paramsJson}`;
  return `{"id":${JSON.stringify(id)},"method":${JSON.stringify(method)}${params}}`;
}

export function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
}

/** The map key a reply's id is matched by (long string ids are hashed, not kept whole). */
export function idKey(id: unknown): string {
  if (typeof id === "string" && id.length > 256) {
    let hash = 0x811c9dc5;
    for (let index = 0; index < id.length; index++) hash = Math.imul(hash ^ id.charCodeAt(index), 0x01000193) >>> 0;
    return `s:${id.length}:${hash}:${id.slice(0, 64)}`;
  }
  return `${typeof id}:${String(id)}`;
}
