// Remote control, seen from a gateway client: the tenant's enrolled machines ("environments") with
// their status, and claiming a pairing code a machine printed. Switchyard's own methods (a Codex
// client never sends them; the `switchyard/` prefix keeps them apart from Codex's names). Driving a
// machine is not a method: a client connects to the gateway at `/environments/<environmentId>` and
// every frame of that connection is relayed to the machine's app-server (ARCHITECTURE.md, "Remote control").
import { z } from "zod";
import { defineMethods, defineNotifications } from "../define.js";

/**
 * What the backend knows of a machine's connection, with the meaning `remoteControl/status/changed`
 * gives these words on the machine itself: `connected` (a remote-control instance holds its
 * websocket), `connecting` (the socket dropped within the reconnect grace; the machine is expected
 * back), `errored` (its last attempt was refused: a bad or expired server token, a stale enrollment),
 * `disabled` (enrolled, but not connected for longer than the grace).
 */
export const EnvironmentStatus = z.enum(["disabled", "connecting", "connected", "errored"]);
export type EnvironmentStatus = z.infer<typeof EnvironmentStatus>;

export const Environment = z.object({
  environmentId: z.string(),
  /** The machine's server name (its hostname, or its app-server instance name). */
  serverName: z.string(),
  installationId: z.string(),
  status: EnvironmentStatus,
  os: z.string(),
  arch: z.string(),
  appServerVersion: z.string(),
  /** Epoch milliseconds. */
  enrolledAt: z.number().int(),
  /** Epoch milliseconds of the last websocket activity seen; null before its first connection. */
  lastSeenAt: z.number().int().nullable(),
});
export type Environment = z.infer<typeof Environment>;

export const EnvironmentsListParams = z.object({}).nullish();
export const EnvironmentsListResponse = z.object({ data: z.array(Environment) });

export const PairingClaimParams = z.object({
  /** The code the machine's `remoteControl/pairing/start` returned (QR form). */
  pairingCode: z.string().min(1).max(256).nullish(),
  /** The short code a person types (manual form). One of the two is required. */
  manualPairingCode: z.string().min(1).max(64).nullish(),
  displayName: z.string().max(200).nullish(),
  deviceType: z.string().max(100).nullish(),
  platform: z.string().max(100).nullish(),
  osVersion: z.string().max(100).nullish(),
  deviceModel: z.string().max(100).nullish(),
  appVersion: z.string().max(100).nullish(),
});
export const PairingClaimResponse = z.object({ environmentId: z.string(), clientId: z.string() });

export const RemoteControlMethod = {
  environmentsList: "switchyard/environments/list",
  pairingClaim: "switchyard/environments/pairing/claim",
} as const;

export const remoteControlMethods = defineMethods({
  // Unkeyed: a read of committed rows and Redis presence; nothing to order it against.
  [RemoteControlMethod.environmentsList]: {
    owner: "remote-control",
    scope: { kind: "unkeyed" },
    readOnly: true,
    experimental: false,
    paramsRequired: false,
    params: EnvironmentsListParams,
    result: EnvironmentsListResponse,
    summary: "The caller's tenant's enrolled machines and their remote-control status.",
  },
  // Unkeyed: single use is enforced by one conditional UPDATE in Postgres, whichever instance runs it.
  [RemoteControlMethod.pairingClaim]: {
    owner: "remote-control",
    scope: { kind: "unkeyed" },
    // The code records the command that claimed it: a second ask (same command id) finds its own
    // claim and answers again, where any other claim of a used code is refused.
    repeatable: "commandLedger",
    experimental: false,
    paramsRequired: true,
    params: PairingClaimParams,
    result: PairingClaimResponse,
    summary: "Claims a machine's pairing code (single use, short-lived, rate-limited per tenant).",
  },
});

export const RemoteControlNotification = {
  environmentStatusChanged: "switchyard/environment/status/changed",
} as const;

export const EnvironmentStatusChanged = z.object({
  environmentId: z.string(),
  status: EnvironmentStatus,
  serverName: z.string(),
  installationId: z.string(),
});

export const remoteControlNotifications = defineNotifications({
  [RemoteControlNotification.environmentStatusChanged]: {
    params: EnvironmentStatusChanged,
    audience: "tenant",
    experimental: false,
    critical: false,
    summary:
      "One of the tenant's machines connected (`connected`), dropped its socket (`connecting`) or had an upgrade refused (`errored`).",
  },
});
