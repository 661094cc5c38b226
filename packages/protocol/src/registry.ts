// The method and notification registry: for every client method, its params/result schemas, its
// serialization scope, its owning service and whether it is experimental. The gateway routes by it,
// services validate by it, and `pnpm schema:export` publishes it.
import type { z } from "zod";
import { CODEX_CLIENT_METHODS } from "./codex-methods.js";
import {
  InitializeParams,
  InitializeResponse,
  MockExperimentalMethodParams,
  MockExperimentalMethodResponse,
  RemoteControlStatusChanged,
} from "./methods/initialize.js";
import {
  ConfigReadParams,
  ConfigReadResponse,
  ConfigRequirementsReadParams,
  ConfigRequirementsReadResponse,
  GetAccountParams,
  GetAccountResponse,
  HooksListParams,
  HooksListResponse,
  ModelListParams,
  ModelListResponse,
  SkillsListParams,
  SkillsListResponse,
} from "./methods/session.js";
import {
  ThreadListParams,
  ThreadListResponse,
  ThreadNameUpdatedNotification,
  ThreadReadParams,
  ThreadReadResponse,
  ThreadSetNameParams,
  ThreadSetNameResponse,
  ThreadStartedNotification,
  ThreadStartParams,
  ThreadStartResponse,
} from "./methods/thread.js";
import type { MethodSpec, NotificationSpec } from "./registry-types.js";

function defineMethod<P, R>(spec: MethodSpec<P, R>): MethodSpec<unknown, unknown> {
  return spec as unknown as MethodSpec<unknown, unknown>;
}
function defineNotification<P>(spec: NotificationSpec<P>): NotificationSpec<unknown> {
  return spec as unknown as NotificationSpec<unknown>;
}

export const Method = {
  initialize: "initialize",
  mockExperimentalMethod: "mock/experimentalMethod",
  accountRead: "account/read",
  modelList: "model/list",
  configRead: "config/read",
  configRequirementsRead: "configRequirements/read",
  skillsList: "skills/list",
  hooksList: "hooks/list",
  threadStart: "thread/start",
  threadRead: "thread/read",
  threadList: "thread/list",
  threadNameSet: "thread/name/set",
} as const;

export const Notification = {
  threadStarted: "thread/started",
  threadNameUpdated: "thread/name/updated",
  remoteControlStatusChanged: "remoteControl/status/changed",
} as const;

const methodSpecs: MethodSpec<unknown, unknown>[] = [
  defineMethod({
    method: Method.initialize,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: InitializeParams,
    result: InitializeResponse,
    summary: "Opens the session: client info and capabilities (experimentalApi, notification opt-outs).",
  }),
  defineMethod({
    method: Method.mockExperimentalMethod,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: true,
    paramsRequired: true,
    params: MockExperimentalMethodParams,
    result: MockExperimentalMethodResponse,
    summary: "Codex's test-only experimental method; echoes `value`.",
  }),
  // Interim gateway answers for the TUI's start-up calls; config/* move to the config service.
  defineMethod({
    method: Method.accountRead,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: GetAccountParams,
    result: GetAccountResponse,
    summary: "No OpenAI account is involved: clients authenticate to the gateway.",
  }),
  defineMethod({
    method: Method.modelList,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: ModelListParams,
    result: ModelListResponse,
    summary: "The deployment's model catalog (none is configured yet).",
  }),
  defineMethod({
    method: Method.configRead,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: ConfigReadParams,
    result: ConfigReadResponse,
    summary: "Effective config (no layers until the config service exists).",
  }),
  defineMethod({
    method: Method.configRequirementsRead,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: ConfigRequirementsReadParams,
    result: ConfigRequirementsReadResponse,
    summary: "Tenant requirements (none until the config service exists).",
  }),
  defineMethod({
    method: Method.skillsList,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: SkillsListParams,
    result: SkillsListResponse,
    summary: "Skills available to the session (a cloud session has none).",
  }),
  defineMethod({
    method: Method.hooksList,
    owner: "gateway",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: false,
    params: HooksListParams,
    result: HooksListResponse,
    summary: "Hooks configured for the session (a cloud session has none).",
  }),
  defineMethod({
    method: Method.threadStart,
    owner: "thread",
    scope: { kind: "unkeyed" },
    experimental: false,
    experimentalFields: ["mockExperimentalField"],
    paramsRequired: true,
    params: ThreadStartParams,
    result: ThreadStartResponse,
    subscribesCallerTo: (result: z.infer<typeof ThreadStartResponse>) => result.thread.id,
    summary: "Creates a thread and subscribes the caller; announces thread/started to the tenant.",
  }),
  defineMethod({
    method: Method.threadRead,
    owner: "thread",
    // Served from committed Postgres state by any instance, concurrently. The gateway still holds
    // it behind the same connection's earlier writes to this thread (read-your-writes).
    scope: { kind: "unkeyed", readYourWrites: { family: "thread", id: (params: ThreadReadParams) => params.threadId } },
    experimental: false,
    paramsRequired: true,
    params: ThreadReadParams,
    result: ThreadReadResponse,
    summary: "Reads one thread (optionally with its turns).",
  }),
  defineMethod({
    method: Method.threadList,
    owner: "thread",
    scope: { kind: "unkeyed" },
    experimental: false,
    paramsRequired: true,
    params: ThreadListParams,
    result: ThreadListResponse,
    summary: "Lists the tenant's threads that have content, keyset-paginated with opaque cursors.",
  }),
  defineMethod({
    method: Method.threadNameSet,
    owner: "thread",
    scope: { kind: "exclusive", family: "thread", id: (params: ThreadSetNameParams) => params.threadId },
    experimental: false,
    paramsRequired: true,
    params: ThreadSetNameParams,
    result: ThreadSetNameResponse,
    summary: "Renames a thread; announces thread/name/updated to the tenant.",
  }),
];

const notificationSpecs: NotificationSpec<unknown>[] = [
  defineNotification({
    method: Notification.threadStarted,
    params: ThreadStartedNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was created.",
  }),
  defineNotification({
    method: Notification.threadNameUpdated,
    params: ThreadNameUpdatedNotification,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary: "A thread was renamed.",
  }),
  defineNotification({
    method: Notification.remoteControlStatusChanged,
    params: RemoteControlStatusChanged,
    audience: "connection",
    experimental: false,
    critical: false,
    summary: "Remote-control status, sent right after initialize.",
  }),
];

export const methodRegistry: ReadonlyMap<string, MethodSpec<unknown, unknown>> = new Map(
  methodSpecs.map((spec) => [spec.method, spec]),
);
export const notificationRegistry: ReadonlyMap<string, NotificationSpec<unknown>> = new Map(
  notificationSpecs.map((spec) => [spec.method, spec]),
);

const codexMethods: ReadonlySet<string> = new Set(CODEX_CLIENT_METHODS);

/** How the gateway classifies a method name before looking at anything else. */
export function lookupMethod(
  method: string,
): { kind: "known"; spec: MethodSpec<unknown, unknown> } | { kind: "codexOnly" } | { kind: "unknown" } {
  const spec = methodRegistry.get(method);
  if (spec) return { kind: "known", spec };
  return codexMethods.has(method) ? { kind: "codexOnly" } : { kind: "unknown" };
}

export function methodsOwnedBy(owner: MethodSpec["owner"]): MethodSpec<unknown, unknown>[] {
  return methodSpecs.filter((spec) => spec.owner === owner);
}
