// feedback/upload (packages/protocol/src/methods/feedback.ts): a user's feedback kept for the
// deployment's operators, once per command id, and answered as Codex 0.171.0 answers an upload
// (probed on the binary): the thread as named (`no-active-thread-<id>` without one) and the SHA-256
// of the thread's whitespace-normalized base instructions, null when it has none or nothing is
// recorded for it yet (Codex reads them from the thread's rollout).
import { createHash } from "node:crypto";
import { type FeedbackUploadResponse, Method, SwitchyardError } from "@switchyard/protocol";
import { type HandlersFor, type Logger, newId } from "@switchyard/runtime";
import { type LifecycleStore, NO_THREAD } from "../store/lifecycle-store.js";
import type { ThreadStore } from "../store/thread-store.js";
import type { TurnStore } from "../turns/turn-store.js";

/** Codex's prompt hash: the text's words joined by single spaces, hashed. */
export function promptHash(instructions: string): string {
  return createHash("sha256").update(instructions.split(/\s+/).filter(Boolean).join(" ")).digest("hex");
}

export function feedbackHandlers(deps: {
  threads: ThreadStore;
  lifecycle: LifecycleStore;
  turns: TurnStore;
  log: Logger;
}): Pick<HandlersFor<"thread">, typeof Method.feedbackUpload> {
  const { threads, lifecycle, turns, log } = deps;

  async function promptHashOf(tenant: string, threadId: string | null | undefined): Promise<string | null> {
    if (!threadId) return null;
    const row = await threads.read(tenant, threadId);
    const base = (row?.settings as { baseInstructions?: string | null } | undefined)?.baseInstructions;
    if (!row || row.is_ephemeral || !base?.trim() || !(await turns.hasHistory(tenant, threadId))) return null;
    return promptHash(base);
  }

  return {
    async [Method.feedbackUpload](params, context) {
      const { tenant, subject } = context.request.caller;
      if (params.extraLogFiles && params.extraLogFiles.length > 0) {
        throw new SwitchyardError({
          reason: "invalidArgument",
          message:
            "`extraLogFiles` name files on the app-server's machine: Switchyard's cloud sessions have none. Send the feedback without them (the deployment keeps its own logs of the thread)",
        });
      }
      const threadId = params.threadId ?? `no-active-thread-${newId()}`;
      const hash = await promptHashOf(tenant, params.threadId);
      const { result, isReplay } = await lifecycle.applyOnce(
        tenant,
        { commandId: context.request.commandId, method: context.request.method, threadId: NO_THREAD },
        async (tx): Promise<FeedbackUploadResponse> => {
          await tx.query(
            "feedback insert",
            `INSERT INTO thread.feedback (tenant, id, thread_id, classification, reason, tags, include_logs, prompt_hash, submitted_by)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`,
            [
              tenant,
              newId(),
              threadId,
              params.classification,
              params.reason ?? null,
              JSON.stringify(params.tags ?? {}),
              params.includeLogs === true,
              hash,
              subject,
            ],
          );
          return { threadId, promptHash: hash };
        },
      );
      if (!isReplay) {
        log.info(
          {
            tenant,
            threadId,
            classification: params.classification,
            submittedBy: subject,
            includeLogs: params.includeLogs === true,
          },
          "feedback received",
        );
      }
      return result;
    },
  };
}
