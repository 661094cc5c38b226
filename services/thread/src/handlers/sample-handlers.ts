// thread/sample and thread/sample/cancel, as Codex 0.171.0 answers them (probed on the binary).
//
// A sample is one model call over a loaded thread's history with the client's prompt added at the
// end. Its text comes back in the answer and is recorded nowhere: no turn, no item, no usage, no
// notification. It runs on the instance that takes the request, outside the thread's keyed lane, so a
// turn may start on the thread meanwhile (as in Codex). Its model call is retried as a turn's is (the
// provider's request and stream retries; a failure the response reports itself is not retried).
//
// Codex's checks, in its order: the thread is loaded (`thread/sample requires a loaded source`); the
// turn id and the prompt are not blank and the prompt is at most 4,000 bytes; the thread is persistent
// and a root thread; it has a rollout; then the turn named: with a turn running, the sample is refused
// (`sample source must be idle`) unless `allowInProgressTurn`, and then it must name the latest turn;
// otherwise it must name the latest turn, which is finished.
//
// A sample of a running turn sees what that turn has stored so far, then a note that the copy was
// taken mid-turn (Codex adds one too; this is Switchyard's own wording), with any tool call that has
// no output yet answered as aborted, so the history is one the Responses API accepts.
//
// Cancelling: thread/sample/cancel names the sample by the JSON-RPC id its connection sent it with
// (request-cancellations.ts carries it to whichever instance runs it); the sample then answers
// -32603 `sample canceled`. The cancel is answered `{}` whether or not such a sample runs. A sample
// also stops when its connection closes, at the gateway's deadline, and when its instance shuts down
// (then answered at once, so the client can ask again, rather than left to its deadline).
import {
  type DynamicToolSpec,
  MAX_SAMPLE_PROMPT_BYTES,
  Method,
  requestServiceTier,
  SwitchyardError,
  type ThreadSampleParams,
  type ThreadSampleResponse,
} from "@switchyard/protocol";
import type { HandlerContext, HandlersFor } from "@switchyard/runtime";
import type { ProviderEgress } from "../provider/egress.js";
import { dynamicToolToFunctionTool, responsesRequestBody } from "../provider/request-body.js";
import {
  isAborted,
  ProviderError,
  type ResponseFailureReport,
  type ResponsesUsage,
  streamResponses,
} from "../provider/responses-client.js";
import type { RequestCancellations } from "../request-cancellations.js";
import type { ThreadStore } from "../store/thread-store.js";
import { hasNoRollout } from "../thread-view.js";
import { placeContext } from "../turns/turn-context.js";
import { compactedHistory } from "../turns/turn-items.js";
import { messageText, type ProviderSource, turnThread } from "../turns/turn-runner.js";
import type { TurnStore } from "../turns/turn-store.js";

type SampleMethodName = typeof Method.threadSample | typeof Method.threadSampleCancel;

const invalid = (message: string) => new SwitchyardError({ reason: "invalidArgument", message });
const failed = (message: string) => new SwitchyardError({ reason: "sampleFailed", message });

/** Told to the model after the history of a turn still running (Codex tells it too, in its words). */
export const THREAD_SNAPSHOT_NOTE =
  "<thread_snapshot>\nThe history above was copied while its latest turn was still running; that turn goes on without this copy. A tool call that had no output yet when it was copied is shown as aborted.\n</thread_snapshot>";

/** A sample its instance's shutdown cut short (Switchyard's own case: Codex's samples end with their process). */
export const SHUTDOWN_MESSAGE = "sample failed: the Switchyard instance running it shut down before it finished; ask again";

/**
 * Output items by which the model asks for a tool (a sample that asks for one has no text), each with
 * the kind of item that answers it.
 */
const CALL_OUTPUT_TYPES: Record<string, string> = {
  function_call: "function_call_output",
  custom_tool_call: "custom_tool_call_output",
  local_shell_call: "function_call_output",
};

/** Codex's words for a sample whose response reported its own failure (`sample failed: …`). */
export function sampleFailureMessage(report: ResponseFailureReport): string {
  if (report.kind === "incomplete") return `sample failed: Incomplete response returned, reason: ${report.reason}`;
  if (report.code === "server_is_overloaded" || report.code === "slow_down") return "sample failed: server overloaded";
  if (report.code === null) return `sample failed: retryable error: ${report.message}`;
  return `sample failed: ${report.message}`;
}

/**
 * A copy of a history taken mid-turn, made acceptable to the model: every tool call without an output
 * gets one saying it was aborted (the call itself stays, as Codex's copy shows it).
 */
export function closePendingCalls(input: Record<string, unknown>[]): Record<string, unknown>[] {
  const answered = new Set(
    input.filter((item) => String(item.type).endsWith("_output")).map((item) => String(item.call_id ?? "")),
  );
  const closed: Record<string, unknown>[] = [];
  for (const item of input) {
    closed.push(item);
    const outputType = CALL_OUTPUT_TYPES[String(item.type)];
    const callId = String(item.call_id ?? "");
    if (outputType && callId && !answered.has(callId)) closed.push({ type: outputType, call_id: callId, output: "aborted" });
  }
  return closed;
}

export function sampleHandlers(deps: {
  threads: ThreadStore;
  turns: TurnStore;
  providers: ProviderSource;
  egress: ProviderEgress;
  cancellations: RequestCancellations;
  defaults: { model: string; modelProvider: string };
  /** The instance's running samples, which its shutdown lets finish for a while and then cuts short. */
  running: RunningSamples;
}): Pick<HandlersFor<"thread">, SampleMethodName> {
  const { threads, turns, providers, egress, cancellations, defaults, running } = deps;
  const shutdown = running.signal;

  /** Codex's checks in its order; the thread row and whether its latest turn is still running. */
  async function source(params: ThreadSampleParams, context: HandlerContext) {
    const tenant = context.request.caller.tenant;
    const row = await threads.read(tenant, params.threadId);
    if (!row?.loaded_at || row.archived_at) throw invalid("thread/sample requires a loaded source");
    const isBlank = (text: string) => text.trim() === "";
    if (isBlank(params.expectedTurnId) || isBlank(params.prompt) || Buffer.byteLength(params.prompt) > MAX_SAMPLE_PROMPT_BYTES) {
      throw invalid(`thread/sample requires expectedTurnId and a prompt of at most ${MAX_SAMPLE_PROMPT_BYTES} bytes`);
    }
    if (row.is_ephemeral || row.parent_thread_id) throw invalid("sample source must be a persistent root thread");
    if (hasNoRollout(row)) throw invalid(`invalid thread-store request: no rollout found for thread id ${row.id}`);
    const latest = await turns.latestTurn(tenant, row.id);
    const isRunning = latest?.status === "inProgress";
    if (isRunning && !params.allowInProgressTurn) throw invalid("sample source must be idle");
    if (latest?.id !== params.expectedTurnId) {
      throw invalid(
        params.allowInProgressTurn
          ? "sample source turn must be the latest turn"
          : "sample source turn must be the latest finished turn",
      );
    }
    return { row, isRunning };
  }

  return {
    [Method.threadSample]: (params, context) => running.track(sample(params, context)),

    async [Method.threadSampleCancel](params, { request }) {
      cancellations.cancel({ connection: request.connection, kind: "sample", requestId: params.requestId });
      return {};
    },
  };

  async function sample(params: ThreadSampleParams, context: HandlerContext): Promise<ThreadSampleResponse> {
    const { row, isRunning } = await source(params, context);
    const { request } = context;
    const thread = turnThread(row, defaults, request.caller.subject);
    const requestId = request.clientRequestId;
    const registration = requestId === undefined ? undefined : cancellations.start(request.connection, "sample", requestId);
    // Past the gateway's deadline nobody waits for the answer: the model call stops too.
    const deadline = AbortSignal.timeout(Math.max(0, request.deadlineMs - Date.now()));
    const signal = AbortSignal.any([context.signal, deadline, shutdown, ...(registration ? [registration.signal] : [])]);
    try {
      const resolved = await providers(thread, thread.model);
      const compacted = compactedHistory(await turns.history(thread.tenant, thread.threadId));
      let history = compacted.input;
      if (isRunning) history = [...closePendingCalls(history), developerNote(THREAD_SNAPSHOT_NOTE)];
      const body = responsesRequestBody({
        model: thread.model,
        input: [
          ...placeContext(thread.instructions, resolved.developerInstructions, history, compacted.contextAt),
          { type: "message", role: "user", content: [{ type: "input_text", text: params.prompt }] },
        ],
        // The thread's own tools, offered as its turns offer them (the prompt's cache stays warm);
        // a call to one ends the sample without text, as in Codex.
        tools: (thread.dynamicTools as DynamicToolSpec[]).map(dynamicToolToFunctionTool),
        reasoningEffort: resolved.reasoningEffort,
        reasoningSummary: resolved.reasoningSummary,
        promptCacheKey: thread.threadId,
        serviceTier: requestServiceTier(thread.serviceTier, resolved.serviceTiers),
      });
      // Retried as a turn's call is (the provider's request and stream retries), as Codex does.
      let text = "";
      let callsTool = false;
      let completed: { responseId: string; usage: ResponsesUsage | null } | undefined;
      for await (const event of streamResponses(resolved.provider, body, { signal, egress })) {
        if (event.type === "outputItemDone") {
          const item = event.item as Record<string, unknown>;
          if (String(item.type) in CALL_OUTPUT_TYPES) callsTool = true;
          else if (item.type === "message") text += messageText(item) ?? "";
        } else if (event.type === "completed") {
          completed = event;
        }
      }
      if (!completed) throw failed("sample failed: the model's response did not complete");
      context.log.info({ threadId: row.id, responseId: completed.responseId, callsTool }, "thread sampled");
      // Codex's field order.
      const answer: ThreadSampleResponse = {
        sourceTurnId: params.expectedTurnId,
        responseId: completed.responseId,
        text: callsTool || text === "" ? null : text,
        inputTokens: completed.usage?.inputTokens ?? null,
        cachedInputTokens: completed.usage?.cachedInputTokens ?? null,
        outputTokens: completed.usage?.outputTokens ?? null,
      };
      return answer;
    } catch (error) {
      if (shutdown.aborted) throw failed(SHUTDOWN_MESSAGE);
      if (signal.aborted || isAborted(error)) throw failed("sample canceled");
      if (error instanceof ProviderError)
        throw failed(error.report ? sampleFailureMessage(error.report) : error.turnError.message);
      throw error;
    } finally {
      registration?.finish();
    }
  }
}

/**
 * The samples an instance is running. Its shutdown lets them finish for up to a grace period (as it
 * lets turns finish), then aborts the rest, which answer at once that they were cut short, while the
 * bus can still carry their answers.
 */
export class RunningSamples {
  private readonly running = new Set<Promise<unknown>>();
  private readonly controller = new AbortController();

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get count(): number {
    return this.running.size;
  }

  track<T>(sample: Promise<T>): Promise<T> {
    this.running.add(sample);
    const forget = () => this.running.delete(sample);
    sample.then(forget, forget);
    return sample;
  }

  async stop(graceMs: number): Promise<void> {
    const all = () => Promise.allSettled([...this.running]);
    await Promise.race([all(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    this.controller.abort();
    await all();
  }
}

const developerNote = (text: string) => ({ type: "message", role: "developer", content: [{ type: "input_text", text }] });
