import assert from "node:assert/strict";
import { test } from "node:test";
import { errors as natsErrors } from "@nats-io/nats-core";
import { SwitchyardError } from "@switchyard/protocol";
import pg from "pg";
import { classifyFailure, permanentFailureDetail } from "./failures.js";

const pgError = (code: string, message = "failed") => Object.assign(new Error(message), { code });

test("dependency outages are transient", () => {
  assert.equal(classifyFailure(pgError("57P01", "terminating connection due to administrator command")), "transient");
  assert.equal(classifyFailure(pgError("08006")), "transient");
  assert.equal(classifyFailure(pgError("40001", "could not serialize access")), "transient");
  assert.equal(classifyFailure(pgError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")), "transient");
  assert.equal(classifyFailure(new Error("Connection terminated unexpectedly")), "transient");
  assert.equal(classifyFailure(new Error("timeout exceeded when trying to connect")), "transient");
  assert.equal(classifyFailure(new natsErrors.TimeoutError()), "transient");
  assert.equal(classifyFailure(new AggregateError([pgError("ECONNREFUSED")])), "transient");
});

test("bad values, constraints and bugs are permanent", () => {
  assert.equal(classifyFailure(pgError("22021", 'invalid byte sequence for encoding "UTF8": 0x00')), "permanent");
  assert.equal(classifyFailure(pgError("23505", "duplicate key value")), "permanent");
  assert.equal(classifyFailure(pgError("54000", "index row size exceeds maximum")), "permanent");
  assert.equal(classifyFailure(new TypeError("cannot read properties of undefined")), "permanent");
  assert.equal(classifyFailure(new SwitchyardError({ reason: "threadNotFound", threadId: "x" })), "permanent");
});

test("a value the database refuses is the client's input; anything else permanent is internal", () => {
  assert.equal(permanentFailureDetail(pgError("22021", "invalid byte sequence")).reason, "unstorableInput");
  assert.equal(permanentFailureDetail(pgError("23505")).reason, "internal");
  assert.equal(permanentFailureDetail(new SwitchyardError({ reason: "overloaded" })).reason, "overloaded");
});

test("a real Postgres encoding refusal is classified permanent", async () => {
  const client = new pg.Client({
    connectionString: process.env.SWITCHYARD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  });
  await client.connect();
  try {
    const refused = await client.query("SELECT $1::text", ["a\u0000b"]).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused, "Postgres must refuse a NUL in text");
    assert.equal(classifyFailure(refused), "permanent");
    assert.equal(permanentFailureDetail(refused).reason, "unstorableInput");
  } finally {
    await client.end();
  }
});
