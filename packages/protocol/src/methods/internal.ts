// Service-to-service methods: requests one service sends another over the bus, never a client.
// They are in the registry (so the owner registers typed handlers and the bus routes them) but
// marked `internal`: the gateway answers a client that names one exactly as for an unknown method.
//
// The thread service asks the config service for a thread's session settings when the thread starts
// (a fork gets a copy of its source's config snapshot): the config service resolves the layers (with the orchestrator's session config and any
// upstream thread-config endpoint), enforces requirements, replays a lockfile when one is named, and
// stores the thread's config snapshot (its session layer survives later refreshes). An answer marked
// reusable lets the thread service start the next thread with the same inputs without asking again.
import { z } from "zod";
import { defineMethods } from "../define.js";
import { ApprovalsReviewer, AskForApproval, SandboxMode } from "./thread.js";

export const ConfigWarning = z.object({
  summary: z.string(),
  details: z.string().nullable(),
  path: z.string().nullable(),
});
export type ConfigWarning = z.infer<typeof ConfigWarning>;

export const ResolveThreadConfigParams = z.object({
  threadId: z.string(),
  cwd: z.string(),
  /** The thread a fork copies its session layer from. */
  forkedFromId: z.string().nullish(),
  /** What the client asked for on thread/start (absent fields are undefined, not null). */
  overrides: z.object({
    model: z.string().nullish(),
    modelProvider: z.string().nullish(),
    /** Absent: the config's value (or unset); null: explicit standard routing ("default"); else a tier. */
    serviceTier: z.string().nullish(),
    serviceTierGiven: z.boolean(),
    approvalPolicy: AskForApproval.nullish(),
    approvalsReviewer: ApprovalsReviewer.nullish(),
    sandbox: SandboxMode.nullish(),
    permissions: z.string().nullish(),
    config: z.record(z.string(), z.unknown()).nullish(),
  }),
  /** The client's version (a lockfile records it as `codex_version`). */
  clientVersion: z.string(),
});
export type ResolveThreadConfigParams = z.infer<typeof ResolveThreadConfigParams>;

export const ResolveThreadConfigResponse = z.object({
  model: z.string(),
  modelProvider: z.string(),
  /** null: unset (a catalog default may apply); "default": explicit standard routing; else a tier id. */
  serviceTier: z.string().nullable(),
  approvalPolicy: AskForApproval,
  approvalsReviewer: ApprovalsReviewer,
  sandbox: SandboxMode,
  reasoningEffort: z.string().nullable(),
  activePermissionProfile: z.object({ id: z.string(), extends: z.string().nullable() }).nullable(),
  /** Config warnings the client should see (a disallowed profile replaced, stripped project keys). */
  warnings: z.array(ConfigWarning),
  /** The version of the thread's effective config. */
  configVersion: z.string(),
  /**
   * The tiers the tenant's model catalog lists for `model` (service-tier.ts), given when
   * `serviceTier` is one a model must list (not null, `default` or `flex`); absent otherwise, or
   * from an older instance.
   */
  modelServiceTiers: z.array(z.string()).optional(),
  /**
   * Present when this answer holds for any new thread started with the same inputs (caller, cwd,
   * overrides, client version) for as long as the tenant's config stays at `generation`: the caller
   * may keep it and store a later thread's snapshot itself, in the thread's own statement, with
   * `config.record_thread_config_at` (which refuses once the generation has moved). Absent when the
   * answer came from anything else (an upstream endpoint, a lockfile, sealed secrets, a fork).
   */
  reuse: z
    .object({
      generation: z.string(),
      sessionLayer: z.record(z.string(), z.unknown()),
      effective: z.record(z.string(), z.unknown()),
      resolved: z.record(z.string(), z.unknown()),
    })
    .optional(),
});
export type ResolveThreadConfigResponse = z.infer<typeof ResolveThreadConfigResponse>;

export const ForkThreadConfigParams = z.object({ threadId: z.string(), sourceThreadId: z.string() });
export const ForkThreadConfigResponse = z.object({ isCopied: z.boolean() });

/** Which provider a turn needs: the thread's `modelProvider`, in the thread's effective config. */
export const ResolveModelProviderParams = z.object({
  threadId: z.string(),
  providerId: z.string(),
  /** The model the turn runs (its own, else the thread's): whose catalog entry gives the window. */
  model: z.string().optional(),
});
export type ResolveModelProviderParams = z.infer<typeof ResolveModelProviderParams>;

/**
 * A model provider ready to call: config.toml's `[model_providers.<id>]` (or a built-in one) with
 * its secrets resolved. It carries a plaintext API key across the bus to the thread service (run
 * NATS with TLS outside a laptop); nobody logs it and no client ever sees it.
 */
export const ResolvedModelProvider = z.object({
  id: z.string(),
  name: z.string(),
  /** e.g. `https://api.openai.com/v1`; requests go to `<baseUrl>/responses`. */
  baseUrl: z.string(),
  wireApi: z.literal("responses"),
  queryParams: z.record(z.string(), z.string()),
  /** `http_headers` plus `env_http_headers` resolved from the tenant's secrets (absent secrets left out). */
  headers: z.record(z.string(), z.string()),
  /** `experimental_bearer_token`, else the tenant secret named by `env_key` (else, for the built-in `openai`, the deployment's key). */
  bearerToken: z.string().nullable(),
  /** Codex's defaults: 4, 5 and 300000. */
  requestMaxRetries: z.number().int().min(0),
  streamMaxRetries: z.number().int().min(0),
  streamIdleTimeoutMs: z.number().int().positive(),
});
export type ResolvedModelProvider = z.infer<typeof ResolvedModelProvider>;

export const ResolveModelProviderResponse = z.object({
  provider: ResolvedModelProvider,
  /** `model_reasoning_effort` and `model_reasoning_summary` of the thread's effective config. */
  reasoningEffort: z.string().nullable(),
  reasoningSummary: z.string().nullable(),
  /**
   * `developer_instructions` of the thread's effective config (a layer, the orchestrator's session
   * config or a start's `config` override): what a turn gives the model as developer instructions
   * unless the thread was started with its own (null: none; absent from older instances).
   */
  developerInstructions: z.string().nullish(),
  /** `review_model` of the thread's effective config: the model reviews run (null: the thread's; absent from older instances). */
  reviewModel: z.string().nullish(),
  /** `model_context_window` of the thread's effective config (null: not set; absent from older instances). */
  modelContextWindow: z.number().int().positive().nullish(),
  /**
   * The tenant's model catalog on the turn's model: its window (null: not known) and the share of it
   * Codex reports. Null when the catalog does not list the model; absent from older instances.
   */
  catalogWindow: z
    .object({
      contextWindow: z.number().int().positive().nullable(),
      effectiveContextWindowPercent: z.number().int().min(1).max(100),
    })
    .nullish(),
  /** The tiers the tenant's model catalog lists for the turn's model (absent from older instances). */
  serviceTiers: z.array(z.string()).nullish(),
});
export type ResolveModelProviderResponse = z.infer<typeof ResolveModelProviderResponse>;

/**
 * thread/settings/update's `permissions`: the permission profile a thread switches to, resolved as
 * Codex resolves it (the thread's config reloaded with the profile as its `default_permissions`):
 * the sandbox it grants and the thread's new `activePermissionProfile`, or Codex's refusal.
 */
export const ResolvePermissionProfileParams = z.object({ threadId: z.string(), profile: z.string() });
export type ResolvePermissionProfileParams = z.infer<typeof ResolvePermissionProfileParams>;
export const ResolvePermissionProfileResponse = z.object({
  sandbox: SandboxMode,
  activePermissionProfile: z.object({ id: z.string(), extends: z.string().nullable() }),
  /** Config warnings the client should see (a profile the requirements refuse replaced). */
  warnings: z.array(ConfigWarning),
});
export type ResolvePermissionProfileResponse = z.infer<typeof ResolvePermissionProfileResponse>;

/** Which tiers a model offers (service-tier.ts): the model a thread runs, with its provider. */
export const ModelServiceTiersParams = z.object({ model: z.string(), modelProvider: z.string() });
export type ModelServiceTiersParams = z.infer<typeof ModelServiceTiersParams>;
export const ModelServiceTiersResponse = z.object({ serviceTiers: z.array(z.string()) });

export const InternalMethod = {
  resolveThreadConfig: "internal/config/resolveThread",
  forkThreadConfig: "internal/config/forkThread",
  resolveModelProvider: "internal/config/modelProvider",
  modelServiceTiers: "internal/config/modelServiceTiers",
  resolvePermissionProfile: "internal/config/permissionProfile",
} as const;

/** A read the thread service asks of the config service: unkeyed, its only effect its answer. */
const configRead = {
  owner: "config",
  internal: true,
  scope: { kind: "unkeyed" },
  readOnly: true,
  experimental: false,
  paramsRequired: true,
} as const;

export const internalMethods = defineMethods({
  [InternalMethod.resolveThreadConfig]: {
    owner: "config",
    internal: true,
    // Unkeyed: the thread id is new (or the caller holds the thread's key); config reads see commits.
    scope: { kind: "unkeyed" },
    // Its one write is the thread's snapshot, an upsert keyed by the thread id it is given: a second
    // ask stores the snapshot again for the same thread and answers as the first did.
    repeatable: "threadUpsert",
    experimental: false,
    paramsRequired: true,
    params: ResolveThreadConfigParams,
    result: ResolveThreadConfigResponse,
    summary: "Thread service → config service: a new thread's session settings and config snapshot.",
  },
  [InternalMethod.forkThreadConfig]: {
    owner: "config",
    internal: true,
    // Unkeyed: the fork is new; copying its source's snapshot is idempotent (an upsert keyed by the fork's id).
    scope: { kind: "unkeyed" },
    repeatable: "threadUpsert",
    experimental: false,
    paramsRequired: true,
    params: ForkThreadConfigParams,
    result: ForkThreadConfigResponse,
    summary: "Thread service → config service: a fork gets its source's config snapshot (session layer included).",
  },
  [InternalMethod.resolveModelProvider]: {
    // A read of committed config (cached by the tenant's write generation).
    ...configRead,
    params: ResolveModelProviderParams,
    result: ResolveModelProviderResponse,
    summary: "Thread service → config service: the thread's model provider with its secrets, for a turn.",
  },
  [InternalMethod.modelServiceTiers]: {
    // A read of the tenant's committed model catalog.
    ...configRead,
    params: ModelServiceTiersParams,
    result: ModelServiceTiersResponse,
    summary: "Thread service → config service: the service tiers the tenant's catalog lists for a model.",
  },
  [InternalMethod.resolvePermissionProfile]: {
    // A read: the thread's layers resolved afresh with the profile; nothing is stored.
    ...configRead,
    params: ResolvePermissionProfileParams,
    result: ResolvePermissionProfileResponse,
    summary: "Thread service → config service: the sandbox and active profile a thread's permission profile gives it.",
  },
});
