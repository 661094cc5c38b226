// A thread's service tier, as Codex 0.171.0 keeps it (each rule read off the binary's answers and the
// Responses requests it sends). A session keeps the tier it was given, spelled as Codex records it;
// every answer that shows a session (thread/start, resume, fork) and every model request shows it
// as the session's model offers it: `default` (explicit standard routing) and `flex` always, any
// other tier only when the model's catalog entry lists it, else none (null). Announcements of the
// settings (thread/settings/updated) show the tier as kept, so a later change of model can offer it.

/** Tiers every model takes: explicit standard routing, and flex processing. */
const ALWAYS_OFFERED: ReadonlySet<string> = new Set(["default", "flex"]);

/**
 * A tier a client or a config names, as a session keeps it: `fast` (config.toml's spelling) is the
 * `priority` tier, and an explicit null is standard routing (`default`).
 */
export function keptServiceTier(tier: string | null): string {
  if (tier === null) return "default";
  return tier === "fast" ? "priority" : tier;
}

/** Whether a kept tier is one a model must list to be given it. */
export function needsOfferedTier(tier: string | null | undefined): tier is string {
  return typeof tier === "string" && !ALWAYS_OFFERED.has(tier);
}

/**
 * A session's tier as its model offers it: what thread/start, resume and fork answer. `offered` are
 * the tier ids the model's catalog entry lists; undefined when they are not known (an older
 * instance did not say), so the tier is shown as kept.
 */
export function offeredServiceTier(tier: string | null, offered: readonly string[] | null | undefined): string | null {
  if (!needsOfferedTier(tier) || offered == null) return tier;
  return offered.includes(tier) ? tier : null;
}

/** A model request's `service_tier`: the offered tier, none for standard routing or none offered. */
export function requestServiceTier(tier: string | null, offered: readonly string[] | null | undefined): string | undefined {
  const shown = offeredServiceTier(tier, offered);
  return shown === null || shown === "default" ? undefined : shown;
}
