// Typed method and notification families. Each `methods/<family>.ts` declares its specs with
// `defineMethods` / `defineNotifications`, keyed by wire name; the types survive, so `registry.ts`
// can derive every method's params/result types and a service's handler map (`HandlerMap`), where a
// missing or extra handler is a compile error. See registry.ts for "adding a method".
import type { z } from "zod";
import type { MethodSpec, NotificationSpec } from "./registry-types.js";

type AnyMethodBody = Omit<MethodSpec<any, any>, "method">;
type AnyNotificationBody = Omit<NotificationSpec<unknown>, "method">;

export type MethodFamily<T> = { [K in keyof T & string]: T[K] & { method: K } };
export type NotificationFamily<T> = { [K in keyof T & string]: T[K] & { method: K } };

const withNames = <T extends object>(specs: T) =>
  Object.fromEntries(Object.entries(specs).map(([method, spec]) => [method, { ...spec, method }]));

/** Declares a family of methods keyed by wire name (owner, scope, schemas, experimental flags). */
export function defineMethods<const T extends Record<string, AnyMethodBody>>(specs: T): MethodFamily<T> {
  return withNames(specs) as MethodFamily<T>;
}

/** Declares a family of notifications keyed by wire name (schema, audience, must-deliver). */
export function defineNotifications<const T extends Record<string, AnyNotificationBody>>(specs: T): NotificationFamily<T> {
  return withNames(specs) as NotificationFamily<T>;
}

/** The params a handler receives (the schema's output: defaults applied). */
export type ParamsOf<S> = S extends { params: z.ZodType<infer P> } ? P : never;
/** The result a handler returns. */
export type ResultOf<S> = S extends { result: z.ZodType<infer R> } ? R : never;
