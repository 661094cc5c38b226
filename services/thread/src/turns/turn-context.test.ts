import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { contextInput, threadInstructions } from "./turn-context.js";

const texts = (messages: Record<string, unknown>[]) =>
  messages.map((message) => (message.content as { text: string }[]).map((part) => `${message.role}:${part.text}`));

describe("a turn's context input", () => {
  test("nothing given, nothing sent", () => {
    assert.deepEqual(contextInput(threadInstructions(undefined), null), []);
    assert.deepEqual(contextInput(threadInstructions({} as never), ""), []);
  });

  test("base instructions alone, then the developer instructions and the mode's in one message", () => {
    const thread = threadInstructions({
      baseInstructions: "base",
      developerInstructions: "mine",
      collaborationMode: { mode: "plan", settings: { developer_instructions: "plan it" } },
    } as never);
    assert.deepEqual(texts(contextInput(thread, "the config's")), [
      ["developer:base"],
      ["developer:mine", "developer:<collaboration_mode>plan it</collaboration_mode>"],
    ]);
  });

  test("the config's developer instructions when the thread has none of its own", () => {
    assert.deepEqual(texts(contextInput(threadInstructions({} as never), "the config's")), [["developer:the config's"]]);
  });
});
