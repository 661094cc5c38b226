// Thread ids as Codex 0.171.0 reads them: with Rust's `uuid` crate, whose parse errors reach the client
// verbatim ("invalid thread id: invalid group count: expected 5, found 4"). Written from the crate's
// documented behaviour and checked against the real binary (test/interop-thread-ids.test.ts).
//
// Accepted: 32 hex digits; 8-4-4-4-12 hex groups; the same in braces; or after `urn:uuid:` (either case
// of hex). Anything else is refused with the crate's diagnosis: the first character that is neither a
// hex digit nor a hyphen (1-based byte offset in the whole input), else a simple id's length, else the
// number of groups, else the first group of the wrong length.

const HEX = /^[0-9a-fA-F]$/;
const GROUP_LENGTHS = [8, 4, 4, 4, 12] as const;
const GROUP_STARTS = [0, 9, 14, 19, 24] as const;
const URN_PREFIX = "urn:uuid:";

const isHyphenated = (value: string) =>
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value);

function isAccepted(input: string): boolean {
  const length = Buffer.byteLength(input);
  if (length === 32) return /^[0-9a-fA-F]{32}$/.test(input);
  if (length === 36) return isHyphenated(input);
  if (length === 38 && input.startsWith("{") && input.endsWith("}")) return isHyphenated(input.slice(1, -1));
  if (length === 45 && input.startsWith(URN_PREFIX)) return isHyphenated(input.slice(URN_PREFIX.length));
  return false;
}

/** Why the `uuid` crate refuses `input`, in its words; undefined when it parses. */
export function codexUuidError(input: string): string | undefined {
  if (isAccepted(input)) return undefined;
  const inputBytes = Buffer.byteLength(input);
  let body = input;
  let offset = 0;
  let isSimple = true;
  if (input.length >= 2 && input.startsWith("{") && input.endsWith("}")) {
    body = input.slice(1, -1);
    offset = 1;
    isSimple = false;
  } else if (input.startsWith(URN_PREFIX)) {
    body = input.slice(URN_PREFIX.length);
    offset = URN_PREFIX.length;
    isSimple = false;
  }
  let hyphens = 0;
  const hyphenAt: number[] = [];
  let byteIndex = 0;
  for (const character of body) {
    if (character === "-") {
      if (hyphens < 4) hyphenAt.push(byteIndex);
      hyphens++;
    } else if (!HEX.test(character)) {
      return `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${character}\` at ${byteIndex + offset + 1}`;
    }
    byteIndex += Buffer.byteLength(character);
  }
  if (hyphens === 0 && isSimple) return `invalid length: expected length 32 for simple format, found ${inputBytes}`;
  if (hyphens !== 4) return `invalid group count: expected 5, found ${hyphens + 1}`;
  for (let group = 0; group < 4; group++) {
    const start = GROUP_STARTS[group] as number;
    if (hyphenAt[group] !== (GROUP_STARTS[group + 1] as number) - 1) {
      return `invalid group length in group ${group}: expected ${GROUP_LENGTHS[group]}, found ${(hyphenAt[group] as number) - start}`;
    }
  }
  // The last group is the wrong length (measured, as the crate does, against the whole input).
  return `invalid group length in group 4: expected 12, found ${inputBytes - GROUP_STARTS[4]}`;
}

/** The canonical (lower-case, hyphenated) form of an id `codexUuidError` accepts. */
export function canonicalUuid(input: string): string {
  const digits = input
    .replace(/^urn:uuid:/, "")
    .replace(/[{}-]/g, "")
    .toLowerCase();
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}
