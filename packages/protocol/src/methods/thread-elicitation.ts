// Out-of-band elicitations, as Codex 0.171.0 counts them: a client running an elicitation outside the
// protocol for a thread (an MCP server's form it shows its user, say) counts it up, and down when it
// is answered; while the count is above zero the thread's waits for a client (a dynamic tool call's
// answer) are paused, so the user's time to answer is not held against the tool. The count belongs to
// the loaded thread (a thread that is not loaded is "not found", as in Codex). Both are exclusive on
// the thread: ordered with its other writes, exactly once.
import { z } from "zod";
import { defineMethods } from "../define.js";

export const ThreadElicitationParams = z.object({ threadId: z.string() });
export type ThreadElicitationParams = z.infer<typeof ThreadElicitationParams>;
export const ThreadElicitationResponse = z.object({ count: z.number().int(), paused: z.boolean() });
export type ThreadElicitationResponse = z.infer<typeof ThreadElicitationResponse>;

export const ThreadElicitationMethod = {
  threadIncrementElicitation: "thread/increment_elicitation",
  threadDecrementElicitation: "thread/decrement_elicitation",
} as const;

const common = {
  threadId: { label: "thread" },
  owner: "thread",
  scope: { kind: "exclusive", family: "thread", id: (params: ThreadElicitationParams) => params.threadId },
  experimental: true, // as Codex 0.171.0 gates them
  paramsRequired: true,
  params: ThreadElicitationParams,
  result: ThreadElicitationResponse,
} as const;

export const threadElicitationMethods = defineMethods({
  [ThreadElicitationMethod.threadIncrementElicitation]: {
    ...common,
    summary: "Counts an out-of-band elicitation up on a loaded thread; its waits for clients pause while any runs.",
  },
  [ThreadElicitationMethod.threadDecrementElicitation]: {
    ...common,
    summary: "Counts an out-of-band elicitation down; at zero the thread's waits for clients go on.",
  },
});
