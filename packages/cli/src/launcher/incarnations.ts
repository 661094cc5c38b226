// The launcher's two kinds of processes as the supervisor sees them: a service process, and a local
// server run from its recipe (ready once it answers its protocol, its log file's tail as its output).
import { type LocalServer, type LocalServerRecipe, startLocalServer, tailOfFile, waitUntilReady } from "../infra/local-server.js";
import type { ServiceProcess } from "./service-process.js";
import type { Incarnation } from "./supervisor.js";

export type ServiceReady = Record<string, unknown>;

/** `graceMs`: how long its own graceful shutdown may take before SIGKILL. */
export function serviceIncarnation(child: ServiceProcess, graceMs: number): Incarnation<ServiceReady> {
  return {
    pid: child.pid,
    ready: child.ready,
    exited: child.exited,
    get hasExited() {
      return child.hasExited;
    },
    stop: () => child.stop(graceMs),
    kill: () => child.kill(),
    lastOutput: () => child.lastOutput(),
  };
}

/** A local server that is running already; `ready` says whether (and when) it answers. */
export function localServerIncarnation(
  server: LocalServer,
  recipe: LocalServerRecipe,
  ready: Promise<void>,
  stopTimeoutMs: number,
): Incarnation<void> {
  return {
    pid: server.pid,
    ready,
    exited: server.exited,
    get hasExited() {
      return server.hasExited;
    },
    stop: () => server.stop(recipe.stopSignal, stopTimeoutMs),
    kill: () => server.kill(),
    lastOutput: () => tailOfFile(server.logFile, 8),
  };
}

/** Runs the recipe's server once more (same port, same data); ready when it answers within `readyTimeoutMs`. */
export function launchLocalServer(recipe: LocalServerRecipe, readyTimeoutMs: number, stopTimeoutMs: number): Incarnation<void> {
  const server = startLocalServer(recipe);
  const ready = waitUntilReady(server, recipe.isReady, readyTimeoutMs);
  ready.catch(() => {}); // the supervisor observes it
  return localServerIncarnation(server, recipe, ready, stopTimeoutMs);
}
