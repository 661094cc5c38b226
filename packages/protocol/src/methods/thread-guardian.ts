// thread/guardianReview and thread/approveGuardianDeniedAction, as Codex 0.171.0 answers them (probed
// on the binary). Guardian is Codex's automatic reviewer of risky actions: shell commands, patches,
// permission requests and MCP calls. A Switchyard thread never makes one (it runs no shell, applies
// no patches, starts no MCP servers), so a review of its latest call is refused in Codex's words. An
// approval of a denied action is taken as Codex takes it: once its event reads as Codex reads it, a
// denial the user overrides is told to the model (a developer message in the thread's model history,
// not a thread item), which Codex does for a `denied` event only.
import { z } from "zod";
import { defineMethods } from "../define.js";
import { AbsolutePathString, serdeEnum, serdeStruct } from "../serde-types.js";
import { EmptyResponse } from "./thread-lifecycle.js";

export const ThreadGuardianReviewParams = z.object({ threadId: z.string() });
export type ThreadGuardianReviewParams = z.infer<typeof ThreadGuardianReviewParams>;
/** Never sent (every review is refused); the official shape, for the registry. */
export const ThreadGuardianReviewResponse = z.object({}).passthrough();

export const ThreadApproveGuardianDeniedActionParams = z.object({
  threadId: z.string(),
  /** Codex's serialized `GuardianAssessmentEvent`, read in the handler (`guardianEventRefusal`). */
  event: z.unknown().refine((event) => event !== undefined, { message: "missing field `event`" }),
});
export type ThreadApproveGuardianDeniedActionParams = z.infer<typeof ThreadApproveGuardianDeniedActionParams>;

const U16 = z.number({ error: "expected u16" }).int({ error: "expected u16" }).min(0, "expected u16").max(65_535, "expected u16");
const ExecSource = serdeEnum(["shell", "unified_exec"]);

/** The action a Guardian event is about, by its `type`, each variant's fields in Codex's order. */
export const GUARDIAN_ACTIONS = {
  command: z.object({ source: ExecSource, command: z.string(), cwd: z.string() }),
  execve: z.object({ source: ExecSource, program: z.string(), argv: z.array(z.string()), cwd: AbsolutePathString }),
  write_stdin: z.object({ approval_id: z.string(), process_id: z.string(), stdin: z.string(), cwd: z.string() }),
  apply_patch: z.object({ cwd: z.string(), files: z.array(z.unknown()) }),
  network_access: z.object({
    target: z.string(),
    host: z.string(),
    protocol: serdeEnum(["http", "http-connect", "https", "https_connect", "socks5_tcp", "socks5_udp"]),
    port: U16,
  }),
  mcp_tool_call: z.object({ server: z.string(), tool_name: z.string() }),
  request_permissions: z.object({ permissions: serdeStruct("RequestPermissionProfile", {}) }),
} as const;

/** The event's own fields (its action is read by its `type` afterwards). */
export const GuardianAssessmentEvent = serdeStruct("GuardianAssessmentEvent", {
  id: z.string(),
  status: serdeEnum(["in_progress", "approved", "denied", "timed_out", "aborted"]),
  action: z.unknown().refine((action) => action !== undefined, { message: "missing field `action`" }),
});

export const ThreadGuardianMethod = {
  threadGuardianReview: "thread/guardianReview",
  threadApproveGuardianDeniedAction: "thread/approveGuardianDeniedAction",
} as const;

export const threadGuardianMethods = defineMethods({
  [ThreadGuardianMethod.threadGuardianReview]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Unkeyed: it reads the thread's state (loaded, a turn running, anything recorded) and refuses;
    // behind the connection's own earlier writes to the thread, as a read.
    scope: {
      kind: "unkeyed",
      readYourWrites: { family: "thread", id: (params: ThreadGuardianReviewParams) => params.threadId },
    },
    // It changes nothing and sends nothing but its answer: safe to ask again when late.
    readOnly: true,
    experimental: true,
    paramsRequired: true,
    params: ThreadGuardianReviewParams,
    result: ThreadGuardianReviewResponse,
    summary: "Guardian review of a thread's latest risky call: refused as Codex refuses a thread without one.",
  },
  [ThreadGuardianMethod.threadApproveGuardianDeniedAction]: {
    threadId: { label: "thread" },
    owner: "thread",
    // Exclusive on the thread: a denial's approval joins the thread's model history.
    scope: { kind: "exclusive", family: "thread", id: (params: ThreadApproveGuardianDeniedActionParams) => params.threadId },
    // Not gated in Codex 0.171.0, unlike thread/guardianReview.
    experimental: false,
    paramsRequired: true,
    params: ThreadApproveGuardianDeniedActionParams,
    result: EmptyResponse,
    summary: "Approves a Guardian-denied action: accepted as Codex accepts it, with no Guardian here to apply it to.",
  },
});
