// Preloaded into a process (NODE_OPTIONS=--import) by `pnpm bench -- --cpu-prof DIR`: samples the
// CPU from start to exit and writes a V8 .cpuprofile into BENCH_CPU_PROFILE_DIR. Node refuses
// --cpu-prof in NODE_OPTIONS, and the harness spawns services with fixed arguments, hence this.
// Plain JavaScript because it loads before tsx is registered.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const directory = process.env.BENCH_CPU_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: Number(process.env.BENCH_CPU_PROFILE_INTERVAL ?? 250) });
  session.post("Profiler.start");
  const entry = process.argv.find((argument) => argument.endsWith(".ts")) ?? "node";
  const name = entry.split("/").slice(-3).join("_").replace(/\.ts$/, "");
  // The in-process inspector session answers synchronously, so this works inside an exit handler.
  process.once("exit", () => {
    session.post("Profiler.stop", (error, result) => {
      if (error || !result) return;
      writeFileSync(join(directory, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
