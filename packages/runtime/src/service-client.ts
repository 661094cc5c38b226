// One service calling another on a client's behalf (the thread service asking the config service
// for a new thread's settings): a typed request on the owner's lane, with the original caller,
// connection and remaining deadline, whose error answer is passed on to the client unchanged.
import {
  type MethodName,
  type MethodParams,
  type MethodResult,
  mayAskAgain,
  methodRegistry,
  SwitchyardError,
} from "@switchyard/protocol";
import { type BusRequest, encodeJson } from "./bus-codec.js";
import { newCommandId } from "./ids.js";
import type { LaneClient } from "./lane-client.js";

export class ServiceClient {
  constructor(private readonly lanes: LaneClient) {}

  /**
   * Sends `method` as part of handling `origin` (a client's request, or work a service does for a
   * tenant on its own, such as a running turn); resolves with its result or throws its error as a
   * SwitchyardError.
   */
  async call<M extends MethodName>(
    method: M,
    params: MethodParams<M>,
    origin: Pick<BusRequest, "caller" | "deadlineMs" | "connection" | "clientVersion" | "clientName">,
  ): Promise<MethodResult<M>> {
    const spec = methodRegistry.get(method);
    if (!spec) throw new Error(`unknown method ${method}`);
    if (spec.scope.kind !== "unkeyed") throw new Error(`${method} is keyed; service-to-service calls are unkeyed`);
    const timeoutMs = Math.max(1, origin.deadlineMs - Date.now());
    const outcome = await this.lanes.request({
      owner: spec.owner,
      key: undefined,
      meta: {
        commandId: newCommandId(),
        method,
        caller: origin.caller,
        deadlineMs: origin.deadlineMs,
        connection: origin.connection,
        clientVersion: origin.clientVersion,
        clientName: origin.clientName,
      },
      body: encodeJson(params),
      timeoutMs,
      repeatable: mayAskAgain(spec),
    });
    if (!outcome.ok) throw new SwitchyardError({ reason: "relayed", error: outcome.error });
    return outcome.result as MethodResult<M>;
  }
}
