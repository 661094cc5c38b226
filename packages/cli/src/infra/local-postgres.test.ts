import assert from "node:assert/strict";
import { it } from "node:test";
import { parsePostgresVersion } from "./local-postgres.js";

it("reads the major version from `postgres --version`", () => {
  assert.deepEqual(parsePostgresVersion("postgres (PostgreSQL) 18.4\n"), { major: 18, version: "18.4" });
  assert.deepEqual(parsePostgresVersion("postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"), { major: 15, version: "15.20" });
  assert.deepEqual(parsePostgresVersion("postgres (PostgreSQL) 17beta1"), { major: 17, version: "17" });
  assert.equal(parsePostgresVersion("command not found"), undefined);
});
