// What the fairness runner (fairness.ts) and its flooding process (fairness-flooder.ts) share.
export const FAIRNESS_SCENARIO = "fairness/thread-read";
export const FLOODER_READY = "bench.fairness-flooder.ready";
export const FLOODER_DONE = "bench.fairness-flooder.done";

export interface FlooderSettings {
  url: string;
  /** One bearer token per connection. */
  tokens: string[];
  /** Threads of the flooding tenant to read. */
  threadIds: string[];
  inFlightPerConnection: number;
}
