// Client answers to server requests. A tool lane opens a connection of its own tenant with the
// experimental API on, starts a thread declaring the fuzz dynamic tool, and runs turns on it: the
// scripted model calls the tool, the gateway sends `item/tool/call`, and the lane answers it badly —
// a result of the wrong type at every place, a malformed or valid error, a result and an error, no
// result, a NUL string, nesting past the limit, a frame over the request limit — around answers to
// ids nobody asked (unknown integers, the right id as a string, a negative id), and after it a
// duplicate answer. No answer frame may get a reply; the turn must complete; its dynamicToolCall item
// must say success only when the answer was a valid successful result.
import { DynamicToolCallResponse } from "@switchyard/protocol";
import type { FuzzFrame } from "./frames.js";
import { KIB, MIB, nestedJson } from "./generators.js";
import { WRONG_VALUES } from "./method-catalog.js";
import type { Prng } from "./prng.js";
import { FUZZ_TOOL_NAME } from "./target.js";

export const FUZZ_DYNAMIC_TOOL = {
  name: FUZZ_TOOL_NAME,
  description: "Looks a thing up (the fuzzer answers it badly)",
  inputSchema: { type: "object", properties: { q: { type: "string" } } },
};

const VALID_RESULT = { contentItems: [{ type: "inputText", text: "42" }], success: true };
const RESULT_PATHS: (string | number)[][] = [[], ["contentItems"], ["contentItems", 0], ["contentItems", 0, "type"], ["success"]];

/** One answer frame for server request `id` and what it means for the tool call. */
export interface PlannedAnswer {
  frame: FuzzFrame;
  /** This frame answers the pending request (the first such frame decides the tool call's outcome). */
  answers: boolean;
  /** If it does: the dynamicToolCall item's success. */
  success?: boolean;
}

function silent(variant: string, data: string): FuzzFrame {
  return {
    frameClass: "server-response",
    variant,
    data,
    opcode: "text",
    expect: { kind: "silent", rule: "serverResponse" },
  };
}

function withValueAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: any = structuredClone(value);
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key];
  cursor[path[path.length - 1] as string | number] = replacement;
  return copy;
}

/** The main answer to request `id`: what is sent and whether the tool call then succeeds. */
function mainAnswer(prng: Prng, id: number, big: (size: number) => string): PlannedAnswer {
  const variant = prng.weighted([
    ["valid", 3],
    ["valid, success false", 1],
    ["wrong-type result", 8],
    ["result removed field", 2],
    ["error valid", 2],
    ["error malformed", 3],
    ["result and error", 1],
    ["neither result nor error", 1],
    ["nul in result", 1],
    ["deep result", 1],
    ["result over the request limit", 1],
    ["medium result", 1],
  ] as const);
  const answer = (label: string, body: string, success: boolean): PlannedAnswer => ({
    frame: silent(label, `{"id":${id},${body}}`),
    answers: true,
    success,
  });
  switch (variant) {
    case "valid":
      return answer("valid result", `"result":${JSON.stringify(VALID_RESULT)}`, true);
    case "valid, success false":
      return answer("valid result, success false", `"result":${JSON.stringify({ ...VALID_RESULT, success: false })}`, false);
    case "wrong-type result": {
      const path = prng.pick(RESULT_PATHS);
      const [label, value] = prng.pick(WRONG_VALUES);
      const result = withValueAt(VALID_RESULT, path, value);
      const parsed = DynamicToolCallResponse.safeParse(result);
      return answer(
        `result ${path.length === 0 ? "" : `${path.join(".")} `}:= ${label}`,
        `"result":${JSON.stringify(result)}`,
        parsed.success ? parsed.data.success : false,
      );
    }
    case "result removed field": {
      const field = prng.pick(["contentItems", "success"]);
      const { [field as "success"]: _removed, ...rest } = VALID_RESULT;
      return answer(`result without ${field}`, `"result":${JSON.stringify(rest)}`, false);
    }
    case "error valid":
      return answer("error -32000", `"error":{"code":-32000,"message":"the tool failed","data":{"why":"fuzz"}}`, false);
    case "error malformed": {
      const error = prng.pick([
        "null",
        '"the tool failed"',
        "[]",
        "{}",
        '{"code":"1","message":"x"}',
        '{"code":1.5e400,"message":"x"}',
        '{"code":-32000,"message":42}',
        '{"code":-32000}',
        '{"message":"x"}',
        "64 KiB message",
      ]);
      if (error === "64 KiB message")
        return answer("error with a 64 KiB message", `"error":{"code":-32000,"message":${JSON.stringify(big(64 * KIB))}}`, false);
      return answer(`error ${error}`, `"error":${error}`, false);
    }
    case "result and error":
      return answer(
        "result and error",
        `"result":${JSON.stringify(VALID_RESULT)},"error":{"code":-32000,"message":"both"}`,
        false,
      );
    case "neither result nor error":
      // Not a response (JSON-RPC needs one of them): ignored, so the request is still pending.
      return { frame: silent("neither result nor error", `{"id":${id},"jsonrpc":"2.0"}`), answers: false };
    case "nul in result":
      return answer(
        "NUL in a content item",
        `"result":${JSON.stringify({ ...VALID_RESULT, contentItems: [{ type: "inputText", text: "a\u0000b" }] })}`,
        false,
      );
    case "deep result":
      return answer(
        "result nested 200 deep",
        `"result":{"contentItems":[{"type":"inputText","deep":${nestedJson(200, "mixed")}}],"success":true}`,
        false,
      );
    case "result over the request limit":
      return answer(
        "result 1.5 MiB",
        `"result":${JSON.stringify({ ...VALID_RESULT, contentItems: [{ type: "inputText", text: big(Math.ceil(1.5 * MIB)) }] })}`,
        false,
      );
    case "medium result":
      return answer(
        "result 64 KiB text",
        `"result":${JSON.stringify({ ...VALID_RESULT, contentItems: [{ type: "inputText", text: big(64 * KIB) }] })}`,
        true,
      );
  }
}

/** Answers to ids that are not pending: they must change nothing. */
function strayAnswer(prng: Prng, id: number): FuzzFrame {
  const result = JSON.stringify(VALID_RESULT);
  const [label, idText] = prng.pick([
    ["unknown id", String(id + 1_000 + prng.int(1_000))],
    ["the id as a string", JSON.stringify(String(id))],
    ["negative id", String(-1 - id)],
    ["id 1.5", "1.5"],
    ["id null", "null"],
    ["id beyond 2^53", "9007199254740993"],
  ] as const);
  return silent(`${label} answered`, `{"id":${idText},"result":${result}}`);
}

/** Every frame sent for request `id`, in order: strays, the main answer (or none), a duplicate. */
export function answerPlan(prng: Prng, id: number, big: (size: number) => string): PlannedAnswer[] {
  const plan: PlannedAnswer[] = [];
  for (
    let count = prng.weighted([
      [0, 3],
      [1, 2],
      [2, 1],
    ] as const);
    count > 0;
    count--
  ) {
    plan.push({ frame: strayAnswer(prng, id), answers: false });
  }
  // Now and then no answer at all: the tool call times out and the turn goes on.
  if (prng.chance(0.04)) return plan;
  plan.push(mainAnswer(prng, id, big));
  if (prng.chance(0.4)) {
    // A second answer: ignored after a real one, the answer when the first frame was none.
    plan.push({
      frame: silent("duplicate answer", `{"id":${id},"result":${JSON.stringify(VALID_RESULT)}}`),
      answers: true,
      success: true,
    });
  }
  return plan;
}
