// The config model's error values: write refusals carrying Codex's `config_write_error_code`, and the
// startup-style rejection of a configuration that cannot be used at all.

import type { ConfigWriteErrorCode } from "@switchyard/protocol";

export type { ConfigWriteErrorCode };

/** Goes on the wire as JSON-RPC -32600 with `data.config_write_error_code = code` and this message. */
export class ConfigWriteError extends Error {
  constructor(
    readonly code: ConfigWriteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ConfigWriteError";
  }
}

/**
 * The effective configuration cannot be used (Codex fails `thread/start` with
 * "failed to load configuration: <message>" and warns "Invalid configuration; using defaults." with
 * the message as details).
 */
export class ConfigRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigRejectedError";
  }
}

// Texts below verified against codex 0.171.0 (config/value/write probes).

export function versionConflictError(): ConfigWriteError {
  return new ConfigWriteError(
    "configVersionConflict",
    "Configuration was modified since last read. Fetch latest version and retry.",
  );
}

/** Codex answers this for any `filePath` other than the user's own config.toml. */
export function layerReadonlyError(): ConfigWriteError {
  return new ConfigWriteError("configLayerReadonly", "Only writes to the user config are allowed");
}

/** Codex's text from source (core/src/config/service.rs); unreachable in practice there as here. */
export function userLayerNotFoundError(): ConfigWriteError {
  return new ConfigWriteError("userLayerNotFound", "user layer not found in updated layers");
}

/** `expectedVersion` is optional; when given it must equal the user layer's current version. */
export function checkExpectedVersion(expectedVersion: string | null | undefined, currentVersion: string): void {
  if (expectedVersion !== undefined && expectedVersion !== null && expectedVersion !== currentVersion) {
    throw versionConflictError();
  }
}
