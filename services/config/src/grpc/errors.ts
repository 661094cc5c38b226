// Failures of loading thread config from a thread-config endpoint, in Codex's categories
// (ThreadConfigLoadErrorCode in codex-rs/config/src/thread_config.rs, minus `Internal`, which its
// gRPC client never produces).

export type ThreadConfigLoadErrorKind = "auth" | "timeout" | "requestFailed" | "parse";

export class ThreadConfigLoadError extends Error {
  override readonly name = "ThreadConfigLoadError";

  constructor(
    readonly kind: ThreadConfigLoadErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** A session config that cannot be put on the wire (the serving side's counterpart of a parse error). */
export class SessionConfigEncodeError extends Error {
  override readonly name = "SessionConfigEncodeError";

  constructor(
    /** Dotted TOML path of the offending value, e.g. `model_providers.local.auth.cwd`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
