import type { z } from "zod";
import type { Scope } from "./scope.js";

export type ServiceName = "gateway" | "thread" | "config" | "remote-control";

export interface MethodSpec<P = unknown, R = unknown> {
  /** The wire name, e.g. `thread/name/set`. */
  method: string;
  /** The service that serves it (`gateway`: answered by the gateway itself, no bus hop). */
  owner: ServiceName;
  /** How it is serialized: unkeyed, or exclusive/sharedRead on a tenant-qualified key (scope.ts). */
  scope: Scope<P>;
  /** Needs the `experimentalApi` capability. */
  experimental: boolean;
  /** Params fields that need the experimentalApi capability when present (non-null). */
  experimentalFields?: readonly string[];
  /**
   * Boolean params fields (plain `bool`s defaulting to false, not `Option<bool>`) that need the
   * capability only when true, as Codex gates them: `false` is their default, not a setting.
   */
  experimentalFlags?: readonly string[];
  /** Codex rejects a request that omits `params` with ``missing field `params` `` when this is true. */
  paramsRequired: boolean;
  params: z.ZodType<P>;
  /** The result's shape; conformance tests hold it to the official schema. */
  result: z.ZodType<R>;
  /** Gateway-side effect of a successful result: subscribe the calling connection to this thread. */
  subscribesCallerTo?: (result: R) => string;
  /**
   * The request creates a thread, and the gateway names it (`BusRequest.newThreadId`): the caller's
   * subscription to it then leaves with the request, in the same write to the bus, instead of after
   * the answer (the service uses the name it is given; `subscribesCallerTo` still follows the answer).
   */
  namesNewThread?: true;
  /**
   * The request attaches its caller to the thread it names (`params.threadId`) and the service
   * announces to that thread's subscribers before answering (thread/revert's status changes): the
   * gateway subscribes the caller to the thread's events when it sends the request, and drops that
   * subscription again if the request fails and the caller was not subscribed before.
   */
  subscribesCallerFirst?: true;
  /** Gateway-side effect of a successful result: stop forwarding this thread's events to the caller. */
  unsubscribesCallerFrom?: (params: P, result: R) => string | undefined;
  /**
   * Notifications announcing this request's change that Codex sends after its answer (thread/start's
   * thread/started, say): the gateway holds them back from the caller until it has been answered.
   * `all`: everything the caller would hear waits (turn/start is answered before its turn's first
   * notification).
   */
  announcedAfterAnswer?: readonly string[] | "all";
  /**
   * The one thread those notifications are about, when the gateway knows it before the answer:
   * `params` (the thread the request names, `params.threadId`) or `new` (the thread the gateway names
   * for it, `namesNewThread`). Then only that thread's announcements wait for the answer (under `all`,
   * everything about that thread, its server requests too); absent, any thread's do (a fork's new
   * thread is named by the service).
   */
  announcesThread?: "params" | "new";
  /**
   * The method names a thread by `params.threadId`, which Codex parses as a UUID before anything else:
   * a malformed one is refused as `invalid <label> id: <the uuid crate's diagnosis>` (`session` for
   * archive, unarchive, resume and fork; `thread` for most; no label, the diagnosis alone, for
   * thread/sample; -32600, or -32602 where Codex answers with that, `invalidParams`), and any accepted
   * form (braces, `urn:uuid:`, 32 digits, upper case) names the thread by its canonical lower-case
   * hyphenated id.
   */
  threadId?: { label?: "thread" | "session"; invalidParams?: true };
  /**
   * Its answer waits for a model call (thread/sample): the gateway gives it the model-call deadline
   * (`GATEWAY_MODEL_REQUEST_TIMEOUT_MS`) instead of the usual one.
   */
  callsModel?: true;
  /**
   * Service-to-service only (methods/internal.ts): routed on the bus like any method, but a client
   * naming it is answered as for an unknown method.
   */
  internal?: boolean;
  /**
   * An unkeyed method that changes nothing and sends nothing but its answer: asking it twice is
   * harmless. When its answer is late (the instance that took it died or stalls with it), the
   * sender asks the owning service's group again after a delay (`SWITCHYARD_HEDGE_AFTER_MS`) and takes
   * whichever answer comes first (lane-client.ts).
   */
  readOnly?: true;
  /**
   * An unkeyed method that changes something, but asking it twice has the effect of asking once.
   * Asked again when late, as a `readOnly` method is. Why a second ask is harmless, one of:
   * - `namedThread`: thread/start, whose thread the gateway names (`namesNewThread`): a second ask
   *   finds the thread the first one made and answers with it (announcing it again: the gateway
   *   passes one `thread/started` per thread, fanout.ts).
   * - `threadUpsert`: its writes are upserts keyed by the thread its `params.threadId` names (the
   *   thread service's calls to the config service for a new thread's snapshot or a fork's copy, a
   *   thread's lockfile export): a second ask writes the same rows again.
   * - `commandLedger`: it runs once per command id, which every ask of one request shares: its
   *   write and its ledger row (or the row it marks with the id) commit together, and a second ask
   *   answers what the first one stored.
   * - `idempotent`: what it changes is the same however often it is asked (a search's cancel).
   */
  repeatable?: "namedThread" | "threadUpsert" | "commandLedger" | "idempotent";
  /** One line for the schema export and `switchyard status`. */
  summary: string;
}

/**
 * Who receives a notification: every connection of the tenant, the connections subscribed to one
 * thread, or one connection (sent by the gateway itself).
 */
export type NotificationAudience = "tenant" | "threadSubscribers" | "connection";

export interface NotificationSpec<P = unknown> {
  method: string;
  params: z.ZodType<P>;
  audience: NotificationAudience;
  /**
   * Sent only to connections that initialized with the `experimentalApi` capability: Codex 0.171.0
   * withholds its experimental notifications from the others (they never hear them, subscribed or not).
   */
  experimental: boolean;
  /** Never dropped: a connection that cannot take it is disconnected instead. */
  critical: boolean;
  summary: string;
}
