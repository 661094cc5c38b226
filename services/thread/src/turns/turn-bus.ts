// The turn's two conversations over core NATS, beside the lanes:
// - turn control: turn/interrupt, turn/steer and turn/start-while-running are admitted on the keyed
//   lane by whichever instance pulls them, then reach the instance running the turn by request-reply
//   on `turnControl(tenant, threadId)`, which only that instance subscribes to while the turn runs.
//   "No responders" is definitive: nobody runs that turn any more (its instance died).
// - server requests: a dynamic tool call is published on the thread's event subject for every
//   subscribed connection (gateways give it a per-connection id); the first client answer comes back
//   on `serverRequestReply(token)`, and a `Sy-Server-Request-Resolved` event withdraws it elsewhere.
import { type NatsConnection, NoRespondersError, headers as natsHeaders, RequestError } from "@nats-io/nats-core";
import {
  BusHeader,
  type BusSubjects,
  type ServerRequestAnswer,
  type ServerRequestEvent,
  type TurnControlReply,
  type TurnControlRequest,
  TurnNotification,
} from "@switchyard/protocol";
import { decodeJson, encodeJson, flushEvents, newToken } from "@switchyard/runtime";
import type { PauseReading } from "../store/elicitation-store.js";

/** How long an error answer to a server request waits for another client's result. */
const ERROR_ANSWER_GRACE_MS = 1_000;
/** How often a wait that fell due while its thread was paused looks again. */
const PAUSED_RECHECK_MS = 500;

export type TurnControlOutcome = TurnControlReply | { ok: false; unreachable: "noResponders" | "timeout" };

export class TurnBus {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: BusSubjects,
  ) {}

  /**
   * Serves control requests for one running turn; returns the unsubscribe. A reply that waits for
   * work (a goal's settling) goes once that work's notifications are on the bus, ahead of it.
   */
  listen(
    tenant: string,
    threadId: string,
    handle: (request: TurnControlRequest) => TurnControlReply | Promise<TurnControlReply>,
  ): () => void {
    const failed = (cause: unknown): TurnControlReply => ({
      ok: false,
      error: { code: -32603, message: `internal error: ${(cause as Error).message}` },
    });
    const subscription = this.nc.subscribe(this.subjects.turnControl(tenant, threadId), {
      callback: (error, msg) => {
        if (error) return;
        let reply: TurnControlReply | Promise<TurnControlReply>;
        try {
          reply = handle(decodeJson(msg.data) as TurnControlRequest);
        } catch (cause) {
          reply = failed(cause);
        }
        if (!(reply instanceof Promise)) {
          msg.respond(encodeJson(reply));
          return;
        }
        reply.catch(failed).then((settled) => {
          flushEvents(this.nc);
          msg.respond(encodeJson(settled));
        });
      },
    });
    return () => subscription.unsubscribe();
  }

  /** Sends a control request to the instance running the thread's turn. */
  async send(tenant: string, threadId: string, request: TurnControlRequest, timeoutMs: number): Promise<TurnControlOutcome> {
    try {
      const reply = await this.nc.request(this.subjects.turnControl(tenant, threadId), encodeJson(request), {
        timeout: timeoutMs,
      });
      return decodeJson(reply.data) as TurnControlReply;
    } catch (error) {
      const isNoResponders = error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
      return { ok: false, unreachable: isNoResponders ? "noResponders" : "timeout" };
    }
  }

  /**
   * Asks the thread's subscribed clients (all of them; the first answer wins) and withdraws the
   * request from the others once answered. Undefined when nobody answered in `timeoutMs`; rejects
   * when `signal` aborts (the turn was interrupted). With `pauseClock`, time the thread spent paused
   * (out-of-band elicitations) does not count: when the wait is due it reads the clock, and waits on
   * while the thread is paused, then for as long as it was paused.
   */
  async askClients(
    tenant: string,
    threadId: string,
    request: ServerRequestEvent,
    timeoutMs: number,
    signal: AbortSignal,
    pauseClock?: () => Promise<PauseReading>,
  ): Promise<ServerRequestAnswer | undefined> {
    const pausedAtStart = pauseClock ? (await pauseClock().catch(() => undefined))?.pausedMs : undefined;
    const token = newToken(12);
    const events = this.subjects.threadEvents(tenant, threadId);
    const subscription = this.nc.subscribe(this.subjects.serverRequestReply(token));
    const withdraw = () => {
      flushEvents(this.nc);
      const headers = natsHeaders();
      headers.set(BusHeader.method, TurnNotification.serverRequestResolved);
      headers.set(BusHeader.serverRequestResolved, token);
      this.nc.publish(events, encodeJson({ threadId }), { headers });
    };
    try {
      // Notifications emitted before it (the item it is about) reach clients first.
      flushEvents(this.nc);
      const headers = natsHeaders();
      headers.set(BusHeader.method, request.method);
      headers.set(BusHeader.serverRequest, token);
      this.nc.publish(events, encodeJson(request), { headers });
      return await new Promise<ServerRequestAnswer | undefined>((resolve, reject) => {
        // A client's error answer (one that does not implement the tool, say) gives the others a
        // moment to answer with a result before it is taken.
        let firstError: ServerRequestAnswer | undefined;
        let isSettled = false;
        const askedAt = Date.now();
        // Due `timeoutMs` after it was asked plus the time the thread was paused meanwhile.
        const whenDue = async () => {
          const reading = pauseClock && pausedAtStart !== undefined ? await pauseClock().catch(() => undefined) : undefined;
          if (isSettled) return;
          if (reading?.isPaused) {
            timer = setTimeout(whenDue, PAUSED_RECHECK_MS);
            return;
          }
          const pausedMeanwhile = reading ? reading.pausedMs - (pausedAtStart as number) : 0;
          const remaining = askedAt + timeoutMs + pausedMeanwhile - Date.now();
          if (remaining > 0) {
            timer = setTimeout(whenDue, remaining);
            return;
          }
          settle(firstError);
        };
        let timer = setTimeout(whenDue, timeoutMs);
        const settle = (answer: ServerRequestAnswer | undefined) => {
          isSettled = true;
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          resolve(answer);
        };
        const onAbort = () => {
          isSettled = true;
          clearTimeout(timer);
          reject(signal.reason ?? new Error("aborted"));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        (async () => {
          for await (const msg of subscription) {
            const answer = decodeJson(msg.data) as ServerRequestAnswer;
            if (!("error" in answer)) return settle(answer);
            if (!firstError) {
              firstError = answer;
              clearTimeout(timer);
              timer = setTimeout(() => settle(firstError), Math.min(timeoutMs, ERROR_ANSWER_GRACE_MS));
            }
          }
        })().catch(reject);
      });
    } finally {
      subscription.unsubscribe();
      withdraw();
    }
  }
}
