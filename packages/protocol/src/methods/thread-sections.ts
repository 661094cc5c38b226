// Thread sections, as Codex 0.171.0 keeps them: named groups a user's threads can be filed in (a
// sidebar's folders), each with an optional appearance, plus the built-in "Pinned" section every
// tenant has (its fixed id; it cannot be renamed or deleted). A thread is in at most one section, at
// a position the client chooses (before another thread, or last); thread/list filters by section and
// orders by that position. Sections are the tenant's, as its threads are.
//
// The section writes are exclusive on one key per tenant (`thread:<tenant>:sections`, no thread id
// can be that), so they run in order and exactly once; a move is exclusive on the thread it moves
// (ordered with that thread's other writes) and takes the destination section's lock in Postgres,
// so moves into one section, and a move against that section's rename or delete, never interleave.
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";
import { serdeStruct, U32 } from "../serde-types.js";

/** The built-in "Pinned" section's id, the same in every Codex installation (and every tenant here). */
export const PINNED_SECTION_ID = "01984de2-8f74-7c91-a3b2-5c5e937cf318";
export const PINNED_SECTION_NAME = "Pinned";

export const ThreadSectionAppearance = serdeStruct("ThreadSectionAppearance", {
  color: z.string().nullish(),
  icon: z.string().nullish(),
});
export type ThreadSectionAppearance = z.infer<typeof ThreadSectionAppearance>;

export const ThreadSection = z.object({
  id: z.string(),
  name: z.string(),
  appearance: z.object({ icon: z.string().nullable(), color: z.string().nullable() }).nullable(),
});
export type ThreadSection = z.infer<typeof ThreadSection>;

export const ThreadSectionListParams = z.object({ cursor: z.string().nullish(), limit: U32.nullish() });
export type ThreadSectionListParams = z.infer<typeof ThreadSectionListParams>;
export const ThreadSectionListResponse = z.object({ data: z.array(ThreadSection), nextCursor: z.string().nullable() });
export type ThreadSectionListResponse = z.infer<typeof ThreadSectionListResponse>;

export const ThreadSectionCreateParams = z.object({ name: z.string(), appearance: ThreadSectionAppearance.nullish() });
export type ThreadSectionCreateParams = z.infer<typeof ThreadSectionCreateParams>;
/** `appearance`: omitted keeps it, null clears it, a value replaces it. */
export const ThreadSectionUpdateParams = z.object({
  sectionId: z.string(),
  name: z.string(),
  appearance: ThreadSectionAppearance.nullish(),
});
export type ThreadSectionUpdateParams = z.infer<typeof ThreadSectionUpdateParams>;
export const ThreadSectionResponse = z.object({ section: ThreadSection });
export type ThreadSectionResponse = z.infer<typeof ThreadSectionResponse>;
export const ThreadSectionDeleteParams = z.object({ sectionId: z.string() });
export type ThreadSectionDeleteParams = z.infer<typeof ThreadSectionDeleteParams>;

/** `sectionId` is required and may be null (out of any section); `beforeThreadId` absent or null: last. */
export const ThreadSectionMoveParams = z.object({
  threadId: z.string(),
  sectionId: z.string().nullable(),
  beforeThreadId: z.string().nullish(),
});
export type ThreadSectionMoveParams = z.infer<typeof ThreadSectionMoveParams>;

export const ThreadSectionChangedNotification = z.object({ threadId: z.string(), sectionId: z.string().nullable() });

export const ThreadSectionMethod = {
  threadSectionList: "threadSection/list",
  threadSectionCreate: "threadSection/create",
  threadSectionUpdate: "threadSection/update",
  threadSectionDelete: "threadSection/delete",
  threadSectionMove: "thread/section/move",
} as const;

export const ThreadSectionNotification = {
  threadSectionChanged: "thread/section/changed",
} as const;

/** The one keyed-lane key of a tenant's section writes (not a UUID, so no thread's key). */
export const SECTIONS_KEY_ID = "sections";
const onTheTenantsSections = { kind: "exclusive", family: "thread", id: () => SECTIONS_KEY_ID } as const;

const M = ThreadSectionMethod;
export const threadSectionMethods = defineMethods({
  [M.threadSectionList]: {
    owner: "thread",
    // Unkeyed: a listing of committed state; a connection's earlier section writes were answered
    // (committed) before it could send this.
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: false,
    paramsRequired: true,
    params: ThreadSectionListParams,
    result: ThreadSectionListResponse,
    summary: "Lists the tenant's thread sections, the built-in Pinned one first, in creation order.",
  },
  [M.threadSectionCreate]: {
    owner: "thread",
    scope: onTheTenantsSections,
    experimental: false,
    paramsRequired: true,
    params: ThreadSectionCreateParams,
    result: ThreadSectionResponse,
    summary: "Creates a thread section (its name trimmed, not empty; names need not be unique).",
  },
  [M.threadSectionUpdate]: {
    owner: "thread",
    scope: onTheTenantsSections,
    experimental: false,
    paramsRequired: true,
    params: ThreadSectionUpdateParams,
    result: ThreadSectionResponse,
    summary: "Renames a thread section and sets or clears its appearance (not the built-in Pinned one).",
  },
  [M.threadSectionDelete]: {
    owner: "thread",
    scope: onTheTenantsSections,
    experimental: false,
    paramsRequired: true,
    params: ThreadSectionDeleteParams,
    result: z.object({}),
    summary: "Deletes a thread section; its threads are left in none (not the built-in Pinned one).",
  },
  [M.threadSectionMove]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "exclusive", family: "thread", id: (params: ThreadSectionMoveParams) => params.threadId },
    experimental: false,
    paramsRequired: true,
    params: ThreadSectionMoveParams,
    result: z.object({}),
    announcedAfterAnswer: [ThreadSectionNotification.threadSectionChanged],
    announcesThread: "params",
    summary: "Files a thread in a section (before another of its threads, or last), or takes it out of its section.",
  },
});

export const threadSectionNotifications = defineNotifications({
  [ThreadSectionNotification.threadSectionChanged]: {
    params: ThreadSectionChangedNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was moved into, within or out of a section.",
  },
});
