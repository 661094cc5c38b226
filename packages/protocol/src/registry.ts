// The method and notification registry: every client method with its params/result schemas, its
// serialization scope, its owning service and whether it is experimental; every notification with
// its audience. The gateway routes by it, services validate by it and register typed handlers
// against it, and `pnpm schema:export` publishes it.
//
// Adding a method:
//   1. Write its params/result zod schemas in `methods/<family>.ts`, as the official schema shapes them.
//   2. Add it to that family's `defineMethods({...})` with owner, scope (a comment when a method that
//      touches a thread is unkeyed: why it needs no order), experimental flag and summary.
//   3. If the family is new, spread it into `methods` below (and its name constants into `Method`).
//   4. Implement it in the owning service's handler map: `HandlersFor<"thread">` will not compile
//      until it has a handler of the right type.
//   5. Pin its scope in the table in protocol.test.ts and cover it in an integration suite (the
//      conformance check then holds its results to the official schema).
import { CODEX_CLIENT_METHODS } from "./codex-methods.js";
import type { ParamsOf, ResultOf } from "./define.js";
import { ConfigMethod, ConfigNotification, configMethods, configNotifications } from "./methods/config.js";
import { FeedbackMethod, feedbackMethods } from "./methods/feedback.js";
import { InitializeMethod, InitializeNotification, initializeMethods, initializeNotifications } from "./methods/initialize.js";
import { InternalMethod, internalMethods } from "./methods/internal.js";
import { PluginMethod, pluginMethods } from "./methods/plugins.js";
import { ProjectMethod, ProjectNotification, projectMethods, projectNotifications } from "./methods/projects.js";
import {
  RemoteControlMethod,
  RemoteControlNotification,
  remoteControlMethods,
  remoteControlNotifications,
} from "./methods/remote-control.js";
import { SessionMethod, sessionMethods } from "./methods/session.js";
import { ThreadMethod, ThreadNotification, threadMethods, threadNotifications } from "./methods/thread.js";
import {
  ThreadAttachmentMethod,
  ThreadAttachmentNotification,
  threadAttachmentMethods,
  threadAttachmentNotifications,
} from "./methods/thread-attachments.js";
import { ThreadElicitationMethod, threadElicitationMethods } from "./methods/thread-elicitation.js";
import { ThreadGuardianMethod, threadGuardianMethods } from "./methods/thread-guardian.js";
import {
  ThreadLifecycleMethod,
  ThreadLifecycleNotification,
  threadLifecycleMethods,
  threadLifecycleNotifications,
} from "./methods/thread-lifecycle.js";
import { ThreadMemoryMethod, threadMemoryMethods } from "./methods/thread-memory.js";
import {
  ThreadQueueMethod,
  ThreadQueueNotification,
  threadQueueMethods,
  threadQueueNotifications,
} from "./methods/thread-queue.js";
import { ThreadSampleMethod, threadSampleMethods } from "./methods/thread-sample.js";
import {
  ThreadSearchMethod,
  ThreadSearchNotification,
  threadSearchMethods,
  threadSearchNotifications,
} from "./methods/thread-search.js";
import {
  ThreadSectionMethod,
  ThreadSectionNotification,
  threadSectionMethods,
  threadSectionNotifications,
} from "./methods/thread-sections.js";
import { TurnMethod, TurnNotification, turnMethods, turnNotifications } from "./methods/turn.js";
import type { MethodSpec, NotificationAudience, NotificationSpec, ServiceName } from "./registry-types.js";

/** Every method, keyed by wire name, with its types kept. */
export const methods = {
  ...initializeMethods,
  ...sessionMethods,
  ...pluginMethods,
  ...configMethods,
  ...internalMethods,
  ...threadMethods,
  ...threadSearchMethods,
  ...threadSampleMethods,
  ...threadGuardianMethods,
  ...threadLifecycleMethods,
  ...threadQueueMethods,
  ...threadSectionMethods,
  ...projectMethods,
  ...threadAttachmentMethods,
  ...threadElicitationMethods,
  ...threadMemoryMethods,
  ...feedbackMethods,
  ...turnMethods,
  ...remoteControlMethods,
};
/** Every notification, keyed by wire name, with its types kept. */
export const notifications = {
  ...initializeNotifications,
  ...configNotifications,
  ...threadNotifications,
  ...threadSearchNotifications,
  ...threadLifecycleNotifications,
  ...threadQueueNotifications,
  ...threadSectionNotifications,
  ...projectNotifications,
  ...threadAttachmentNotifications,
  ...turnNotifications,
  ...remoteControlNotifications,
};

/** Method names by their camel-case constant, e.g. `Method.threadNameSet`. */
export const Method = {
  ...InitializeMethod,
  ...SessionMethod,
  ...PluginMethod,
  ...ConfigMethod,
  ...InternalMethod,
  ...ThreadMethod,
  ...ThreadSearchMethod,
  ...ThreadSampleMethod,
  ...ThreadGuardianMethod,
  ...ThreadLifecycleMethod,
  ...ThreadQueueMethod,
  ...ThreadSectionMethod,
  ...ProjectMethod,
  ...ThreadAttachmentMethod,
  ...ThreadElicitationMethod,
  ...ThreadMemoryMethod,
  ...FeedbackMethod,
  ...TurnMethod,
  ...RemoteControlMethod,
} as const;
/** Notification names by their camel-case constant. */
export const Notification = {
  ...InitializeNotification,
  ...ConfigNotification,
  ...ThreadNotification,
  ...ThreadSearchNotification,
  ...ThreadLifecycleNotification,
  ...ThreadQueueNotification,
  ...ThreadSectionNotification,
  ...ProjectNotification,
  ...ThreadAttachmentNotification,
  ...TurnNotification,
  ...RemoteControlNotification,
} as const;

type Methods = typeof methods;
type Notifications = typeof notifications;
export type MethodName = keyof Methods;
export type NotificationName = keyof Notifications;
export type MethodParams<M extends MethodName> = ParamsOf<Methods[M]>;
export type MethodResult<M extends MethodName> = ResultOf<Methods[M]>;
export type NotificationParams<N extends NotificationName> = ParamsOf<Notifications[N]>;
export type NotificationAudienceOf<N extends NotificationName> = Notifications[N]["audience"];

/** The methods a service owns. */
export type MethodsOwnedBy<O extends ServiceName> = {
  [M in MethodName]: Methods[M]["owner"] extends O ? M : never;
}[MethodName];

/** One async handler per method `O` owns, exactly: a missing or extra handler does not compile. */
export type HandlerMap<O extends ServiceName, Context> = {
  [M in MethodsOwnedBy<O>]: (params: MethodParams<M>, context: Context) => Promise<MethodResult<M>>;
};

/** Notifications published to an audience (`tenant`, `threadSubscribers`). */
export type NotificationsFor<A extends NotificationAudience> = {
  [N in NotificationName]: NotificationAudienceOf<N> extends A ? N : never;
}[NotificationName];

export const methodRegistry: ReadonlyMap<string, MethodSpec<unknown, unknown>> = new Map(
  Object.values(methods).map((spec) => [spec.method, spec as unknown as MethodSpec<unknown, unknown>]),
);
export const notificationRegistry: ReadonlyMap<string, NotificationSpec<unknown>> = new Map(
  Object.values(notifications).map((spec) => [spec.method, spec as NotificationSpec<unknown>]),
);

const codexMethods: ReadonlySet<string> = new Set(CODEX_CLIENT_METHODS);

/** How the gateway classifies a method name before looking at anything else. */
export function lookupMethod(
  method: string,
): { kind: "known"; spec: MethodSpec<unknown, unknown> } | { kind: "codexOnly" } | { kind: "unknown" } {
  const spec = methodRegistry.get(method);
  if (spec && !spec.internal) return { kind: "known", spec };
  return codexMethods.has(method) ? { kind: "codexOnly" } : { kind: "unknown" };
}

export function methodsOwnedBy(owner: ServiceName): MethodSpec<unknown, unknown>[] {
  return [...methodRegistry.values()].filter((spec) => spec.owner === owner);
}

/**
 * Whether a late answer may be asked for again (lane-client.ts): asking twice has the effect of
 * asking once (`readOnly`, or `repeatable` for one of its reasons). Only unkeyed methods are asked
 * again; JetStream redelivers what a dead instance took from the keyed lane.
 */
export function mayAskAgain(spec: Pick<MethodSpec<unknown, unknown>, "readOnly" | "repeatable">): boolean {
  return spec.readOnly === true || spec.repeatable !== undefined;
}
