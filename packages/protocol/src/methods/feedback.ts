// feedback/upload, as Codex 0.171.0 takes it (probed on the binary), with the deployment in place of
// Codex's upload: a user's feedback (its classification, reason and tags, about a thread or none) is
// kept for the deployment's operators (the thread service's `thread.feedback` table) instead of sent
// to OpenAI. The answer names the thread as Codex does (`no-active-thread-<id>` without one, any
// other id as given) and `promptHash`, the SHA-256 of the thread's whitespace-normalized base
// instructions (null when it has none recorded). feedback/save writes a file on the app-server's own
// machine: on Switchyard it needs an enrolled one (codex-methods.ts).
import { z } from "zod";
import { defineMethods } from "../define.js";

export const FeedbackUploadParams = z.object({
  classification: z.string(),
  reason: z.string().nullish(),
  threadId: z.string().nullish(),
  includeLogs: z.boolean().optional(),
  extraLogFiles: z.array(z.string()).nullish(),
  tags: z.record(z.string(), z.string()).nullish(),
});
export type FeedbackUploadParams = z.infer<typeof FeedbackUploadParams>;
export const FeedbackUploadResponse = z.object({ threadId: z.string(), promptHash: z.string().nullable() });
export type FeedbackUploadResponse = z.infer<typeof FeedbackUploadResponse>;

export const FeedbackMethod = { feedbackUpload: "feedback/upload" } as const;

export const feedbackMethods = defineMethods({
  [FeedbackMethod.feedbackUpload]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Unkeyed: feedback names a thread (or none) but changes nothing of it. Kept once per command id
    // (the thread service's ledger), so a second ask answers what the first one stored.
    scope: { kind: "unkeyed" },
    repeatable: "commandLedger",
    experimental: false,
    paramsRequired: true,
    params: FeedbackUploadParams,
    result: FeedbackUploadResponse,
    summary: "Keeps a user's feedback (classification, reason, tags, its thread) for the deployment's operators.",
  },
});
