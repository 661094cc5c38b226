// Codex's config layer version: "sha256:" + hex(sha256(compact JSON with sorted keys)).
import { createHash } from "node:crypto";

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${sortedJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function configLayerVersion(config: unknown): string {
  return `sha256:${createHash("sha256")
    .update(sortedJson(config ?? {}))
    .digest("hex")}`;
}
