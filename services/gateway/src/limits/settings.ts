// Limit settings: the deployment's defaults (env) and per-tenant overrides (`GATEWAY_TENANT_LIMITS`
// inline JSON or `GATEWAY_TENANT_LIMITS_FILE`, e.g. a mounted ConfigMap), resolved to one set of
// numbers per tenant. A default of 0 (or unset) means "generous": high enough never to bite a normal
// client, low enough to stop a runaway one.
import { readFileSync } from "node:fs";
import { z } from "zod";

/** Everything limited for one tenant and for each of its tokens (a principal: tenant + subject). */
export interface Limits {
  /** Token bucket shared by every gateway: refill rate and capacity, per tenant. */
  requestsPerS: number;
  requestBurst: number;
  /** Live connections per tenant, across gateways. */
  connections: number;
  /** The same, per token. */
  tokenRequestsPerS: number;
  tokenRequestBurst: number;
  tokenConnections: number;
  /** Requests of the tenant in flight on one gateway (fairness between tenants sharing it). */
  inFlight: number;
}

export const GENEROUS_LIMITS: Limits = {
  requestsPerS: 20_000,
  requestBurst: 40_000,
  connections: 10_000,
  tokenRequestsPerS: 5_000,
  tokenRequestBurst: 10_000,
  tokenConnections: 1_000,
  inFlight: 4_096,
};

const rate = z.number().positive().max(1_000_000);
const count = z.number().int().positive().max(10_000_000);

/** One tenant's overrides: any subset of Limits. Unknown keys are refused (a typo must not pass silently). */
const tenantOverride = z.strictObject({
  requestsPerS: rate.optional(),
  requestBurst: count.optional(),
  connections: count.optional(),
  tokenRequestsPerS: rate.optional(),
  tokenRequestBurst: count.optional(),
  tokenConnections: count.optional(),
  inFlight: count.optional(),
});
export type TenantOverrides = Record<string, z.infer<typeof tenantOverride>>;
const tenantOverrides = z.record(z.string().min(1), tenantOverride);

function parseOverrides(text: string, context: z.RefinementCtx): TenantOverrides {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    context.addIssue({ code: "custom", message: `not JSON: ${error instanceof Error ? error.message : String(error)}` });
    return z.NEVER;
  }
  const parsed = tenantOverrides.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  context.addIssue({
    code: "custom",
    message: `expected {"<tenant>": {requestsPerS?, requestBurst?, connections?, tokenRequestsPerS?, tokenRequestBurst?, tokenConnections?, inFlight?}}; ${problems.join("; ")}`,
  });
  return z.NEVER;
}

/** Env parts for env.ts: a rate or count where 0 or unset means the generous default. */
export const limitEnv = {
  rate: (fallback: number) =>
    z.coerce
      .number()
      .min(0)
      .max(1_000_000)
      .default(0)
      .transform((value) => (value === 0 ? fallback : value)),
  count: (fallback: number) =>
    z.coerce
      .number()
      .int()
      .min(0)
      .max(10_000_000)
      .default(0)
      .transform((value) => (value === 0 ? fallback : value)),
  /** Inline JSON of per-tenant overrides. */
  overrides: z
    .string()
    .optional()
    .transform((text, context) => (text ? parseOverrides(text, context) : {})),
  /** A path to the same JSON, read once at start. */
  overridesFile: z
    .string()
    .optional()
    .transform((path, context) => {
      if (!path) return {};
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (error) {
        context.addIssue({
          code: "custom",
          message: `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
        });
        return z.NEVER;
      }
      return parseOverrides(text, context);
    }),
};

/** Defaults, then the file's entry for a tenant, then the inline entry (inline wins key by key). */
export class LimitBook {
  private readonly resolved = new Map<string, Limits>();

  constructor(
    private readonly defaults: Limits,
    private readonly fromFile: TenantOverrides,
    private readonly inline: TenantOverrides,
  ) {}

  of(tenant: string): Limits {
    let limits = this.resolved.get(tenant);
    if (!limits) {
      const hasOverride = this.fromFile[tenant] !== undefined || this.inline[tenant] !== undefined;
      limits = hasOverride ? { ...this.defaults, ...this.fromFile[tenant], ...this.inline[tenant] } : this.defaults;
      // Tenants without an override share the defaults object: the memo holds only the overridden ones.
      if (hasOverride) this.resolved.set(tenant, limits);
    }
    return limits;
  }
}
