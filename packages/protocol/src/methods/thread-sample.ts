// thread/sample and thread/sample/cancel, as Codex 0.171.0 answers them (probed on the binary): one
// model call over a loaded thread's history with a prompt of the client's added at the end, whose
// text comes back in the answer and is recorded nowhere (no turn, no item, no notification; the
// thread is as it was). Codex runs it as a throwaway fork of the thread; Switchyard reads the same
// history and asks the thread's model provider, retried as a turn's call is, as Codex does.
import { z } from "zod";
import { defineMethods } from "../define.js";
import { RequestIdSchema, strictStruct } from "../serde-types.js";
import { ReasoningEffort } from "./turn.js";

/** Codex refuses a longer prompt (UTF-8 bytes), or a blank one. */
export const MAX_SAMPLE_PROMPT_BYTES = 4_000;

export const ThreadSampleParams = z.object({
  threadId: z.string(),
  /** The source's latest turn: finished, unless `allowInProgressTurn` (then the running one may be named). */
  expectedTurnId: z.string(),
  prompt: z.string(),
  allowInProgressTurn: z.boolean().optional(),
  /** Codex: disables MCP servers in the sample's window (Switchyard starts none: nothing to disable). */
  disableMcp: z.boolean().optional(),
  /** Codex applies it only where the provider keeps the prompt cache across effort changes; so does Switchyard (none here). */
  effort: ReasoningEffort.nullish(),
  interruptOnCancel: z.boolean().nullish(),
  /** Added to the request's turn metadata, as Codex adds it. */
  responsesapiClientMetadata: z.record(z.string(), z.string()).nullish(),
  threadSource: z.string().nullish(),
  turnTrigger: z.string().nullish(),
});
export type ThreadSampleParams = z.infer<typeof ThreadSampleParams>;

export const ThreadSampleResponse = z.object({
  sourceTurnId: z.string(),
  responseId: z.string(),
  /** The model's text, or null when it called a tool or wrote none. */
  text: z.string().nullable(),
  inputTokens: z.number().int().nullish(),
  cachedInputTokens: z.number().int().nullish(),
  outputTokens: z.number().int().nullish(),
});
export type ThreadSampleResponse = z.infer<typeof ThreadSampleResponse>;

/** Codex's struct refuses unknown fields (`unknown field \`x\`, expected \`requestId\``). */
export const ThreadSampleCancelParams = strictStruct("ThreadSampleCancelParams", { requestId: RequestIdSchema }, ["requestId"]);
export type ThreadSampleCancelParams = z.infer<typeof ThreadSampleCancelParams>;
export const ThreadSampleCancelResponse = z.object({});

export const ThreadSampleMethod = {
  threadSample: "thread/sample",
  threadSampleCancel: "thread/sample/cancel",
} as const;

export const threadSampleMethods = defineMethods({
  [ThreadSampleMethod.threadSample]: {
    // Codex's diagnosis of a malformed id, without a label: `invalid character: expected …`.
    threadId: {},
    owner: "thread",
    // Unkeyed: it reads the thread's committed history and writes nothing, and it waits for a model
    // call it must not hold the thread's lane for (Codex runs a turn on the thread meanwhile). The
    // gateway still holds it behind the same connection's earlier writes to the thread, as a read.
    scope: {
      kind: "unkeyed",
      readYourWrites: { family: "thread", id: (params: ThreadSampleParams) => params.threadId },
    },
    // Not readOnly: asking it twice would pay for a second model call.
    callsModel: true,
    experimental: true,
    paramsRequired: true,
    params: ThreadSampleParams,
    result: ThreadSampleResponse,
    summary: "One model call over a loaded thread's history and a prompt; the text comes back, nothing is recorded.",
  },
  [ThreadSampleMethod.threadSampleCancel]: {
    owner: "thread",
    // Unkeyed: it must overtake the sample it cancels, which may be running on another instance.
    scope: { kind: "unkeyed" },
    // A cancel is remembered by every instance (a broadcast): a second one changes nothing more.
    repeatable: "idempotent",
    experimental: true,
    paramsRequired: true,
    params: ThreadSampleCancelParams,
    result: ThreadSampleCancelResponse,
    summary: "Cancels this connection's thread/sample with that request id (answered {} whether or not one runs).",
  },
});
