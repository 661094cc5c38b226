// The project patches @nats-io/nats-core (patches/, applied by pnpm install): an answered request no
// longer builds a RequestError("cancelled") — with a stack trace — only to reject an already settled
// promise, which was about 5% of a gateway's CPU. These fail if the patch is lost (a version bump).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";

const require = createRequire(import.meta.url);
const lib = dirname(require.resolve("@nats-io/nats-core"));
const errorsModule = require(join(lib, "errors.js")) as { RequestError: new (message?: string) => Error };
const { RequestOne } = require(join(lib, "request.js")) as {
  RequestOne: new (
    mux: { cancel(request: unknown): void },
    subject: string,
    options: { timeout: number },
    asyncTraces: boolean,
  ) => { resolver(error: Error | null, msg: unknown): void; cancel(error?: Error): void; deferred: Promise<unknown> };
};

test("an answered request builds no 'cancelled' error; one cancelled before its answer still fails", async () => {
  const Original = errorsModule.RequestError;
  let built = 0;
  errorsModule.RequestError = class extends Original {
    constructor(message?: string) {
      super(message);
      built++;
    }
  };
  try {
    const mux = { cancel: () => {} };
    const answered = new RequestOne(mux, "subject", { timeout: 1_000 }, false);
    const msg = { data: new Uint8Array() };
    answered.resolver(null, msg);
    assert.equal(await answered.deferred, msg);
    assert.equal(built, 0, "no error built for an answered request");
    const cancelled = new RequestOne(mux, "subject", { timeout: 1_000 }, false);
    cancelled.cancel();
    await assert.rejects(cancelled.deferred, /cancelled/);
    assert.equal(built, 1);
  } finally {
    errorsModule.RequestError = Original;
  }
});
