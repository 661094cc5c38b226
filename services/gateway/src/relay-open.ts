// Before a relayed connection is upgraded, the remote-control service says whether this principal
// may drive the environment: same tenant (another tenant's environment is "not found", exactly like
// one that does not exist), not revoked, and connected now. The answer becomes the upgrade's status.
import type { NatsConnection } from "@nats-io/nats-core";
import { errors as natsErrors } from "@nats-io/nats-core";
import { type BusSubjects, type RelayOpenReply, type RelayOpenRequest, toWireError } from "@switchyard/protocol";
import { decodeJson, encodeJson } from "@switchyard/runtime";
import type { Principal } from "./auth/authenticator.js";
import type { RelayGrant } from "./server.js";

const OPEN_TIMEOUT_MS = 5_000;

export async function authorizeRelay(
  nc: NatsConnection,
  subjects: BusSubjects,
  principal: Principal,
  environmentId: string,
): Promise<RelayGrant> {
  const request: RelayOpenRequest = { tenant: principal.tenant, subject: principal.subject, environmentId };
  let reply: RelayOpenReply;
  try {
    const msg = await nc.request(subjects.relayOpen, encodeJson(request), { timeout: OPEN_TIMEOUT_MS });
    reply = decodeJson(msg.data) as RelayOpenReply;
  } catch (error) {
    const isAbsent = error instanceof natsErrors.NoRespondersError || error instanceof natsErrors.TimeoutError;
    const text = toWireError({ reason: "serviceUnavailable", service: "remote-control" }).message;
    return { ok: false, status: 503, text: isAbsent ? text : `${text} (${String(error)})` };
  }
  if (!reply.ok) {
    const reason = (reply.error.data as { reason?: string } | undefined)?.reason;
    const status = reason === "environmentNotFound" ? 404 : reason === "invalidArgument" ? 403 : 503;
    return { ok: false, status, text: reply.error.message };
  }
  if (!reply.isConnected) {
    return { ok: false, status: 503, text: toWireError({ reason: "environmentOffline", environmentId }).message };
  }
  return { ok: true };
}
