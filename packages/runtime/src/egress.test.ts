import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { describe, test } from "node:test";
import {
  allowedAddress,
  checkHost,
  EgressDeniedError,
  egressDenialOf,
  egressPolicy,
  guardedLookup,
  type HostResolver,
} from "./egress.js";

describe("egress policy", () => {
  test("private (the default) denies every non-public range, in each form an address can take", () => {
    const policy = egressPolicy(["private"], []);
    const denied = [
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "127.0.0.1",
      "127.8.9.10",
      "169.254.169.254", // a cloud's metadata service
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fd00::1",
      "fe80::1",
      "[::1]",
      "::ffff:127.0.0.1", // IPv4-mapped, dotted
      "::ffff:7f00:1", // IPv4-mapped, hex
      "::ffff:169.254.169.254",
      "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
      "::127.0.0.1", // IPv4-compatible
    ];
    for (const address of denied) assert.equal(policy.allows(address), false, `${address} is denied`);
    for (const address of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]) {
      assert.equal(policy.allows(address), true, `${address} is allowed`);
    }
    assert.equal(policy.allows("example.com"), false, "what is not an address is never connected to");
    assert.equal(policy.description, "denied: private");
  });

  test("allow entries are exceptions to the denied ranges; none denies nothing; a deny list of one's own", () => {
    const gateway = egressPolicy(["private"], ["10.20.0.0/16", "loopback"]);
    assert.equal(gateway.allows("10.20.5.5"), true);
    assert.equal(gateway.allows("10.21.0.1"), false);
    assert.equal(gateway.allows("127.0.0.1"), true);
    assert.equal(gateway.allows("::1"), true);
    assert.equal(gateway.allows("::ffff:127.0.0.1"), true);
    assert.equal(gateway.allows("169.254.169.254"), false);
    assert.equal(gateway.description, "denied: private; allowed: 10.20.0.0/16, loopback");

    const open = egressPolicy(["none"], []);
    assert.equal(open.allows("127.0.0.1"), true);
    assert.equal(open.allows("169.254.169.254"), true);
    assert.equal(open.description, "every address allowed");

    const one = egressPolicy(["203.0.113.7", "2001:db8::/32"], []);
    assert.equal(one.allows("203.0.113.7"), false);
    assert.equal(one.allows("203.0.113.8"), true);
    assert.equal(one.allows("2001:db8::5"), false);
    assert.equal(one.allows("10.0.0.1"), true);
  });

  test("an entry it cannot read stops it, naming the setting and the entry", () => {
    for (const [deny, allow, setting, entry] of [
      [["10.0.0.0/33"], [], "SWITCHYARD_EGRESS_DENY", "10.0.0.0/33"],
      [["private", "intranet"], [], "SWITCHYARD_EGRESS_DENY", "intranet"],
      [["10.0.0.0/8/1"], [], "SWITCHYARD_EGRESS_DENY", "10.0.0.0/8/1"],
      [["private"], ["none"], "SWITCHYARD_EGRESS_ALLOW", "none"],
      [["private"], ["10.0.0.0/x"], "SWITCHYARD_EGRESS_ALLOW", "10.0.0.0/x"],
    ] as const) {
      assert.throws(
        () => egressPolicy(deny, allow),
        (error: Error) => error.message.startsWith(`${setting}: cannot read ${JSON.stringify(entry)}`),
      );
    }
  });

  test("guardedLookup hands the socket only allowed addresses, and refuses a name with none", async () => {
    const lookup = (policy: ReturnType<typeof egressPolicy>, all: boolean) =>
      new Promise<{ error: Error | null; result: string | LookupAddress[]; family?: number }>((resolve) =>
        guardedLookup(policy)("localhost", { all }, (error, result, family) => resolve({ error, result, family })),
      );
    const refused = await lookup(egressPolicy(["private"], []), true);
    assert.ok(refused.error instanceof EgressDeniedError);
    assert.match(refused.error.message, /^localhost resolves to (127\.0\.0\.1|::1), which/);
    assert.equal(egressDenialOf(new TypeError("fetch failed", { cause: refused.error })), refused.error);

    const onlyV4 = await lookup(egressPolicy(["private"], ["127.0.0.0/8"]), true);
    assert.equal(onlyV4.error, null);
    assert.ok(Array.isArray(onlyV4.result));
    assert.ok(onlyV4.result.length > 0 && onlyV4.result.every((entry) => entry.address.startsWith("127.")));
    const single = await lookup(egressPolicy(["private"], ["127.0.0.0/8"]), false);
    assert.equal(single.error, null);
    assert.match(String(single.result), /^127\./);
    assert.equal(single.family, 4);
  });

  test("checkHost refuses a denied IP address as given; a name is left to the lookup", () => {
    const policy = egressPolicy(["private"], []);
    assert.throws(() => checkHost(policy, "[::1]"), EgressDeniedError);
    assert.throws(() => checkHost(policy, "10.0.0.1"), EgressDeniedError);
    assert.doesNotThrow(() => checkHost(policy, "8.8.8.8"));
    assert.doesNotThrow(() => checkHost(policy, "localhost"), "a name is left to the lookup");
    assert.equal(egressDenialOf(new Error("other")), undefined);
  });

  test("allowedAddress: the first address a name resolves to that the policy allows; an address as given", async () => {
    const policy = egressPolicy(["private"], ["10.1.0.0/16"]);
    const answers: Record<string, { address: string; family: number }[]> = {
      mixed: [
        { address: "10.2.0.1", family: 4 },
        { address: "10.1.0.7", family: 4 },
        { address: "2001:4860::8888", family: 6 },
      ],
      inside: [
        { address: "169.254.169.254", family: 4 },
        { address: "fd00::1", family: 6 },
      ],
    };
    const resolve: HostResolver = async (name) => answers[name] ?? [];
    assert.deepEqual(await allowedAddress(policy, "mixed", resolve), { address: "10.1.0.7", family: 4 });
    await assert.rejects(
      allowedAddress(policy, "inside", resolve),
      (error: Error) =>
        error instanceof EgressDeniedError && error.message.startsWith("inside resolves to 169.254.169.254, which"),
    );
    assert.deepEqual(await allowedAddress(policy, "[2001:4860::8888]", resolve), { address: "2001:4860::8888", family: 6 });
    await assert.rejects(allowedAddress(policy, "10.2.0.1", resolve), EgressDeniedError);
    // The system resolver by default; its failure is passed on, not taken for a denial.
    assert.deepEqual(await allowedAddress(egressPolicy(["private"], ["127.0.0.0/8"]), "localhost"), {
      address: "127.0.0.1",
      family: 4,
    });
    await assert.rejects(allowedAddress(policy, "nonexistent.invalid"), (error: Error) => egressDenialOf(error) === undefined);
  });
});
