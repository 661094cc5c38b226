// Thread attachments, as Codex 0.171.0 keeps them: records a client files on a thread under a type
// and an identity key of its choosing (a pull request, an issue, a document), each with any JSON
// payload, one per (type, key) on a thread; listed per thread, and looked up in reverse (which
// threads hold an attachment with this identity). Adding one that is there already answers the one
// that is there. Only threads with content can hold them (an ephemeral or empty thread is "not
// found", as in Codex); a fork copies its source's; deleting a thread deletes them.
//
// Adds and removes are exclusive on the thread (ordered with its other writes, exactly once); the
// two lists are unkeyed reads (a connection's own writes to the thread are answered first).
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { serdeEnum, serdeStruct, U32 } from "../serde-types.js";

export const ThreadAttachment = z.object({
  id: z.string(),
  attachmentType: z.string(),
  identityKey: z.string(),
  payload: z.unknown(),
  createdAt: z.number().int(),
});
export type ThreadAttachment = z.infer<typeof ThreadAttachment>;

export const ThreadAttachmentAddParams = z.object({
  threadId: z.string(),
  attachmentType: z.string(),
  identityKey: z.string(),
  // Required, and any JSON value (null too): present in the params, whatever it holds.
  payload: z.custom<unknown>((value) => value !== undefined, { error: "missing field `payload`" }),
});
export type ThreadAttachmentAddParams = z.infer<typeof ThreadAttachmentAddParams>;
export const ThreadAttachmentAddResponse = z.object({
  outcome: serdeEnum(["created", "existing"]),
  attachment: ThreadAttachment,
});
export type ThreadAttachmentAddResponse = z.infer<typeof ThreadAttachmentAddResponse>;

export const ThreadAttachmentRemoveParams = z.object({
  threadId: z.string(),
  attachmentType: z.string(),
  identityKey: z.string(),
});
export type ThreadAttachmentRemoveParams = z.infer<typeof ThreadAttachmentRemoveParams>;

export const ThreadAttachmentListParams = serdeStruct("ThreadAttachmentListParams", {
  threadId: z.string(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export type ThreadAttachmentListParams = z.infer<typeof ThreadAttachmentListParams>;
export const ThreadAttachmentListResponse = z.object({ data: z.array(ThreadAttachment), nextCursor: z.string().nullable() });
export type ThreadAttachmentListResponse = z.infer<typeof ThreadAttachmentListResponse>;

/** `archived`: omitted or null, every owner; false, owners not archived; true, archived ones. */
export const ThreadAttachmentOwnerListParams = z.object({
  attachmentType: z.string(),
  identityKey: z.string(),
  archived: z.boolean().nullish(),
  cursor: z.string().nullish(),
  limit: U32.nullish(),
});
export type ThreadAttachmentOwnerListParams = z.infer<typeof ThreadAttachmentOwnerListParams>;
export const ThreadAttachmentOwnerListResponse = z.object({
  data: z.array(z.object({ threadId: z.string(), archived: z.boolean() })),
  nextCursor: z.string().nullable(),
});
export type ThreadAttachmentOwnerListResponse = z.infer<typeof ThreadAttachmentOwnerListResponse>;

export const ThreadAttachmentUpdatedNotification = z.object({
  threadId: z.string(),
  attachmentType: z.string(),
  identityKey: z.string(),
  attachmentId: z.string(),
  operation: z.enum(["created", "deleted"]),
});

export const ThreadAttachmentMethod = {
  threadAttachmentAdd: "thread/attachment/add",
  threadAttachmentRemove: "thread/attachment/remove",
  threadAttachmentList: "thread/attachment/list",
  threadAttachmentOwnerList: "thread/attachmentOwner/list",
} as const;

export const ThreadAttachmentNotification = {
  threadAttachmentUpdated: "thread/attachment/updated",
} as const;

const threadKey = (params: { threadId: string }) => params.threadId;
/** Codex refuses a malformed thread id in these methods with -32602 (invalid params). */
const threadIdParam = { label: "thread", invalidParams: true } as const;

const M = ThreadAttachmentMethod;
export const threadAttachmentMethods = defineMethods({
  [M.threadAttachmentAdd]: {
    threadId: threadIdParam,
    owner: "thread",
    scope: { kind: "exclusive", family: "thread", id: threadKey },
    experimental: false,
    paramsRequired: true,
    params: ThreadAttachmentAddParams,
    result: ThreadAttachmentAddResponse,
    announcedAfterAnswer: [ThreadAttachmentNotification.threadAttachmentUpdated],
    announcesThread: "params",
    summary: "Files an attachment on a thread under its type and identity key, or answers the one already there.",
  },
  [M.threadAttachmentRemove]: {
    threadId: threadIdParam,
    owner: "thread",
    scope: { kind: "exclusive", family: "thread", id: threadKey },
    experimental: false,
    paramsRequired: true,
    params: ThreadAttachmentRemoveParams,
    result: z.object({}),
    announcedAfterAnswer: [ThreadAttachmentNotification.threadAttachmentUpdated],
    announcesThread: "params",
    summary: "Removes a thread's attachment by its type and identity key (nothing to remove is not an error).",
  },
  [M.threadAttachmentList]: {
    threadId: threadIdParam,
    owner: "thread",
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: threadKey } },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: ThreadAttachmentListParams,
    result: ThreadAttachmentListResponse,
    summary: "A thread's attachments, oldest first, paged (none for a thread it does not know).",
  },
  [M.threadAttachmentOwnerList]: {
    owner: "thread",
    // Unkeyed: a tenant-wide lookup over committed state; it orders against no single thread.
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: ThreadAttachmentOwnerListParams,
    result: ThreadAttachmentOwnerListResponse,
    summary: "The threads holding an attachment of this type and identity key (archived or not), by thread id.",
  },
});

export const threadAttachmentNotifications = defineNotifications({
  [ThreadAttachmentNotification.threadAttachmentUpdated]: {
    params: ThreadAttachmentUpdatedNotification,
    // Codex sends it to every connection, subscribed to the thread or not.
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "An attachment was filed on a thread or removed from it.",
  },
});
