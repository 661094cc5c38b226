import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { commonEnv, EnvError, parseEnv } from "./env.js";

test("defaults apply and a bad variable is named in the error", () => {
  const schema = z.object({ ...commonEnv, PORT: z.coerce.number().int() });
  const parsed = parseEnv(schema, { PORT: "80" });
  assert.equal(parsed.NATS_URL, "nats://127.0.0.1:4222");
  assert.equal(parsed.SWITCHYARD_BUS_PREFIX, "sy");
  assert.throws(
    () => parseEnv(schema, { PORT: "eighty" }),
    (error: unknown) => error instanceof EnvError && /PORT/.test(error.message),
  );
  assert.throws(() => parseEnv(schema, { PORT: "1", SWITCHYARD_BUS_PREFIX: "Bad.Prefix" }), /SWITCHYARD_BUS_PREFIX/);
});
