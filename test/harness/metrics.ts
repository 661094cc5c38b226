// Reading a process's Prometheus scrape endpoint in tests and benches.
import assert from "node:assert/strict";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition into samples (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

export async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return parseExposition(await response.text());
}

/** The value of the one sample with `name` and (at least) `labels`; undefined when absent. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0]?.value;
}

/** The gateway's read-cache lookups of `method` with this outcome (hit, miss, invalidation), 0 before the first. */
export async function readCacheLookups(
  gatewayUrl: string,
  outcome: "hit" | "miss" | "invalidation",
  method: "thread/read" | "config/read" = "thread/read",
): Promise<number> {
  const samples = await scrape(`${gatewayUrl.replace(/^ws/, "http").replace(/\/$/, "")}/metrics`);
  return sampleValue(samples, "switchyard_read_cache_lookups_total", { outcome, method }) ?? 0;
}
