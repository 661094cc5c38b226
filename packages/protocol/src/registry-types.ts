import type { z } from "zod";
import type { Scope } from "./scope.js";

export type ServiceName = "gateway" | "thread" | "config" | "remote-control";

export interface MethodSpec<P = unknown, R = unknown> {
  method: string;
  owner: ServiceName;
  scope: Scope<P>;
  experimental: boolean;
  /** Params fields that need the experimentalApi capability when present (non-null). */
  experimentalFields?: readonly string[];
  /** Codex rejects a request that omits `params` with ``missing field `params` `` when this is true. */
  paramsRequired: boolean;
  params: z.ZodType<P>;
  result: z.ZodType<R>;
  /** Gateway-side effect of a successful result: subscribe the calling connection to this thread. */
  subscribesCallerTo?: (result: R) => string;
  summary: string;
}

export type NotificationAudience = "tenant" | "threadSubscribers" | "connection";

export interface NotificationSpec<P = unknown> {
  method: string;
  params: z.ZodType<P>;
  audience: NotificationAudience;
  experimental: boolean;
  /** Never dropped: a connection that cannot take it is disconnected instead. */
  critical: boolean;
  summary: string;
}
