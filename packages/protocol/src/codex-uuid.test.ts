// Thread ids parsed as Codex 0.171.0 parses them (the `uuid` crate): each expected diagnosis below is
// what the real binary answered for thread/read of that id (test/interop-thread-ids.test.ts asks it live).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonicalUuid, codexUuidError } from "./codex-uuid.js";

const CHARACTER = "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found";

describe("codexUuidError", () => {
  test("the accepted forms parse, and name the thread by its canonical id", () => {
    const canonical = "0199a8f0-0000-7000-8000-00000000dead";
    for (const form of [
      canonical,
      "0199A8F0-0000-7000-8000-00000000DEAD",
      "0199a8f000007000800000000000dead",
      "{0199a8f0-0000-7000-8000-00000000dead}",
      "urn:uuid:0199a8f0-0000-7000-8000-00000000dead",
    ]) {
      assert.equal(codexUuidError(form), undefined, form);
      assert.equal(canonicalUuid(form), canonical, form);
    }
  });

  test("every other id is refused with the crate's diagnosis", () => {
    const cases: [string, string][] = [
      ["", "invalid length: expected length 32 for simple format, found 0"],
      ["nope", `${CHARACTER} \`n\` at 1`],
      ["0199a8f0-0000-7000-8000", "invalid group count: expected 5, found 4"],
      ["{0199a8f0-0000-7000-8000-00000000dea}", "invalid group length in group 4: expected 12, found 13"],
      ["urn:uuid:0199a8f0", "invalid group count: expected 5, found 1"],
      ["URN:UUID:0199a8f0-0000-7000-8000-00000000dead", `${CHARACTER} \`U\` at 1`],
      ["0199a8f000007000800000000000dea", "invalid length: expected length 32 for simple format, found 31"],
      ["0199a8f000007000800000000000deadd", "invalid length: expected length 32 for simple format, found 33"],
      ["0199a8f0-0000-7000-8000-00000000deadd", "invalid group length in group 4: expected 12, found 13"],
      ["0199a8f0-0000-7000-8000-00000000de", "invalid group length in group 4: expected 12, found 10"],
      ["0199a8f-00000-7000-8000-00000000dead", "invalid group length in group 0: expected 8, found 7"],
      ["0199a8f0-000-70000-8000-00000000dead", "invalid group length in group 1: expected 4, found 3"],
      ["0199a8f0-0000-7000-8000-00000000dëad", `${CHARACTER} \`ë\` at 34`],
      ["é", `${CHARACTER} \`é\` at 1`],
      ["0199a8f0_0000_7000_8000_00000000dead", `${CHARACTER} \`_\` at 9`],
      ["0199a8f0--0000-7000-8000-00000000dead", "invalid group count: expected 5, found 6"],
      ["---- ", `${CHARACTER} \` \` at 5`],
      ["-", "invalid group count: expected 5, found 2"],
      ["{}", "invalid group count: expected 5, found 1"],
      ["{", `${CHARACTER} \`{\` at 1`],
      ["a-b-c-d-e", "invalid group length in group 0: expected 8, found 1"],
      [" 0199a8f0-0000-7000-8000-00000000dead", `${CHARACTER} \` \` at 1`],
      ["0199a8f0-0000-7000-8000-00000000dead ", `${CHARACTER} \` \` at 37`],
      ["12345678-1234-1234-1234-1234567890ab-", "invalid group count: expected 5, found 6"],
      ["12345678-1234-1234-1234-12345678901", "invalid group length in group 4: expected 12, found 11"],
    ];
    for (const [input, expected] of cases) assert.equal(codexUuidError(input), expected, JSON.stringify(input));
  });
});
