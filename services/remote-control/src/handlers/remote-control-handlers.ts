// `switchyard/environments/*`: the methods gateway clients call on the remote-control service.
import { type EnvironmentStatus, SwitchyardError } from "@switchyard/protocol";
import type { HandlersFor } from "@switchyard/runtime";
import { clientRecordId, normalizeManualCode, sha256 } from "../auth/secrets.js";
import type { RateLimiter } from "../pairing/rate-limit.js";
import type { EnvironmentPresence } from "../relay/machine-hub.js";
import type { PgRemoteControlStore, ServerRow } from "../store/remote-control-store.js";

export interface HandlerSettings {
  reconnectGraceMs: number;
  pairingClaimsPerMinute: number;
}

/**
 * An environment's status as its clients should read it (the words of `remoteControl/status/changed`):
 * a live presence key is `connected`; a refused attempt since is `errored`; a drop within the grace
 * (or an instance that vanished while holding it) is `connecting`; anything older is `disabled`.
 */
export function environmentStatus(
  server: ServerRow,
  presence: EnvironmentPresence | undefined,
  nowMs: number,
  graceMs: number,
): EnvironmentStatus {
  if (presence) return "connected";
  if (server.lastEvent === "refused") return "errored";
  const since = (server.lastEvent === "connected" ? server.lastSeenAt : server.lastEventAt)?.getTime();
  if (server.lastEvent && since !== undefined && nowMs - since < graceMs) return "connecting";
  return "disabled";
}

export function remoteControlHandlers(
  store: PgRemoteControlStore,
  presenceOf: (environmentId: string) => Promise<EnvironmentPresence | undefined>,
  rateLimiter: RateLimiter,
  settings: HandlerSettings,
): HandlersFor<"remote-control"> {
  return {
    "switchyard/environments/list": async (_params, context) => {
      const servers = await store.environments(context.request.caller.tenant);
      const now = Date.now();
      const data = await Promise.all(
        servers.map(async (server) => ({
          environmentId: server.environmentId,
          serverName: server.name,
          installationId: server.installationId,
          status: environmentStatus(server, await presenceOf(server.environmentId), now, settings.reconnectGraceMs),
          os: server.os,
          arch: server.arch,
          appServerVersion: server.appServerVersion,
          enrolledAt: server.enrolledAt.getTime(),
          lastSeenAt: server.lastSeenAt?.getTime() ?? null,
        })),
      );
      return { data };
    },
    "switchyard/environments/pairing/claim": async (params, context) => {
      const { tenant, subject } = context.request.caller;
      if (!params.pairingCode && !params.manualPairingCode) {
        throw new SwitchyardError({ reason: "invalidRequest", detail: "missing field `pairingCode` (or `manualPairingCode`)" });
      }
      const code = {
        codeSha256: params.pairingCode ? sha256(params.pairingCode) : undefined,
        manualCodeSha256: params.manualPairingCode ? sha256(normalizeManualCode(params.manualPairingCode)) : undefined,
      };
      const { commandId } = context.request;
      // Every attempt counts, right or wrong: manual codes are short enough to guess otherwise. A
      // second ask of a claim that succeeded (its answer was late) is not an attempt: it answers again.
      if (!(await store.claimedByCommand(tenant, commandId, code))) {
        const decision = await rateLimiter.take(`claim:${tenant}`, settings.pairingClaimsPerMinute, 60_000);
        if (!decision.allowed)
          throw new SwitchyardError({ reason: "rateLimited", what: "pairing attempts", retryAfterMs: decision.retryAfterMs });
      }
      const clientId = clientRecordId(tenant, subject);
      const claimed = await store.claimPairingCode({ tenant, subject, clientId, commandId, code, details: params });
      // Unknown, expired, used, or another tenant's: one answer.
      if (!claimed) throw new SwitchyardError({ reason: "pairingCodeInvalid" });
      return { environmentId: claimed.environmentId, clientId };
    },
  };
}
