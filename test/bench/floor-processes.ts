// Starts the floor processes (test/bench/floor/*) as separate node processes, exactly as the harness
// starts the services (as bundles when the services run as bundles), so the floor pays the same
// process hops the real path pays.
import { type ServiceProcess, startProcess } from "../harness/processes.js";
import { type FloorSettings, type FloorTurnSettings, READY_EVENT } from "./floor/floor-contract.js";

export interface FloorProcess extends ServiceProcess {
  /** The ready line, parsed (the floor gateway reports its url in it). */
  ready: Record<string, unknown>;
}

export async function startFloorProcess(
  name: string,
  script: string,
  settings: FloorSettings | FloorTurnSettings,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<FloorProcess> {
  // Bundled as the services are when the benchmark runs them as bundles (deployed.ts).
  const entry =
    process.env.SWITCHYARD_TEST_BUNDLES === "1"
      ? `test/bench/floor/dist/${script.replace(/\.ts$/, ".js")}`
      : `test/bench/floor/${script}`;
  const started = await startProcess(name, entry, env, (line) => line.includes(READY_EVENT), {
    args: [JSON.stringify(settings)],
    timeoutMs,
  });
  return { ...started, ready: JSON.parse(started.readyLine) as Record<string, unknown> };
}
