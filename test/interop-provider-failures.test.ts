// How a failed model call ends a turn, beside the real `codex app-server` 0.171.0 on one scripted
// Responses server: for each way a provider fails (an HTTP error with each kind of body, a
// `response.failed` with each code Codex recognizes and one it does not, an incomplete response, a
// stream cut before or after it began), the same notifications in the same order (the rate limits
// announced once the response had begun, the usage filled to the window when the context window is
// exceeded) and the same error, text and `codexErrorInfo`, on `error` and `turn/completed`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ScriptStep } from "../packages/cli/src/provider/scripted-responses.js";
import { type BesideCodex, besideCodexScripted, idNamer, type Side, sideCall, sidesOf } from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const body = (error: Record<string, unknown>) => JSON.stringify({ error });

/** Each case: the steps of the turns played on a fresh thread (the failure is the last turn's). */
const CASES: Record<string, ScriptStep[]> = {
  "400, the body as it is": [{ failStatus: 400 }],
  "400, context_length_exceeded": [{ failStatus: 400, failBody: body({ message: "too long", code: "context_length_exceeded" }) }],
  "401": [{ failStatus: 401 }],
  "403, a body that is not JSON": [{ failStatus: 403, failBody: "forbidden here" }],
  "404, an empty body": [{ failStatus: 404, failBody: "" }],
  "429, insufficient_quota": [{ failStatus: 429, failBody: body({ message: "q", type: "insufficient_quota" }) }],
  "429, usage_not_included": [{ failStatus: 429, failBody: body({ message: "u", type: "usage_not_included" }) }],
  "429, a rate limit": [{ failStatus: 429 }],
  "500": [{ failStatus: 500 }],
  "502": [{ failStatus: 502 }],
  "503, server_is_overloaded": [{ failStatus: 503, failBody: body({ message: "busy", code: "server_is_overloaded" }) }],
  "response.failed, server_error": [{ responseFailed: { code: "server_error", message: "boom" } }],
  "response.failed, no code": [{ responseFailed: { message: "plain" } }],
  "response.failed, rate_limit_exceeded": [{ responseFailed: { code: "rate_limit_exceeded", message: "slow down" } }],
  "response.failed, insufficient_quota": [{ responseFailed: { code: "insufficient_quota", message: "no money" } }],
  "response.failed, usage_not_included": [{ responseFailed: { code: "usage_not_included", message: "not included" } }],
  "response.failed, server_is_overloaded": [{ responseFailed: { code: "server_is_overloaded", message: "overloaded" } }],
  "response.failed, invalid_prompt": [{ responseFailed: { code: "invalid_prompt", message: "bad prompt" } }],
  "response.failed, context_length_exceeded after a turn": [
    { text: "first answer" },
    { responseFailed: { code: "context_length_exceeded", message: "too long" } },
  ],
  "incomplete, max_output_tokens": [{ responseIncomplete: "max_output_tokens" }],
  "incomplete, content_filter": [{ responseIncomplete: "content_filter" }],
  "cut before anything was sent": [{ text: "abcdefgh", cutAfterDeltas: 0 }],
  "cut after the response began": [{ cutAfterCreated: true }],
  "cut after two deltas": [{ text: "abcdefgh", cutAfterDeltas: 2, delayMs: 40 }],
};

/** Notifications about turns (not the thread's own announcements, which race the turn's on the binary). */
const ABOUT_THE_TURN = (method: string) =>
  method !== "thread/started" && method !== "thread/readState/changed" && method !== "answer";

async function play(side: Side, provider: ScriptedResponses, cwd: string, baseUrl: string) {
  const record: Record<string, unknown> = {};
  for (const [label, steps] of Object.entries(CASES)) {
    const name = idNamer();
    const threadId = (await sideCall(side, "thread/start", { cwd })).thread.id as string;
    let heard = side.heardFrom();
    let window: number | null = null;
    let earlierTotal = 0;
    for (const step of steps) {
      provider.clearScript();
      provider.script(step);
      heard = side.heardFrom();
      const input = [{ type: "text", text: label, text_elements: [] }];
      const turnId = (await sideCall(side, "turn/start", { threadId, input })).turn.id as string;
      await side.turnCompleted(turnId);
      const usage = heard().findLast((message) => message.method === "thread/tokenUsage/updated");
      if (usage && step !== steps.at(-1)) earlierTotal = usage.params.tokenUsage.total.totalTokens;
      window ??= usage?.params.tokenUsage.modelContextWindow ?? null;
    }
    // The failing turn's notifications, the window each side reports (its own config's) named.
    const shown = heard()
      .filter((message) => ABOUT_THE_TURN(message.method))
      .map((message) =>
        ["error", "turn/completed", "thread/tokenUsage/updated"].includes(message.method)
          ? { [message.method]: message.params }
          : message.method,
      );
    record[label] = JSON.parse(name(JSON.stringify(shown)).replaceAll(baseUrl, "<provider>"), (key, value) =>
      typeof value === "number" && window !== null && value === window
        ? "<window>"
        : typeof value === "number" && window !== null && earlierTotal > 0 && value === window - earlierTotal
          ? "<window less the earlier usage>"
          : /^(startedAt|completedAt|durationMs)$/.test(key)
            ? "<time>"
            : value,
    );
    // Filled to the window, the window must have been read off the side (its own config's).
    if (label.includes("context_length_exceeded")) assert.ok(window !== null, `${side.name} ${label}: a window`);
  }
  return record;
}

describe("a failed model call, against codex app-server 0.171.0", () => {
  let beside: BesideCodex;
  let provider: ScriptedResponses;

  before(async () => {
    ({ sides: beside, provider } = await besideCodexScripted("provider-failures"));
  });
  after(async () => beside?.stop());

  test("the same notifications and errors as the binary for each way a provider fails", async () => {
    const { codex, switchyard } = sidesOf(beside);
    const baseUrl = `${provider.baseUrl}/responses`;
    const theirs = await play(codex, provider, beside.serverCwd, baseUrl);
    const ours = await play(switchyard, provider, beside.serverCwd, baseUrl);
    // Read off the binary, so the comparison below compares what matters.
    assert.deepEqual((theirs["401"] as unknown[]).slice(-2, -1), [
      {
        error: {
          error: {
            message: "unexpected status 401 Unauthorized: scripted failure 401, url: <provider>",
            codexErrorInfo: { httpConnectionFailed: { httpStatusCode: 401 } },
            additionalDetails: null,
            misalignment: null,
          },
          willRetry: false,
          threadId: "<1>",
          turnId: "<2>",
        },
      },
    ]);
    assert.deepEqual(ours, theirs);
    assertConformant();
  });
});
