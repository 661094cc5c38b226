// Starts the floor processes (test/bench/floor/*) as separate node processes, the way the harness
// starts the services, so the floor pays the same process hops the real path pays.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type FloorSettings, READY_EVENT } from "./floor/floor-contract.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface FloorProcess {
  name: string;
  child: ChildProcess;
  /** The ready line, parsed (the floor gateway reports its url in it). */
  ready: Record<string, unknown>;
  output(): string;
  stop(): Promise<void>;
}

export function startFloorProcess(
  name: string,
  script: string,
  settings: FloorSettings,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<FloorProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", `test/bench/floor/${script}`, JSON.stringify(settings)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not become ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split("\n")) {
        if (!line.includes(READY_EVENT)) continue;
        clearTimeout(timer);
        resolve({ name, child, ready: JSON.parse(line) as Record<string, unknown>, output: () => output, stop });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
  });
}
