// What the turn scenarios' processes share: the prompts the bench's provider answers, the stamp each
// delta carries, the one clock every process reads, and how a Responses stream is read (the same
// `eventsource-parser` the thread service reads it with, POST + SSE the way its client does).
//
//   bench-stamped <count> <gapMs>  →  <count> text deltas `<gapMs>` ms apart, each `[<index>@<sent ms>]`
//   bench-short                    →  SHORT_REPLY in one delta
//
// The stamp is the provider's send time on the machine's monotonic clock (`process.hrtime`, the same
// CLOCK_MONOTONIC in every process on the machine), so a receiver in another process subtracts it
// from its own reading of the same clock: no wall-clock steps, no per-process time origin.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const STAMPED_PROMPT = "bench-stamped";
export const SHORT_PROMPT = "bench-short";
export const SHORT_REPLY = "Done.";
/** The line the provider process (turn-provider.ts) prints once it serves, with its base URL. */
export const TURN_PROVIDER_READY = "bench.turn-provider.ready";
/** The provider's id in the stack's config (`[model_providers.<id>]`). */
export const BENCH_PROVIDER_ID = "scripted";

export const stampedPrompt = (count: number, gapMs: number) => `${STAMPED_PROMPT} ${count} ${gapMs}`;

/** Milliseconds on the machine's monotonic clock (comparable across processes on one machine). */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export const stamp = (index: number, sentAtMs: number) => `[${index}@${sentAtMs.toFixed(3)}]`;

const STAMP = /^\[(\d+)@(\d+(?:\.\d+)?)\]$/;

/** A delta's index and send time, or undefined when it is not one stamp. */
export function readStamp(delta: string): { index: number; sentAtMs: number } | undefined {
  const match = STAMP.exec(delta);
  return match ? { index: Number(match[1]), sentAtMs: Number(match[2]) } : undefined;
}

/** The `[model_providers.<id>]` table the config service is given (env CONFIG_DEFAULT_MODEL_PROVIDERS). */
export function benchProviderToml(baseUrl: string): string {
  return [
    `[model_providers.${BENCH_PROVIDER_ID}]`,
    'name = "Bench scripted"',
    `base_url = "${baseUrl}"`,
    'wire_api = "responses"',
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "stream_idle_timeout_ms = 10000",
  ].join("\n");
}

/** A Responses request as small as a client sends for one user message. */
export function responsesRequest(prompt: string): string {
  return JSON.stringify({
    model: "bench",
    stream: true,
    input: [{ type: "message", role: "user", content: [{ type: "input_text", text: prompt }] }],
  });
}

interface EventSourceParser {
  feed(chunk: string): void;
}
interface EventSourceParserModule {
  createParser(callbacks: { onEvent(message: { event?: string; data: string }): void }): EventSourceParser;
}

let parserModule: Promise<EventSourceParserModule> | undefined;

/** services/thread/package.json, found upwards from this module (a source under test/bench, or a floor's bundle under test/bench/floor/dist). */
function threadServicePackage(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, "services", "thread", "package.json");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error("services/thread/package.json not found above the benchmark");
    directory = parent;
  }
}

/**
 * The thread service's own `eventsource-parser` (its dependency, not the test package's), loaded
 * from the file the service imports, so the floors parse SSE with exactly the service's parser.
 */
export function loadEventSourceParser(): Promise<EventSourceParserModule> {
  parserModule ??= (async () => {
    const threadRequire = createRequire(threadServicePackage());
    const required = threadRequire.resolve("eventsource-parser"); // dist/index.cjs: the ESM build sits beside it
    const esm = join(dirname(required), "index.js");
    try {
      return (await import(pathToFileURL(esm).href)) as EventSourceParserModule;
    } catch {
      return threadRequire("eventsource-parser") as EventSourceParserModule;
    }
  })();
  return parserModule;
}

/** One event of a Responses stream, parsed (`type` and the rest of its data). */
export type ResponsesEvent = { type: string } & Record<string, any>;

/**
 * POSTs one Responses request and reads its SSE stream to `response.completed` (as the thread
 * service's client does: fetch, body reader, TextDecoder, the parser, JSON.parse per event),
 * calling `onEvent` for each event as it is parsed. Rejects on an HTTP error or a stream that ends early.
 */
export async function streamResponsesOnce(
  baseUrl: string,
  body: string,
  onEvent: (event: ResponsesEvent) => void,
): Promise<void> {
  const { createParser } = await loadEventSourceParser();
  const response = await fetch(`${baseUrl.replace(/\/+$/, "")}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body,
  });
  if (!response.ok || !response.body) throw new Error(`provider answered ${response.status}`);
  let completed = false;
  const parser = createParser({
    onEvent: (message) => {
      const event = JSON.parse(message.data) as ResponsesEvent;
      if (event.type === "response.completed") completed = true;
      onEvent(event);
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  while (!completed) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  if (!completed) throw new Error("the provider's stream ended before response.completed");
  // Read to the end of the body (the server ends it right after), so the connection is kept alive.
  while (!(await reader.read()).done) {}
}
