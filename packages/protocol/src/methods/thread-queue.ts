// A thread's queue of user submissions, as Codex 0.171.0 shapes it: prompts a client queues while the
// thread works (or while it is idle), kept with the thread and started one at a time as its turns.
// A submission added to an idle thread starts at once; one added while a turn runs waits, and each
// turn's end starts the next, unless that turn was interrupted (the queue then waits for the next
// turn's end or a thread/queue/start). Every change is announced as thread/queue/changed. All the
// methods are exclusive on the thread: they are ordered with its turns' admissions.
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { U32 } from "../serde-types.js";
import { Turn, UserInput } from "./turn.js";

const threadKey = (params: { threadId: string }) => params.threadId;
const exclusiveOnThread = { kind: "exclusive", family: "thread", id: threadKey } as const;

export const QueuedSubmission = z.object({
  id: z.string(),
  input: z.array(UserInput),
  clientUserMessageId: z.string(),
  responsesapiClientMetadata: z.record(z.string(), z.string()).nullable(),
});
export type QueuedSubmission = z.infer<typeof QueuedSubmission>;

const Metadata = z.record(z.string(), z.string()).nullish();

export const ThreadQueueAddParams = z.object({
  threadId: z.string(),
  clientUserMessageId: z.string(),
  input: z.array(UserInput),
  responsesapiClientMetadata: Metadata,
});
export const ThreadQueueListParams = z.object({
  threadId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export const ThreadQueueUpdateParams = z.object({
  threadId: z.string(),
  queuedSubmissionId: z.string(),
  input: z.array(UserInput),
  responsesapiClientMetadata: Metadata,
});
export const ThreadQueueDeleteParams = z.object({ threadId: z.string(), queuedSubmissionId: z.string() });
export const ThreadQueueReorderParams = z.object({ threadId: z.string(), queuedSubmissionIds: z.array(z.string()) });
export const ThreadQueueStartParams = z.object({ threadId: z.string(), queuedSubmissionId: z.string().nullish() });

export const ThreadQueueMethod = {
  threadQueueAdd: "thread/queue/add",
  threadQueueList: "thread/queue/list",
  threadQueueUpdate: "thread/queue/update",
  threadQueueDelete: "thread/queue/delete",
  threadQueueReorder: "thread/queue/reorder",
  threadQueueStart: "thread/queue/start",
} as const;

export const ThreadQueueNotification = {
  threadQueueChanged: "thread/queue/changed",
} as const;

const M = ThreadQueueMethod;
const common = {
  threadId: { label: "thread" },
  owner: "thread",
  scope: exclusiveOnThread,
  // Experimental in Codex 0.171.0 (the binary gates every queue method).
  experimental: true,
  paramsRequired: true,
} as const;

export const threadQueueMethods = defineMethods({
  [M.threadQueueAdd]: {
    ...common,
    params: ThreadQueueAddParams,
    result: z.object({ queuedSubmission: QueuedSubmission }),
    announcedAfterAnswer: "all",
    announcesThread: "params",
    summary: "Queues a user submission on a thread; an idle thread starts it at once as a turn.",
  },
  [M.threadQueueList]: {
    ...common,
    params: ThreadQueueListParams,
    result: z.object({ data: z.array(QueuedSubmission), nextCursor: z.string().nullable() }),
    summary: "Lists a thread's queued submissions, next first.",
  },
  [M.threadQueueUpdate]: {
    ...common,
    params: ThreadQueueUpdateParams,
    result: z.object({ queuedSubmission: QueuedSubmission }),
    announcedAfterAnswer: [ThreadQueueNotification.threadQueueChanged],
    announcesThread: "params",
    summary: "Replaces a queued submission's input (and metadata).",
  },
  [M.threadQueueDelete]: {
    ...common,
    params: ThreadQueueDeleteParams,
    result: z.object({ deleted: z.boolean() }),
    announcedAfterAnswer: [ThreadQueueNotification.threadQueueChanged],
    announcesThread: "params",
    summary: "Removes a queued submission.",
  },
  [M.threadQueueReorder]: {
    ...common,
    params: ThreadQueueReorderParams,
    result: z.object({}),
    announcedAfterAnswer: [ThreadQueueNotification.threadQueueChanged],
    announcesThread: "params",
    summary: "Puts a thread's queued submissions in the given order (every one, exactly once).",
  },
  [M.threadQueueStart]: {
    ...common,
    params: ThreadQueueStartParams,
    result: z.object({ turn: Turn }),
    announcedAfterAnswer: "all",
    announcesThread: "params",
    summary: "Starts a queued submission (the next one unless named) as a turn on an idle thread.",
  },
});

export const threadQueueNotifications = defineNotifications({
  [ThreadQueueNotification.threadQueueChanged]: {
    params: z.object({ threadId: z.string() }),
    audience: "threadSubscribers",
    experimental: true,
    critical: false,
    summary: "A thread's queue of submissions changed (added, updated, removed, reordered or started).",
  },
});
