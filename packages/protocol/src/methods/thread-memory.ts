// Memories, as far as Codex 0.171.0's protocol reaches them without any: Codex can write summaries of
// past threads ("memories") and feed them to new ones; Switchyard generates none yet. What a client
// can do here is what it can do with a Codex that has none: set whether a thread may use and feed
// memories (kept with the thread), read a thread's memory summary (none), ask for the memory store's
// status (nothing consolidated) and reset it (nothing to reset).
import { z } from "zod";
import { defineMethods } from "../define.js";
import { serdeEnum, U32, UnitParams } from "../serde-types.js";

export const ThreadMemoryMode = serdeEnum(["enabled", "disabled"]);
export const ThreadMemoryModeSetParams = z.object({ threadId: z.string(), mode: ThreadMemoryMode });
export type ThreadMemoryModeSetParams = z.infer<typeof ThreadMemoryModeSetParams>;
export const ThreadMemoryReadParams = z.object({ threadId: z.string() });
export const ThreadMemoryReadResponse = z.object({ summary: z.string().nullable() });
/** `minConsolidatedThreads`: Codex takes 1 to 4096 (20 when absent). */
export const MemoryStatusParams = z.object({ minConsolidatedThreads: U32.nullish() });
export type MemoryStatusParams = z.infer<typeof MemoryStatusParams>;
export const MemoryStatusResponse = z.object({ v2ConsolidatedThreads: z.number().int(), v2Ready: z.boolean() });

export const ThreadMemoryMethod = {
  threadMemoryModeSet: "thread/memoryMode/set",
  threadMemoryRead: "thread/memory/read",
  memoryStatus: "memory/status",
  memoryReset: "memory/reset",
} as const;

const threadKey = (params: { threadId: string }) => params.threadId;

// Every memory method is experimental in Codex 0.171.0 (the binary gates them).
export const threadMemoryMethods = defineMethods({
  [ThreadMemoryMethod.threadMemoryModeSet]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "exclusive", family: "thread", id: threadKey },
    experimental: true,
    paramsRequired: true,
    params: ThreadMemoryModeSetParams,
    result: z.object({}),
    summary: "Sets whether a thread may use memories and feed them (kept with the thread).",
  },
  [ThreadMemoryMethod.threadMemoryRead]: {
    threadId: { label: "thread" },
    owner: "thread",
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: threadKey } },
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: ThreadMemoryReadParams,
    result: ThreadMemoryReadResponse,
    summary: "A loaded thread's memory summary: none (Switchyard generates no memories yet).",
  },
  [ThreadMemoryMethod.memoryStatus]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: true,
    paramsRequired: true,
    params: MemoryStatusParams,
    result: MemoryStatusResponse,
    summary: "The memory store's status, as Codex answers with none: no consolidated threads.",
  },
  [ThreadMemoryMethod.memoryReset]: {
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: true,
    paramsRequired: false,
    params: UnitParams,
    result: z.object({}),
    summary: "Resets the memory store: there is nothing in it.",
  },
});
