import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { ResolvedModelProvider, TurnError } from "@switchyard/protocol";
import { egressPolicy } from "@switchyard/runtime";
import { type ScriptedResponses, startScriptedResponses } from "../../../../packages/cli/src/provider/scripted-responses.js";
import { type ProviderEgress, providerEgress } from "./egress.js";
import { dynamicToolToFunctionTool, findDynamicTool, responsesRequestBody } from "./request-body.js";
import {
  CONTEXT_WINDOW_EXCEEDED_MESSAGE,
  isAborted,
  ProviderError,
  type ResponsesStreamEvent,
  rateLimitsOf,
  streamResponses,
  UNKNOWN_RATE_LIMITS,
} from "./responses-client.js";

/** As the tests' deployments: private ranges denied, loopback allowed (the scripted providers listen there). */
const LOOPBACK_ALLOWED = providerEgress(egressPolicy(["private"], ["loopback"]));

const HIGH_DEMAND = "We\u2019re currently experiencing high demand, which may cause temporary errors.";

function providerAt(baseUrl: string, overrides: Partial<ResolvedModelProvider> = {}): ResolvedModelProvider {
  return {
    id: "scripted",
    name: "Scripted",
    baseUrl,
    wireApi: "responses",
    queryParams: {},
    headers: {},
    bearerToken: null,
    requestMaxRetries: 0,
    streamMaxRetries: 0,
    streamIdleTimeoutMs: 10_000,
    ...overrides,
  };
}

const userInput = (text: string) => [{ type: "message", role: "user", content: [{ type: "input_text", text }] }];
const body = (text = "hi") => responsesRequestBody({ model: "gpt-test", input: userInput(text) });

interface Run {
  events: ResponsesStreamEvent[];
  retries: { attempt: number; max: number; error: TurnError }[];
  error?: unknown;
}

async function run(
  provider: ResolvedModelProvider,
  options: {
    signal?: AbortSignal;
    onEvent?: (event: ResponsesStreamEvent) => void;
    requestBody?: Record<string, unknown>;
    egress?: ProviderEgress;
  } = {},
): Promise<Run> {
  const result: Run = { events: [], retries: [] };
  try {
    const stream = streamResponses(provider, options.requestBody ?? body(), {
      signal: options.signal ?? new AbortController().signal,
      egress: options.egress ?? LOOPBACK_ALLOWED,
      onRetry: (retry) => result.retries.push(retry),
    });
    for await (const event of stream) {
      result.events.push(event);
      options.onEvent?.(event);
    }
  } catch (error) {
    result.error = error;
  }
  return result;
}

function turnErrorOf(result: Run): TurnError {
  assert.ok(result.error instanceof ProviderError, `expected a ProviderError, got ${String(result.error)}`);
  return result.error.turnError;
}

const textOf = (events: ResponsesStreamEvent[]) =>
  events.map((event) => (event.type === "outputTextDelta" ? event.delta : "")).join("");

async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback server whose every answer `respond` writes: for events the scripted server never sends. */
async function rawServer(respond: (response: ServerResponse) => void) {
  const server = createServer((request, response) => {
    request.resume();
    respond(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sseFrame = (type: string, body: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;

describe("streamResponses against the scripted Responses server", () => {
  let scripted: ScriptedResponses;
  beforeEach(async () => {
    scripted = await startScriptedResponses();
  });
  afterEach(async () => {
    await scripted.close();
  });

  test("egress policy: a provider at a denied address is never called, and the turn fails at once saying why", async () => {
    const denied = providerEgress(egressPolicy(["private"], []));
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 3 }), { egress: denied });
    const error = turnErrorOf(result);
    assert.match(
      error.message,
      /^stream disconnected before completion: error sending request for url \(http:\/\/127\.0\.0\.1:\d+\/v1\/responses\)/,
    );
    assert.match(error.message, /the address 127\.0\.0\.1 is not allowed by this deployment's egress policy$/);
    assert.deepEqual(error.codexErrorInfo, { httpConnectionFailed: { httpStatusCode: null } });
    assert.equal(result.retries.length, 0, "a refusal is not retried");
    assert.equal(scripted.requests.length, 0);

    // By name: what the name resolves to is checked where the socket connects.
    const byName = await run(providerAt(scripted.baseUrl.replace("127.0.0.1", "localhost")), { egress: denied });
    assert.match(
      turnErrorOf(byName).message,
      /localhost resolves to (127\.0\.0\.1|::1), which this deployment's egress policy does not allow$/,
    );
    assert.equal(scripted.requests.length, 0);

    // Allowed by the operator: the same provider answers.
    scripted.script({ text: "through" });
    const allowed = await run(providerAt(scripted.baseUrl), { egress: providerEgress(egressPolicy(["private"], ["127.0.0.1"])) });
    assert.equal(allowed.error, undefined);
    assert.equal(textOf(allowed.events), "through");
    assert.equal(scripted.requests.length, 1);
  });

  test("a full stream: events in order, the text adds up, usage", async () => {
    scripted.script({ text: "Hello there, world!", chunks: 3 });
    const result = await run(providerAt(scripted.baseUrl));
    assert.equal(result.error, undefined);
    assert.deepEqual(
      result.events.map((event) => event.type),
      ["created", "outputItemAdded", "outputTextDelta", "outputTextDelta", "outputTextDelta", "outputItemDone", "completed"],
    );
    assert.equal(textOf(result.events), "Hello there, world!");
    const [created, added] = result.events;
    assert.deepEqual(created, { type: "created", responseId: "resp_1" });
    assert.equal(added?.type === "outputItemAdded" && added.item.type, "message");
    const delta = result.events[2];
    assert.deepEqual(delta, { type: "outputTextDelta", itemId: "msg_1", outputIndex: 0, delta: "Hello t" });
    const done = result.events[5];
    assert.ok(done?.type === "outputItemDone");
    assert.deepEqual(done.item.content, [{ type: "output_text", text: "Hello there, world!", annotations: [] }]);
    assert.deepEqual(result.events.at(-1), {
      type: "completed",
      responseId: "resp_1",
      usage: { inputTokens: 12, cachedInputTokens: 0, outputTokens: 19, reasoningOutputTokens: 0, totalTokens: 31 },
    });
    assert.deepEqual(result.retries, []);
  });

  test("the response's rate-limit headers come first, as Codex reads them; none: no event", async () => {
    scripted.script({
      text: "Limited.",
      headers: {
        "x-codex-primary-used-percent": "42.6",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": "1796400000",
        "x-codex-secondary-used-percent": "7",
        "x-codex-credits-has-credits": "true",
        "x-codex-credits-unlimited": "false",
        "x-codex-credits-balance": "12.50",
      },
    });
    const limited = await run(providerAt(scripted.baseUrl));
    assert.deepEqual(limited.events[0], {
      type: "rateLimits",
      snapshot: {
        ...UNKNOWN_RATE_LIMITS,
        primary: { usedPercent: 43, windowDurationMins: 300, resetsAt: 1796400000 },
        secondary: { usedPercent: 7, windowDurationMins: null, resetsAt: null },
        credits: { hasCredits: true, unlimited: false, balance: "12.50" },
      },
    });
    scripted.script({ text: "Unlimited." });
    const plain = await run(providerAt(scripted.baseUrl));
    assert.equal(plain.events[0]?.type, "created");
    assert.equal(rateLimitsOf(new Headers({ "x-codex-primary-used-percent": "not a number" })), undefined);
  });

  test("reasoning summary events come before the message", async () => {
    scripted.script({ reasoningSummary: "Thinking it over", text: "Done." });
    const result = await run(providerAt(scripted.baseUrl));
    assert.equal(result.error, undefined);
    assert.deepEqual(result.events.map((event) => event.type).slice(0, 6), [
      "created",
      "outputItemAdded",
      "reasoningSummaryPartAdded",
      "reasoningSummaryTextDelta",
      "reasoningSummaryTextDelta",
      "outputItemDone",
    ]);
    assert.deepEqual(result.events[2], { type: "reasoningSummaryPartAdded", itemId: "rs_1", summaryIndex: 0 });
    const summary = result.events.map((event) => (event.type === "reasoningSummaryTextDelta" ? event.delta : "")).join("");
    assert.equal(summary, "Thinking it over");
    const reasoningDone = result.events[5];
    assert.ok(reasoningDone?.type === "outputItemDone");
    assert.equal(reasoningDone.item.type, "reasoning");
    assert.equal(textOf(result.events), "Done.");
    const completed = result.events.at(-1);
    assert.ok(completed?.type === "completed");
    assert.equal(completed.usage?.reasoningOutputTokens, "Thinking it over".length);
  });

  test("a tool call: the function_call item, its argument deltas, the done item", async () => {
    scripted.script({ toolCall: { name: "lookup", arguments: { query: "weather" }, callId: "call_9" } });
    const result = await run(providerAt(scripted.baseUrl));
    assert.equal(result.error, undefined);
    assert.deepEqual(
      result.events.map((event) => event.type),
      ["created", "outputItemAdded", "functionCallArgumentsDelta", "outputItemDone", "completed"],
    );
    assert.deepEqual(result.events[2], {
      type: "functionCallArgumentsDelta",
      itemId: "fc_1",
      outputIndex: 0,
      delta: '{"query":"weather"}',
    });
    const done = result.events[3];
    assert.ok(done?.type === "outputItemDone");
    assert.equal(done.item.type, "function_call");
    assert.equal(done.item.call_id, "call_9");
    assert.equal(done.item.name, "lookup");
    assert.equal(done.item.arguments, '{"query":"weather"}');
  });

  test("sends the body, query params, the provider's headers and the bearer token", async () => {
    const requestBody = body("what is up");
    const provider = providerAt(`${scripted.baseUrl}/`, {
      queryParams: { "api-version": "2025-04-01", tenant: "a b" },
      headers: { "x-switchyard-tenant": "t1", "OpenAI-Organization": "org_1", Authorization: "Bearer replaced" },
      bearerToken: "sk-test-secret",
    });
    const result = await run(provider, { requestBody });
    assert.equal(result.error, undefined);
    assert.equal(scripted.requestUrls[0], "/v1/responses?api-version=2025-04-01&tenant=a+b");
    assert.deepEqual(scripted.requests[0], requestBody);
    const headers = scripted.requestHeaders[0] ?? {};
    assert.equal(headers["content-type"], "application/json");
    assert.equal(headers.accept, "text/event-stream");
    assert.equal(headers["x-switchyard-tenant"], "t1");
    assert.equal(headers["openai-organization"], "org_1");
    assert.equal(headers.authorization, "Bearer sk-test-secret");
  });

  test("no authorization header without a bearer token", async () => {
    await run(providerAt(scripted.baseUrl));
    assert.equal(scripted.requestUrls[0], "/v1/responses");
    assert.equal(scripted.requestHeaders[0]?.authorization, undefined);
  });

  test("400: the body text, codexErrorInfo other, not retried", async () => {
    scripted.script({ failStatus: 400, failTimes: 3 });
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 3, streamMaxRetries: 3 }));
    assert.deepEqual(turnErrorOf(result), {
      message: '{"error":{"message":"scripted failure 400","type":"server_error"}}',
      codexErrorInfo: "other",
      additionalDetails: null,
      misalignment: null,
    });
    assert.equal(scripted.requests.length, 1);
    assert.deepEqual(result.retries, []);
  });

  test("401: Codex's unexpected-status text with the error's message and the URL, final, and never the token", async () => {
    scripted.script({ failStatus: 401 });
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 2, bearerToken: "sk-never-shown" }));
    const error = turnErrorOf(result);
    assert.deepEqual(error, {
      message: `unexpected status 401 Unauthorized: scripted failure 401, url: ${scripted.baseUrl}/responses`,
      codexErrorInfo: { httpConnectionFailed: { httpStatusCode: 401 } },
      additionalDetails: null,
      misalignment: null,
    });
    assert.ok(!String((result.error as Error).message).includes("sk-never-shown"));
    assert.equal(scripted.requests.length, 1);
  });

  test("500 without retries: Codex's high-demand text, internalServerError", async () => {
    scripted.script({ failStatus: 500 });
    const result = await run(providerAt(scripted.baseUrl));
    assert.deepEqual(turnErrorOf(result), {
      message: HIGH_DEMAND,
      codexErrorInfo: "internalServerError",
      additionalDetails: null,
      misalignment: null,
    });
  });

  test("429 without retries: the retry-limit text and responseTooManyFailedAttempts", async () => {
    scripted.script({ failStatus: 429 });
    const result = await run(providerAt(scripted.baseUrl));
    assert.deepEqual(turnErrorOf(result), {
      message: "exceeded retry limit, last status: 429 Too Many Requests",
      codexErrorInfo: { responseTooManyFailedAttempts: { httpStatusCode: 429 } },
      additionalDetails: null,
      misalignment: null,
    });
  });

  test("an HTTP error's detail: the error's message, else the body, else Codex's `Unknown error`; the URL without its query", async () => {
    scripted.script(
      { failStatus: 403, failBody: "not json" },
      { failStatus: 404, failBody: "" },
      { failStatus: 418, failBody: JSON.stringify({ detail: "no error object" }) },
    );
    const provider = providerAt(scripted.baseUrl, { queryParams: { "api-key": "sk-in-the-query" } });
    const messages: string[] = [];
    for (let index = 0; index < 3; index++) messages.push(turnErrorOf(await run(provider)).message);
    assert.deepEqual(messages, [
      `unexpected status 403 Forbidden: not json, url: ${scripted.baseUrl}/responses`,
      `unexpected status 404 Not Found: Unknown error, url: ${scripted.baseUrl}/responses`,
      `unexpected status 418 I'm a teapot: {"detail":"no error object"}, url: ${scripted.baseUrl}/responses`,
    ]);
  });

  test("400: the body as it is, or Codex's context-window text for `context_length_exceeded`", async () => {
    scripted.script(
      { failStatus: 400, failBody: "" },
      { failStatus: 400, failBody: JSON.stringify({ error: { message: "too long", code: "context_length_exceeded" } }) },
    );
    assert.deepEqual(turnErrorOf(await run(providerAt(scripted.baseUrl))), {
      message: "",
      codexErrorInfo: "other",
      additionalDetails: null,
      misalignment: null,
    });
    assert.deepEqual(turnErrorOf(await run(providerAt(scripted.baseUrl, { requestMaxRetries: 2 }))), {
      message: CONTEXT_WINDOW_EXCEEDED_MESSAGE,
      codexErrorInfo: "contextWindowExceeded",
      additionalDetails: null,
      misalignment: null,
    });
    assert.equal(scripted.requests.length, 2);
  });

  test("429 naming a quota or a plan without Codex is final, in Codex's words; 503 `server_is_overloaded` too", async () => {
    scripted.script(
      { failStatus: 429, failBody: JSON.stringify({ error: { message: "q", type: "insufficient_quota" } }) },
      { failStatus: 429, failBody: JSON.stringify({ error: { message: "u", type: "usage_not_included" } }) },
      { failStatus: 503, failBody: JSON.stringify({ error: { message: "busy", code: "server_is_overloaded" } }) },
    );
    const errors: unknown[] = [];
    for (let index = 0; index < 3; index++) {
      const error = turnErrorOf(await run(providerAt(scripted.baseUrl, { requestMaxRetries: 2 })));
      errors.push([error.message, error.codexErrorInfo]);
    }
    assert.deepEqual(errors, [
      ["Quota exceeded. Check your plan and billing details.", "usageLimitExceeded"],
      ["To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.", "usageLimitExceeded"],
      ["Selected model is at capacity. Please try a different model.", "serverOverloaded"],
    ]);
    assert.equal(scripted.requests.length, 3);
  });

  test("5xx retried, then the stream: onRetry before each retry", async () => {
    scripted.script({ failStatus: 503, failTimes: 2, text: "after two failures" });
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 3 }));
    assert.equal(result.error, undefined);
    assert.equal(textOf(result.events), "after two failures");
    assert.equal(scripted.requests.length, 3);
    assert.deepEqual(
      result.retries.map(({ attempt, max, error }) => ({ attempt, max, info: error.codexErrorInfo, message: error.message })),
      [1, 2].map((attempt) => ({
        attempt,
        max: 3,
        info: { httpConnectionFailed: { httpStatusCode: 503 } },
        message: `unexpected status 503 Service Unavailable: scripted failure 503, url: ${scripted.baseUrl}/responses`,
      })),
    );
  });

  test("5xx retries exhausted: max+1 requests, then the high-demand error", async () => {
    scripted.script({ failStatus: 500, failTimes: 10 });
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 2 }));
    assert.deepEqual(turnErrorOf(result), {
      message: HIGH_DEMAND,
      codexErrorInfo: "internalServerError",
      additionalDetails: null,
      misalignment: null,
    });
    assert.equal(scripted.requests.length, 3);
    assert.deepEqual(
      result.retries.map(({ attempt, max }) => [attempt, max]),
      [
        [1, 2],
        [2, 2],
      ],
    );
  });

  test("429 retries exhausted: the retry-limit text", async () => {
    scripted.script({ failStatus: 429, failTimes: 10, failHeaders: { "retry-after-ms": "1" } });
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 1 }));
    assert.deepEqual(turnErrorOf(result), {
      message: "exceeded retry limit, last status: 429 Too Many Requests",
      codexErrorInfo: { responseTooManyFailedAttempts: { httpStatusCode: 429 } },
      additionalDetails: null,
      misalignment: null,
    });
    assert.equal(scripted.requests.length, 2);
    assert.equal(result.retries.length, 1);
  });

  test("retry-after-ms is honoured", async () => {
    scripted.script({ failStatus: 429, failTimes: 1, failHeaders: { "retry-after-ms": "1200" }, text: "later" });
    const started = Date.now();
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 1 }));
    assert.equal(result.error, undefined);
    assert.equal(textOf(result.events), "later");
    // The first backoff alone is at most 220 ms: waiting this long means the header was used.
    assert.ok(Date.now() - started >= 1150, `retried after ${Date.now() - started} ms`);
  });

  test("a stream cut after output is final, even with stream retries left", async () => {
    scripted.script({ text: "abcdefghi", chunks: 3, cutAfterDeltas: 1, delayMs: 30 });
    const result = await run(providerAt(scripted.baseUrl, { streamMaxRetries: 3 }));
    const error = turnErrorOf(result);
    assert.equal(
      error.message,
      "stream disconnected before completion: Transport error: network error: error decoding response body",
    );
    assert.equal(error.codexErrorInfo, "other");
    assert.equal(textOf(result.events), "abc");
    assert.equal(scripted.requests.length, 1);
    assert.deepEqual(result.retries, []);
  });

  test("a stream cut before any output is requested again", async () => {
    scripted.script({ cutAfterCreated: true }, { text: "second try" });
    const result = await run(providerAt(scripted.baseUrl, { streamMaxRetries: 2 }));
    assert.equal(result.error, undefined);
    assert.equal(textOf(result.events), "second try");
    assert.equal(scripted.requests.length, 2);
    assert.equal(result.retries.length, 1);
    assert.equal(result.retries[0]?.attempt, 1);
    assert.equal(result.retries[0]?.max, 2);
    assert.match(result.retries[0]?.error.message ?? "", /^stream disconnected before completion: /);
    assert.deepEqual(
      result.events.filter((event) => event.type === "created"),
      [
        { type: "created", responseId: "resp_1" },
        { type: "created", responseId: "resp_2" },
      ],
    );
  });

  test("a stream cut before output with no stream retries fails", async () => {
    scripted.script({ cutAfterCreated: true });
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 3 }));
    assert.match(turnErrorOf(result).message, /^stream disconnected before completion: /);
    assert.equal(scripted.requests.length, 1);
  });

  test("a connection closed before the response headers: Codex's text, retried as a request", async () => {
    // without delayMs the scripted server destroys the socket before its corked writes went out
    scripted.script({ text: "abcdefghi", chunks: 3, cutAfterDeltas: 1 }, { text: "abcdefghi", chunks: 3, cutAfterDeltas: 1 });
    const result = await run(providerAt(scripted.baseUrl, { requestMaxRetries: 1 }));
    assert.deepEqual(turnErrorOf(result), {
      message: "stream disconnected before completion: error sending request",
      codexErrorInfo: "other",
      additionalDetails: null,
      misalignment: null,
    });
    assert.deepEqual(result.events, []);
    assert.equal(scripted.requests.length, 2);
    assert.equal(result.retries.length, 1);
  });

  test("a stalled stream ends with the idle timeout", async () => {
    scripted.script({ stall: true });
    const result = await run(providerAt(scripted.baseUrl, { streamIdleTimeoutMs: 200 }));
    assert.deepEqual(turnErrorOf(result), {
      message: "stream disconnected before completion: idle timeout waiting for SSE",
      codexErrorInfo: "other",
      additionalDetails: null,
      misalignment: null,
    });
    assert.deepEqual(
      result.events.map((event) => event.type),
      ["created"],
    );
  });

  test("a stalled stream before output is retried under the stream budget", async () => {
    scripted.script({ stall: true }, { text: "recovered" });
    const result = await run(providerAt(scripted.baseUrl, { streamIdleTimeoutMs: 200, streamMaxRetries: 1 }));
    assert.equal(result.error, undefined);
    assert.equal(textOf(result.events), "recovered");
    assert.equal(result.retries.length, 1);
    assert.equal(result.retries[0]?.error.message, "stream disconnected before completion: idle timeout waiting for SSE");
  });

  test("a stall after output is final: the idle timeout, no retry", async () => {
    scripted.script({ text: "abcdef", chunks: 3, stallAfterDeltas: 1 });
    const result = await run(providerAt(scripted.baseUrl, { streamIdleTimeoutMs: 200, streamMaxRetries: 3 }));
    assert.equal(turnErrorOf(result).message, "stream disconnected before completion: idle timeout waiting for SSE");
    assert.equal(textOf(result.events), "ab");
    assert.equal(scripted.requests.length, 1);
  });

  test("the idle timeout also bounds waiting for the response headers", async () => {
    scripted.script({ delayMs: 2_000 });
    const result = await run(providerAt(scripted.baseUrl, { streamIdleTimeoutMs: 200 }));
    assert.equal(turnErrorOf(result).message, "stream disconnected before completion: idle timeout waiting for SSE");
    assert.deepEqual(result.events, []);
  });

  test("response.failed: a code Codex recognizes in its words, any other as a dropped stream", async () => {
    scripted.script(
      { responseFailed: { code: "context_length_exceeded", message: "Your input exceeds the context window of this model." } },
      { responseFailed: { code: "insufficient_quota", message: "You exceeded your current quota." } },
      { responseFailed: { code: "usage_not_included", message: "Not in your plan." } },
      { responseFailed: { code: "server_is_overloaded", message: "Overloaded." } },
      { responseFailed: { code: "rate_limit_exceeded", message: "Slow down." } },
      { responseFailed: { code: "invalid_prompt", message: "Flagged." } },
      { responseFailed: { code: "something_new", message: "Something new went wrong." } },
    );
    const errors: unknown[] = [];
    for (let index = 0; index < 7; index++) {
      const error = turnErrorOf(await run(providerAt(scripted.baseUrl)));
      errors.push([error.message, error.codexErrorInfo]);
    }
    assert.deepEqual(errors, [
      [CONTEXT_WINDOW_EXCEEDED_MESSAGE, "contextWindowExceeded"],
      ["Quota exceeded. Check your plan and billing details.", "usageLimitExceeded"],
      ["To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.", "usageLimitExceeded"],
      ["Selected model is at capacity. Please try a different model.", "serverOverloaded"],
      ["rate limit exceeded: Slow down.", "rateLimitExceeded"],
      ["Flagged.", "other"],
      ["stream disconnected before completion: Something new went wrong.", "other"],
    ]);
  });

  test("response.failed with a code Codex does not recognize is asked again, as a dropped stream is", async () => {
    scripted.script({ responseFailed: { code: "something_new", message: "Transient." } }, { text: "second try" });
    const result = await run(providerAt(scripted.baseUrl, { streamMaxRetries: 1 }));
    assert.equal(result.error, undefined);
    assert.equal(textOf(result.events), "second try");
    assert.equal(result.retries[0]?.error.message, "stream disconnected before completion: Transient.");
  });

  test("response.incomplete ends the call with its reason; a content filter's as a dropped stream", async () => {
    scripted.script({ responseIncomplete: "max_output_tokens" }, { responseIncomplete: "content_filter" });
    const result = await run(providerAt(scripted.baseUrl, { streamMaxRetries: 2 }));
    assert.deepEqual(turnErrorOf(result), {
      message: "Incomplete response returned, reason: max_output_tokens",
      codexErrorInfo: "other",
      additionalDetails: null,
      misalignment: null,
    });
    assert.equal(scripted.requests.length, 1);
    assert.equal(
      turnErrorOf(await run(providerAt(scripted.baseUrl))).message,
      "stream disconnected before completion: Incomplete response returned, reason: content_filter",
    );
  });

  test("connection refused: retried, then httpConnectionFailed with the URL", async () => {
    const port = await refusedPort();
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const result = await run(providerAt(baseUrl, { requestMaxRetries: 1, bearerToken: "sk-never-shown" }));
    assert.deepEqual(turnErrorOf(result), {
      message: `stream disconnected before completion: error sending request for url (${baseUrl}/responses)`,
      codexErrorInfo: { httpConnectionFailed: { httpStatusCode: null } },
      additionalDetails: null,
      misalignment: null,
    });
    assert.deepEqual(
      result.retries.map(({ attempt, max }) => [attempt, max]),
      [[1, 1]],
    );
  });

  test("abort mid-stream ends the iterator promptly with an AbortError", async () => {
    scripted.script({ text: "abcdefghij", chunks: 5, stallAfterDeltas: 2 });
    const controller = new AbortController();
    let abortedAt = 0;
    const result = await run(providerAt(scripted.baseUrl, { streamIdleTimeoutMs: 60_000 }), {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "outputTextDelta" && event.delta === "cd") {
          // abort while the client is waiting for the next event, not inside the consumer
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort();
          }, 50);
        }
      },
    });
    assert.ok(isAborted(result.error), `expected an AbortError, got ${String(result.error)}`);
    assert.ok(!(result.error instanceof ProviderError));
    assert.ok(Date.now() - abortedAt < 2_000);
    assert.equal(textOf(result.events), "abcd");
  });

  test("abort during a retry's backoff ends it promptly", async () => {
    scripted.script({ failStatus: 500, failTimes: 1, failHeaders: { "retry-after-ms": "8000" } });
    const controller = new AbortController();
    const started = Date.now();
    const result = await (async () => {
      const stream = streamResponses(providerAt(scripted.baseUrl, { requestMaxRetries: 1 }), body(), {
        signal: controller.signal,
        egress: LOOPBACK_ALLOWED,
        onRetry: () => setTimeout(() => controller.abort(), 50),
      });
      try {
        for await (const _ of stream) {
        }
      } catch (error) {
        return error;
      }
    })();
    assert.ok(isAborted(result), `expected an AbortError, got ${String(result)}`);
    assert.ok(Date.now() - started < 4_000);
    assert.equal(scripted.requests.length, 1);
  });

  test("abort while waiting for the response headers, and an already aborted signal", async () => {
    scripted.script({ delayMs: 3_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const result = await run(providerAt(scripted.baseUrl, { streamIdleTimeoutMs: 60_000 }), { signal: controller.signal });
    assert.ok(isAborted(result.error));
    assert.ok(Date.now() - started < 2_000);

    const before = scripted.requests.length;
    const again = await run(providerAt(scripted.baseUrl), { signal: controller.signal });
    assert.ok(isAborted(again.error));
    assert.equal(scripted.requests.length, before);
  });

  test("a consumer that stops early closes the connection", async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const server = await rawServer((response) => {
      response.on("close", closed);
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(sseFrame("response.created", { response: { id: "resp_raw" } })); // then hangs
    });
    try {
      const stream = streamResponses(providerAt(server.baseUrl, { streamIdleTimeoutMs: 60_000 }), body(), {
        signal: new AbortController().signal,
        egress: LOOPBACK_ALLOWED,
      });
      for await (const event of stream) {
        assert.deepEqual(event, { type: "created", responseId: "resp_raw" });
        break;
      }
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("connection still open")), 2_000).unref());
      await Promise.race([connectionClosed, timeout]);
    } finally {
      await server.close();
    }
  });

  test("unknown event types are ignored; an error event ends the stream with its message", async () => {
    const server = await rawServer((response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(sseFrame("response.created", { response: { id: "resp_raw" } }));
      response.write(sseFrame("response.in_progress", { response: { id: "resp_raw" } }));
      response.write(": a comment\n\n");
      response.write("data: not json\n\n");
      response.write(sseFrame("response.something_new", { anything: true }));
      response.end(sseFrame("error", { code: "rate_limit_exceeded", message: "Rate limit reached for requests." }));
    });
    try {
      const result = await run(providerAt(server.baseUrl, { streamMaxRetries: 2 }));
      assert.deepEqual(
        result.events.map((event) => event.type),
        ["created"],
      );
      assert.deepEqual(turnErrorOf(result), {
        message: "rate limit exceeded: Rate limit reached for requests.",
        codexErrorInfo: "rateLimitExceeded",
        additionalDetails: null,
        misalignment: null,
      });
      assert.deepEqual(result.retries, []);
    } finally {
      await server.close();
    }
  });

  test("a stream that ends without response.completed fails", async () => {
    const server = await rawServer((response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(sseFrame("response.created", { response: { id: "resp_raw" } }));
      response.write(sseFrame("response.output_item.added", { output_index: 0, item: { type: "message", id: "m" } }));
      response.end(sseFrame("response.output_text.delta", { item_id: "m", output_index: 0, delta: "partial" }));
    });
    try {
      const result = await run(providerAt(server.baseUrl, { streamMaxRetries: 2 }));
      assert.equal(textOf(result.events), "partial");
      assert.deepEqual(turnErrorOf(result), {
        message: "stream disconnected before completion: stream closed before response.completed",
        codexErrorInfo: "other",
        additionalDetails: null,
        misalignment: null,
      });
    } finally {
      await server.close();
    }
  });

  test("isAborted is false for other errors", () => {
    assert.equal(isAborted(new Error("boom")), false);
    assert.equal(
      isAborted(new ProviderError({ message: "x", codexErrorInfo: "other", additionalDetails: null, misalignment: null })),
      false,
    );
    assert.equal(isAborted("AbortError"), false);
  });
});

describe("responsesRequestBody", () => {
  test("a plain turn: the standard streaming body", () => {
    const input = userInput("hello");
    assert.deepEqual(
      responsesRequestBody({ model: "gpt-5.1", instructions: "Be brief.", input, promptCacheKey: "thread-1", store: false }),
      {
        model: "gpt-5.1",
        instructions: "Be brief.",
        input,
        tools: [],
        tool_choice: "auto",
        parallel_tool_calls: false,
        store: false,
        stream: true,
        include: [],
        prompt_cache_key: "thread-1",
      },
    );
  });

  test("reasoning, tools and structured output", () => {
    const schema = {
      type: "object",
      properties: { title: { type: "string" } },
      required: ["title"],
      additionalProperties: false,
    };
    const tool = dynamicToolToFunctionTool({ name: "lookup", description: "Look it up.", inputSchema: { type: "object" } });
    const result = responsesRequestBody({
      model: "gpt-5.1",
      input: [],
      tools: [tool],
      outputSchema: schema,
      reasoningEffort: "high",
      reasoningSummary: "auto",
    });
    assert.deepEqual(result.tools, [
      { type: "function", name: "lookup", description: "Look it up.", parameters: { type: "object" }, strict: false },
    ]);
    assert.deepEqual(result.reasoning, { effort: "high", summary: "auto" });
    assert.deepEqual(result.text, { format: { type: "json_schema", name: "codex_output_schema", schema, strict: true } });
    assert.equal(result.instructions, undefined);
    assert.equal(result.prompt_cache_key, undefined);
  });

  test("reasoning only when set; summary none is left out", () => {
    assert.equal(responsesRequestBody({ model: "m", input: [] }).reasoning, undefined);
    assert.deepEqual(
      responsesRequestBody({ model: "m", input: [], reasoningEffort: "low", reasoningSummary: "none" }).reasoning,
      {
        effort: "low",
      },
    );
    assert.deepEqual(responsesRequestBody({ model: "m", input: [], reasoningSummary: "detailed" }).reasoning, {
      summary: "detailed",
    });
  });

  test("dynamic tools: namespaced names, defaults, and finding a called tool", () => {
    const specs = [
      { name: "search", namespace: "docs", description: "Search the docs." },
      { name: "search", description: null, inputSchema: { type: "object", properties: { q: { type: "string" } } } },
    ];
    assert.deepEqual(dynamicToolToFunctionTool(specs[0]!), {
      type: "function",
      name: "docs__search",
      description: "Search the docs.",
      parameters: { type: "object", properties: {} },
      strict: false,
    });
    assert.deepEqual(dynamicToolToFunctionTool(specs[1]!), {
      type: "function",
      name: "search",
      description: "",
      parameters: { type: "object", properties: { q: { type: "string" } } },
      strict: false,
    });
    assert.equal(findDynamicTool(specs, "docs__search"), specs[0]);
    assert.equal(findDynamicTool(specs, "search"), specs[1]);
    assert.equal(findDynamicTool(specs, "missing"), undefined);
  });
});
