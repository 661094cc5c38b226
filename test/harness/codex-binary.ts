// The real Codex binary for interop tests, from the npm registry, installed once under
// .switchyard/interop (gitignored; never committed). SWITCHYARD_CODEX_BIN points at another copy.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export function ensureCodexBinary(version: string): string {
  if (process.env.SWITCHYARD_CODEX_BIN) return process.env.SWITCHYARD_CODEX_BIN;
  const prefix = join(repoRoot, ".switchyard", "interop", `codex-${version}`);
  const binary = join(prefix, "node_modules", ".bin", "codex");
  if (existsSync(binary)) return binary;
  // Suites run side by side (scripts/test.mjs), and two may ask for the same version at once: each
  // installs into a folder of its own and renames it into place, which succeeds for one of them; the
  // others drop theirs. A reader never sees a half-installed copy.
  const staging = `${prefix}.installing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    execFileSync("npm", ["install", "--prefix", staging, "--no-save", "--no-audit", "--no-fund", `@openai/codex@${version}`], {
      stdio: "ignore",
      timeout: 300_000,
    });
    if (!existsSync(binary)) {
      // A folder without the binary is what an interrupted install of an earlier checkout left.
      rmSync(prefix, { recursive: true, force: true });
      try {
        renameSync(staging, prefix);
      } catch (error) {
        // Another suite's copy landed first.
        if (!existsSync(binary)) throw error;
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * A CODEX_HOME whose config keeps the binary on loopback: its one model provider is at
 * `providerBaseUrl` (a closed port by default; a scripted Responses server for turns, with no
 * retries). `topLevel` lines go first: after a `[table]` header a key would belong to that table.
 */
export function loopbackCodexHome(directory: string, options: { topLevel?: string[]; providerBaseUrl?: string } = {}): string {
  mkdirSync(directory, { recursive: true });
  const config = [
    ...(options.topLevel ?? []),
    'model_provider = "loopback"',
    "check_for_update_on_startup = false",
    "[analytics]",
    "enabled = false",
    "[model_providers.loopback]",
    'name = "loopback"',
    `base_url = "${options.providerBaseUrl ?? "http://127.0.0.1:9/v1"}"`,
    'wire_api = "responses"',
    "requires_openai_auth = false",
    ...(options.providerBaseUrl ? ["request_max_retries = 0", "stream_max_retries = 0"] : []),
    "",
  ].join("\n");
  execFileSync("sh", ["-c", `cat > "${join(directory, "config.toml")}"`], { input: config });
  return directory;
}
