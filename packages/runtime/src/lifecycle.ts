// One shutdown path per process: on SIGINT/SIGTERM (or a fatal error) run the registered steps in
// reverse order of registration (stop accepting → drain → close pools), bounded by a timeout.
import type { Logger } from "./logger.js";

export class Lifecycle {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = [];
  private shuttingDown: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Registers a step; steps run last-registered first, so register in start-up order. */
  onShutdown(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  installSignalHandlers(): void {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        this.log.info({ signal }, "shutting down");
        void this.shutdown().then(() => process.exit(0));
      });
    }
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown !== undefined;
  }

  shutdown(): Promise<void> {
    this.shuttingDown ??= this.runSteps();
    return this.shuttingDown;
  }

  private async runSteps(): Promise<void> {
    const timer = setTimeout(() => {
      this.log.error({ timeoutMs: this.timeoutMs }, "shutdown timed out; exiting");
      process.exit(1);
    }, this.timeoutMs);
    timer.unref();
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
        this.log.debug({ step: step.name }, "shutdown step done");
      } catch (error) {
        this.log.warn({ step: step.name, err: String(error) }, "shutdown step failed");
      }
    }
    clearTimeout(timer);
    this.log.info("stopped");
  }
}
