// The streaming client of the OpenAI Responses API for a turn's model call: one POST to
// `<baseUrl>/responses`, its server-sent events parsed into `ResponsesStreamEvent`s, and Codex's
// retry rules and failure texts (matched against Codex 0.171.0), so a turn fails the way Codex's does.
//
// Retries: a request that cannot connect or answers 429 or 5xx (not a model at capacity) is retried
// up to `requestMaxRetries` times; a stream that drops, goes idle, closes early or reports a failure
// Codex does not recognize before any output event is requested again up to `streamMaxRetries` times (the two budgets are counted separately over the whole call). Once
// output has been yielded a drop is final: the caller has shown the deltas. A retried stream yields
// `created` again with the new response id.
import { STATUS_CODES } from "node:http";
import type { RateLimitSnapshot, ResolvedModelProvider, TurnError } from "@switchyard/protocol";
import { egressDenialOf, recordProviderLatency } from "@switchyard/runtime";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { ProviderEgress } from "./egress.js";

export interface ResponsesUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
}

/** A Responses API output item (`message`, `reasoning`, `function_call`, …) as the API sent it. */
export type ResponsesItem = Record<string, unknown>;

export type ResponsesStreamEvent =
  | { type: "rateLimits"; snapshot: RateLimitSnapshot }
  | { type: "created"; responseId: string }
  | { type: "outputItemAdded"; outputIndex: number; item: ResponsesItem }
  | { type: "outputTextDelta"; itemId: string; outputIndex: number; delta: string }
  | { type: "reasoningSummaryPartAdded"; itemId: string; summaryIndex: number }
  | { type: "reasoningSummaryTextDelta"; itemId: string; summaryIndex: number; delta: string }
  | { type: "functionCallArgumentsDelta"; itemId: string; outputIndex: number; delta: string }
  | { type: "outputItemDone"; outputIndex: number; item: ResponsesItem }
  | { type: "completed"; responseId: string; usage: ResponsesUsage | null };

export interface StreamResponsesOptions {
  signal: AbortSignal;
  /** How the provider is reached: through the deployment's egress policy (egress.ts). */
  egress: ProviderEgress;
  /** Called before each retry (then the client waits its backoff); `attempt` counts from 1 up to `max`. */
  onRetry?: (retry: { attempt: number; max: number; error: TurnError }) => void;
}

/**
 * The response's own report of its failure (a `response.failed` or `response.incomplete` event), as
 * opposed to a failure to get a response at all (an HTTP status, a cut stream).
 */
export type ResponseFailureReport =
  | { kind: "failed"; code: string | null; message: string }
  | { kind: "incomplete"; reason: string };

/** A model call that failed for good; `turnError` is what the turn reports (Codex's text and info). */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    readonly turnError: TurnError,
    /** Present when the response itself reported the failure. */
    readonly report?: ResponseFailureReport,
    /**
     * Present when the last attempt's response had begun (its status was 200): the rate limits its
     * headers reported, else Codex's unknown ones. Codex announces them with the failure then.
     */
    readonly rateLimits?: RateLimitSnapshot,
  ) {
    super(turnError.message);
  }
}

class ResponsesAbortError extends Error {
  override readonly name = "AbortError";
  constructor() {
    super("the model request was aborted");
  }
}

/** Whether `error` is the end of a call the caller aborted (ours, or fetch's own AbortError). */
export function isAborted(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
const RETRY_AFTER_CAP_MS = 10_000;
const HIGH_DEMAND_MESSAGE = "We\u2019re currently experiencing high demand, which may cause temporary errors.";

const turnError = (message: string, codexErrorInfo: TurnError["codexErrorInfo"]): TurnError => ({
  message,
  codexErrorInfo,
  additionalDetails: null,
  misalignment: null,
});

const disconnected = (reason: string) => turnError(`stream disconnected before completion: ${reason}`, "other");

// Codex 0.171.0's own texts for the failures it recognizes, whatever the provider said (probed).
export const CONTEXT_WINDOW_EXCEEDED_MESSAGE =
  "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.";
const QUOTA_EXCEEDED_MESSAGE = "Quota exceeded. Check your plan and billing details.";
const USAGE_NOT_INCLUDED_MESSAGE = "To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.";
const SERVER_OVERLOADED_MESSAGE = "Selected model is at capacity. Please try a different model.";

const contextWindowExceeded = () => turnError(CONTEXT_WINDOW_EXCEEDED_MESSAGE, "contextWindowExceeded");

/**
 * A failure the provider reported by its error's `code` (a `response.failed` event) or `type` (an
 * HTTP error's body), as Codex 0.171.0 reports it; undefined for one it does not recognize.
 */
function recognizedFailure(kind: string | undefined, message: string): TurnError | undefined {
  switch (kind) {
    case "context_length_exceeded":
      return contextWindowExceeded();
    case "insufficient_quota":
      return turnError(QUOTA_EXCEEDED_MESSAGE, "usageLimitExceeded");
    case "usage_not_included":
      return turnError(USAGE_NOT_INCLUDED_MESSAGE, "usageLimitExceeded");
    case "server_is_overloaded":
    case "slow_down":
      return turnError(SERVER_OVERLOADED_MESSAGE, "serverOverloaded");
    case "rate_limit_exceeded":
      return turnError(`rate limit exceeded: ${message}`, "rateLimitExceeded");
    case "invalid_prompt":
      return turnError(message, "other");
    default:
      return undefined;
  }
}

/**
 * A `response.failed` event: a recognized failure is final, in Codex's words; anything else is a
 * dropped stream (`stream disconnected before completion: <message>`), asked again like one.
 */
function failedEventFailure(error: unknown, fallback: string): { failure: TurnError; isFinal: boolean; said: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const said = typeof message === "string" && message ? message : fallback;
  const recognized = recognizedFailure(typeof code === "string" ? code : undefined, said);
  return recognized ? { failure: recognized, isFinal: true, said } : { failure: disconnected(said), isFinal: false, said };
}

/** Codex's exponential backoff with ±10% jitter, capped. */
function backoffMs(attempt: number): number {
  const exponential = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(exponential * (0.9 + Math.random() * 0.2));
}

/** What Codex reports when a provider sent no rate-limit headers: its own limit, nothing known. */
export const UNKNOWN_RATE_LIMITS: RateLimitSnapshot = {
  limitId: "codex",
  limitName: null,
  normalModelSlug: null,
  primary: null,
  secondary: null,
  credits: null,
  individualLimit: null,
  spendControlReached: null,
  planType: null,
  rateLimitReachedType: null,
};

/**
 * The rate limits a response's headers report, in Codex's header family (`x-codex-primary-used-percent`,
 * `-window-minutes`, `-reset-at`, the same for `secondary`, and `x-codex-credits-*`); undefined when
 * it reports neither window nor credits.
 */
export function rateLimitsOf(headers: Headers): RateLimitSnapshot | undefined {
  const number = (name: string) => {
    const value = Number.parseFloat(headers.get(name) ?? "");
    return Number.isFinite(value) ? value : undefined;
  };
  const window = (prefix: string) => {
    const usedPercent = number(`x-codex-${prefix}-used-percent`);
    if (usedPercent === undefined) return null;
    const minutes = number(`x-codex-${prefix}-window-minutes`);
    const resetsAt = number(`x-codex-${prefix}-reset-at`);
    return {
      usedPercent: Math.round(usedPercent),
      windowDurationMins: minutes === undefined ? null : Math.round(minutes),
      resetsAt: resetsAt === undefined ? null : Math.round(resetsAt),
    };
  };
  const flag = (name: string) => headers.get(name)?.trim().toLowerCase() === "true";
  const hasCreditHeaders = headers.has("x-codex-credits-has-credits") || headers.has("x-codex-credits-unlimited");
  const snapshot: RateLimitSnapshot = {
    ...UNKNOWN_RATE_LIMITS,
    primary: window("primary"),
    secondary: window("secondary"),
    credits: hasCreditHeaders
      ? {
          hasCredits: flag("x-codex-credits-has-credits"),
          unlimited: flag("x-codex-credits-unlimited"),
          balance: headers.get("x-codex-credits-balance"),
        }
      : null,
  };
  return snapshot.primary || snapshot.secondary || snapshot.credits ? snapshot : undefined;
}

/** The server's `retry-after-ms` or `retry-after` (seconds or an HTTP date), capped; else undefined. */
function retryAfterMs(headers: Headers): number | undefined {
  const milliseconds = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return Math.min(milliseconds, RETRY_AFTER_CAP_MS);
  const retryAfter = headers.get("retry-after");
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  const delay = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
  return Number.isFinite(delay) ? Math.min(Math.max(0, delay), RETRY_AFTER_CAP_MS) : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ResponsesAbortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ResponsesAbortError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function responsesUrl(provider: ResolvedModelProvider): string {
  const url = `${provider.baseUrl.replace(/\/+$/, "")}/responses`;
  const query = new URLSearchParams(provider.queryParams).toString();
  return query ? `${url}?${query}` : url;
}

function requestHeaders(provider: ResolvedModelProvider): Headers {
  // `set` replaces a provider header of any case (a plain object would send both, comma-joined).
  const headers = new Headers(provider.headers);
  headers.set("content-type", "application/json");
  headers.set("accept", "text/event-stream");
  if (provider.bearerToken !== null) headers.set("authorization", `Bearer ${provider.bearerToken}`);
  return headers;
}

const num = (value: unknown) => (typeof value === "number" ? value : 0);
const str = (value: unknown) => (typeof value === "string" ? value : "");

function usageOf(usage: unknown): ResponsesUsage | null {
  if (!usage || typeof usage !== "object") return null;
  const raw = usage as Record<string, any>;
  return {
    inputTokens: num(raw.input_tokens),
    cachedInputTokens: num(raw.input_tokens_details?.cached_tokens),
    outputTokens: num(raw.output_tokens),
    reasoningOutputTokens: num(raw.output_tokens_details?.reasoning_tokens),
    totalTokens: num(raw.total_tokens),
  };
}

/** One parsed SSE message: an event to yield, a failure to throw, or nothing (an unknown type). */
type Mapped = { event: ResponsesStreamEvent } | { failure: TurnError; isFinal: boolean; report?: ResponseFailureReport } | null;

function mapMessage(message: EventSourceMessage): Mapped {
  let data: Record<string, any>;
  try {
    data = JSON.parse(message.data) as Record<string, any>;
  } catch {
    return null; // Codex skips an event it cannot parse
  }
  if (!data || typeof data !== "object") return null;
  switch (data.type ?? message.event) {
    case "response.created":
      return { event: { type: "created", responseId: str(data.response?.id) } };
    case "response.output_item.added":
      return { event: { type: "outputItemAdded", outputIndex: num(data.output_index), item: data.item ?? {} } };
    case "response.output_text.delta":
      return {
        event: {
          type: "outputTextDelta",
          itemId: str(data.item_id),
          outputIndex: num(data.output_index),
          delta: str(data.delta),
        },
      };
    case "response.reasoning_summary_part.added":
      return { event: { type: "reasoningSummaryPartAdded", itemId: str(data.item_id), summaryIndex: num(data.summary_index) } };
    case "response.reasoning_summary_text.delta":
      return {
        event: {
          type: "reasoningSummaryTextDelta",
          itemId: str(data.item_id),
          summaryIndex: num(data.summary_index),
          delta: str(data.delta),
        },
      };
    case "response.function_call_arguments.delta":
      return {
        event: {
          type: "functionCallArgumentsDelta",
          itemId: str(data.item_id),
          outputIndex: num(data.output_index),
          delta: str(data.delta),
        },
      };
    case "response.output_item.done":
      return { event: { type: "outputItemDone", outputIndex: num(data.output_index), item: data.item ?? {} } };
    case "response.completed":
      return { event: { type: "completed", responseId: str(data.response?.id), usage: usageOf(data.response?.usage) } };
    case "response.failed": {
      const { failure, isFinal, said } = failedEventFailure(data.response?.error, "response failed");
      const code = data.response?.error?.code;
      // The report keeps the provider's own words (thread/sample words its failures from them).
      return { failure, isFinal, report: { kind: "failed", code: typeof code === "string" ? code : null, message: said } };
    }
    case "response.incomplete": {
      // As Codex 0.171.0 words it: a content filter's as a dropped stream, any other reason as it is.
      const reason = str(data.response?.incomplete_details?.reason) || "unknown";
      const text = `Incomplete response returned, reason: ${reason}`;
      const isFiltered = reason === "content_filter";
      return {
        failure: isFiltered ? disconnected(text) : turnError(text, "other"),
        isFinal: !isFiltered,
        report: { kind: "incomplete", reason },
      };
    }
    case "error": {
      const { failure, isFinal } = failedEventFailure(data.error ?? data, "error event from the model provider");
      return { failure, isFinal };
    }
    default:
      return null;
  }
}

const OUTPUT_EVENTS = new Set<ResponsesStreamEvent["type"]>([
  "outputItemAdded",
  "outputTextDelta",
  "reasoningSummaryPartAdded",
  "reasoningSummaryTextDelta",
  "functionCallArgumentsDelta",
  "outputItemDone",
]);

// undici's causes for a connection the server closed or reset after accepting it (else: no connection).
const CLOSED_AFTER_CONNECTING = new Set(["UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNRESET", "EPIPE"]);

function closedAfterConnecting(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" && CLOSED_AFTER_CONNECTING.has(code);
}

/** Why an attempt's controller was aborted by us rather than by the caller. */
const IDLE = Symbol("idle timeout");

/** A failure the retry loop decides on: which budget it draws from, and what the turn reports. */
class AttemptFailure {
  constructor(
    readonly kind: "request" | "stream" | "final",
    readonly error: TurnError,
    readonly delayMs?: number,
    readonly report?: ResponseFailureReport,
  ) {}
}

/**
 * Streams one model call. Throws `ProviderError` when it fails for good, and an `AbortError`
 * (see `isAborted`) soon after `options.signal` aborts. Timed for switchyard_provider_latency_seconds:
 * `first_event` when the first event arrives, `total` when the call ends (retries included), with
 * its outcome (`ok`, `error`, or `aborted` — also when the caller stops reading early).
 */
export async function* streamResponses(
  provider: ResolvedModelProvider,
  body: Record<string, unknown>,
  options: StreamResponsesOptions,
): AsyncIterable<ResponsesStreamEvent> {
  const startedAt = performance.now();
  const elapsedS = () => (performance.now() - startedAt) / 1_000;
  let outcome = "aborted";
  let isFirst = true;
  try {
    for await (const event of streamAttempts(provider, body, options)) {
      if (isFirst) {
        isFirst = false;
        recordProviderLatency("first_event", "ok", elapsedS());
      }
      yield event;
    }
    outcome = "ok";
  } catch (error) {
    outcome = isAborted(error) ? "aborted" : "error";
    throw error;
  } finally {
    recordProviderLatency("total", outcome, elapsedS());
  }
}

async function* streamAttempts(
  provider: ResolvedModelProvider,
  body: Record<string, unknown>,
  options: StreamResponsesOptions,
): AsyncIterable<ResponsesStreamEvent> {
  const { signal } = options;
  const url = responsesUrl(provider);
  const payload = JSON.stringify(body);
  let requestRetries = 0;
  let streamRetries = 0;

  for (;;) {
    if (signal.aborted) throw new ResponsesAbortError();
    const attempt = new AbortController();
    const attemptSignal = AbortSignal.any([signal, attempt.signal]);
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      idleTimer ??= setTimeout(() => attempt.abort(IDLE), provider.streamIdleTimeoutMs);
    };
    const disarmIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = undefined;
    };
    // A failure of this attempt; the error thrown by fetch or the body is replaced by what it means.
    const failureOf = (error: unknown, whileReading: boolean): AttemptFailure => {
      if (signal.aborted) throw new ResponsesAbortError();
      if (error instanceof AttemptFailure) return error;
      const denial = egressDenialOf(error);
      // Refused by the deployment, not failed: asking again would be refused again.
      if (denial) {
        return new AttemptFailure(
          "final",
          turnError(
            `stream disconnected before completion: error sending request for url (${shownUrl(url)}): ${denial.message}`,
            {
              httpConnectionFailed: { httpStatusCode: null },
            },
          ),
        );
      }
      if (attempt.signal.reason === IDLE) return new AttemptFailure("stream", disconnected("idle timeout waiting for SSE"));
      // The body broke off after it began (Codex 0.171.0's words, from its HTTP client).
      if (whileReading) {
        return new AttemptFailure("stream", disconnected("Transport error: network error: error decoding response body"));
      }
      if (closedAfterConnecting(error)) return new AttemptFailure("request", disconnected("error sending request"));
      return new AttemptFailure(
        "request",
        // The query string is left out: it may carry what a provider's query_params hold.
        turnError(`stream disconnected before completion: error sending request for url (${shownUrl(url)})`, {
          httpConnectionFailed: { httpStatusCode: null },
        }),
      );
    };

    let outputYielded = false;
    /** The rate limits of this attempt's response once it began (a 200), for a failure after that. */
    let openedWith: RateLimitSnapshot | undefined;
    let failure: AttemptFailure;
    try {
      let response: Response;
      try {
        armIdle(); // also bounds reading an error answer's body
        response = await options.egress.fetch(url, {
          method: "POST",
          headers: requestHeaders(provider),
          body: payload,
          signal: attemptSignal,
        });
        if (!response.ok) throw await statusFailure(response, url);
        disarmIdle();
      } catch (error) {
        throw failureOf(error, false);
      }
      const rateLimits = rateLimitsOf(response.headers);
      openedWith = rateLimits ?? UNKNOWN_RATE_LIMITS;
      if (rateLimits) yield { type: "rateLimits", snapshot: rateLimits };

      try {
        const messages: EventSourceMessage[] = [];
        const parser = createParser({ onEvent: (message) => messages.push(message) });
        const decoder = new TextDecoder();
        const reader = response.body?.getReader();
        let completed = false;
        while (reader && !completed) {
          armIdle();
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
          if (messages.length > 0) disarmIdle(); // the consumer's time between events is not idle time
          for (const message of messages.splice(0)) {
            const mapped = mapMessage(message);
            if (!mapped) continue;
            if ("failure" in mapped) {
              throw new AttemptFailure(mapped.isFinal ? "final" : "stream", mapped.failure, undefined, mapped.report);
            }
            if (OUTPUT_EVENTS.has(mapped.event.type)) outputYielded = true;
            yield mapped.event;
            if (signal.aborted) throw new ResponsesAbortError();
            if (mapped.event.type === "completed") {
              completed = true;
              break;
            }
          }
        }
        if (completed) return;
        throw new AttemptFailure("stream", disconnected("stream closed before response.completed"));
      } catch (error) {
        if (error instanceof ResponsesAbortError) throw error;
        throw failureOf(error, true);
      }
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      failure = error;
    } finally {
      disarmIdle();
      attempt.abort(); // ends the body (and its socket) of an attempt we leave early
    }

    const budget =
      failure.kind === "request"
        ? provider.requestMaxRetries
        : failure.kind === "stream" && !outputYielded
          ? provider.streamMaxRetries
          : 0;
    const used = failure.kind === "request" ? requestRetries : streamRetries;
    if (used >= budget) throw new ProviderError(exhausted(failure.error), failure.report, openedWith);
    const retry = used + 1;
    if (failure.kind === "request") requestRetries = retry;
    else streamRetries = retry;
    options.onRetry?.({ attempt: retry, max: budget, error: failure.error });
    await sleep(failure.delayMs ?? backoffMs(retry), signal);
  }
}

/** A 429 whose retries ran out reports the retry limit (Codex's `RetryLimit`); other texts stay. */
function exhausted(error: TurnError): TurnError {
  const info = error.codexErrorInfo;
  if (info && typeof info === "object" && "responseTooManyFailedAttempts" in info) {
    return turnError(`exceeded retry limit, last status: 429 ${STATUS_CODES[429]}`, info);
  }
  return error;
}

/** The first `limit` characters of a body, without reading the rest of it. */
async function boundedText(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let text = "";
  try {
    while (text.length < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut short: what arrived is what we have.
  } finally {
    void reader.cancel().catch(() => {});
  }
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** How much of an error answer's body becomes the turn's error (it is stored, logged and shown). */
const ERROR_BODY_LIMIT_CHARS = 4_096;

/** The reason phrase Codex's HTTP client gives a status (Node's, where the two agree). */
const REASON_PHRASES: Record<number, string> = { 418: "I'm a teapot" };
const reasonPhrase = (status: number) => REASON_PHRASES[status] ?? STATUS_CODES[status] ?? "";

/** An error answer's JSON body's `error`, when it has one. */
function errorOfBody(text: string): { message?: unknown; code?: unknown; type?: unknown } | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return body && typeof body.error === "object" && body.error !== null ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error answer, as Codex 0.171.0 reports each (probed): 400 as its body says (a context window
 * exceeded in Codex's words), 429 as a quota or plan refusal its body's error type names, else a
 * rate limit asked again; 500 as high demand and 503 with `server_is_overloaded` as a model at
 * capacity; any other status `unexpected status <code> <reason>: <the error's message, the body, or
 * "Unknown error">, url: <url>`, its status in `httpConnectionFailed`. Other 5xx are asked again.
 */
async function statusFailure(response: Response, url: string): Promise<AttemptFailure> {
  const status = response.status;
  const text = await boundedText(response, ERROR_BODY_LIMIT_CHARS);
  const error = errorOfBody(text);
  const said = typeof error?.message === "string" ? error.message : "";
  if (status === 400) {
    return new AttemptFailure(
      "final",
      error?.code === "context_length_exceeded" ? contextWindowExceeded() : turnError(text, "other"),
    );
  }
  if (status === 429) {
    const refusal = error?.type === "insufficient_quota" || error?.type === "usage_not_included";
    if (refusal) return new AttemptFailure("final", recognizedFailure(error.type as string, said) as TurnError);
    return new AttemptFailure(
      "request",
      turnError(text || `unexpected status 429 ${STATUS_CODES[429]}`, { responseTooManyFailedAttempts: { httpStatusCode: 429 } }),
      retryAfterMs(response.headers),
    );
  }
  if (status === 500) {
    return new AttemptFailure("request", turnError(HIGH_DEMAND_MESSAGE, "internalServerError"), retryAfterMs(response.headers));
  }
  if (status === 503 && error?.code === "server_is_overloaded") {
    return new AttemptFailure("final", recognizedFailure("server_is_overloaded", said) as TurnError);
  }
  const detail = said || text || "Unknown error";
  const failure = turnError(`unexpected status ${status} ${reasonPhrase(status)}: ${detail}, url: ${shownUrl(url)}`, {
    httpConnectionFailed: { httpStatusCode: status },
  });
  return new AttemptFailure(
    status >= 500 ? "request" : "final",
    failure,
    status >= 500 ? retryAfterMs(response.headers) : undefined,
  );
}

/**
 * A provider's URL as a turn's error shows it: without its query string, which may carry what a
 * provider's `query_params` hold, or credentials in it (Codex shows the whole URL).
 */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return url.split("?")[0] ?? url;
  }
}
