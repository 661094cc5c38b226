// `pnpm bench --peer`'s memory row: what one loaded thread costs each side in resident memory.
//
// A loaded thread is one a connection has started (or resumed) and is still subscribed to. Per
// side: first a warm-up of `count` thread/start calls whose threads are then unloaded (so the heaps
// have grown to what that much work needs: RSS growth from garbage not yet collected is not a
// loaded thread's cost), then, with the side drained and its garbage collected (Switchyard's
// processes run forced full collections first; the peer, in Rust, has none), the summed RSS of its processes (the peer:
// `codex app-server` and its children; Switchyard: gateways, thread and config services), `count`
// thread/start calls on one connection (the threads stay loaded), a drain, the RSS again; the
// difference over `count` is the cost of one loaded thread. What the same calls add when their
// threads are unloaded again (the control, measured just before) is printed beside it. Switchyard keeps a loaded thread's state in
// Postgres (a row and a subscription row), not in a process: its figure is what the gateway and the
// services hold per loaded thread (the gateway's subscription entry). Postgres's own memory is not
// counted (its buffers do not grow per thread). The threads are unsubscribed afterwards.
import type { CodexTestClient } from "../harness/client.js";
import { processMemoryKb } from "./cpu.js";

export interface LoadedThreadMemory {
  threads: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  /** (after − before) / threads; a negative figure (a collection in between) clamps to 0. */
  perThreadKb: number;
  errors: number;
}

/** The summed VmRSS of processes, in kB (those gone count 0). */
function rssKb(pids: number[]): number {
  return pids.reduce((total, pid) => total + (processMemoryKb(pid).rssKb || 0), 0);
}

export async function measureLoadedThreadMemory(options: {
  client: CodexTestClient;
  cwd: string;
  count: number;
  /** How many thread/start calls are in flight at once. */
  inFlight: number;
  /** The side's processes, by group (the breakdown is printed). */
  groups: () => { name: string; pids: number[] }[];
  /** Waits until the side is idle (its background work after thread/start done). */
  settle: () => Promise<unknown>;
  /** Makes processes drop their garbage (a forced collection) before their RSS is read. */
  collect: (pids: number[]) => Promise<void>;
  /** Unloads threads (thread/unsubscribe on the connection that started them). */
  unload: (threadIds: string[]) => Promise<unknown>;
  timeoutMs: number;
}): Promise<LoadedThreadMemory & { threadIds: string[]; byGroupKb: Record<string, number> }> {
  const warmUp = await startThreads(options);
  await options.unload(warmUp.threadIds);
  await options.settle();
  // The control, printed beside the figure: the same calls with their threads unloaded again. It is
  // not subtracted: a side that keeps memory after unloading (the peer does) would be credited for it.
  const sample = async () => {
    const groups = options.groups();
    await options.collect(groups.flatMap((group) => group.pids));
    return groups.map((group) => ({ name: group.name, kb: rssKb(group.pids) }));
  };
  const controlBefore = await sample();
  const control = await startThreads(options);
  await options.unload(control.threadIds);
  await options.settle();
  const before = await sample();
  const { threadIds, errors } = await startThreads(options);
  await options.settle();
  const after = await sample();
  const sum = (groups: { kb: number }[]) => groups.reduce((total, group) => total + group.kb, 0);
  const rssBeforeKb = sum(before);
  const rssAfterKb = sum(after);
  const controlGrowthKb = sum(before) - sum(controlBefore);
  const threads = threadIds.length;
  const perThreadKb = threads > 0 ? Math.max(0, (rssAfterKb - rssBeforeKb) / threads) : Number.NaN;
  const byGroupKb: Record<string, number> = {};
  for (const group of after) {
    const was = before.find((entry) => entry.name === group.name)?.kb ?? 0;
    byGroupKb[group.name] = threads > 0 ? (group.kb - was) / threads : Number.NaN;
  }
  byGroupKb["control (unloaded)"] = threads > 0 ? controlGrowthKb / threads : Number.NaN;
  return {
    threads,
    rssBeforeKb,
    rssAfterKb,
    perThreadKb,
    errors: errors + warmUp.errors + control.errors,
    threadIds,
    byGroupKb,
  };
}

async function startThreads(options: {
  client: CodexTestClient;
  cwd: string;
  count: number;
  inFlight: number;
  timeoutMs: number;
}): Promise<{ threadIds: string[]; errors: number }> {
  const threadIds: string[] = [];
  let errors = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      while (next < options.count) {
        next++;
        let timer: NodeJS.Timeout | undefined;
        const reply = await Promise.race([
          options.client.request("thread/start", { cwd: options.cwd }),
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), options.timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        const threadId = (reply?.result as { thread?: { id?: string } } | undefined)?.thread?.id;
        if (typeof threadId === "string") threadIds.push(threadId);
        else errors++;
      }
    }),
  );
  return { threadIds, errors };
}
