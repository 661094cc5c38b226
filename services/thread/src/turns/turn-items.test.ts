import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SwitchyardError } from "@switchyard/protocol";
import { COMPACTED_USER_MESSAGES_BUDGET_BYTES, compactedHistory, historyInput, toolOutput, userInputItem } from "./turn-items.js";
import type { StoredHistoryRow } from "./turn-store.js";

const row = (
  item: Record<string, unknown> | null,
  responseItem: Record<string, unknown> | null,
  seq = "1",
): StoredHistoryRow => ({
  seq,
  turn_id: "t",
  item,
  response_item: responseItem,
});

describe("turn items", () => {
  test("a user's text and image URLs become a userMessage and a Responses user message", () => {
    const built = userInputItem(
      [
        { type: "text", text: "look" },
        { type: "image", url: "https://example.com/a.png" },
      ],
      "client-1",
      1_000,
    );
    assert.equal(built.item.type, "userMessage");
    assert.equal(built.item.clientId, "client-1");
    assert.deepEqual((built.item.content as unknown[])[0], { text_elements: [], type: "text", text: "look" });
    assert.deepEqual(built.responseItem, {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "look" },
        { type: "input_image", image_url: "https://example.com/a.png", detail: "auto" },
      ],
    });
  });

  test("input that names a local file is refused: a cloud thread has none", () => {
    assert.throws(
      () => userInputItem([{ type: "localImage", path: "/tmp/a.png" }], null, 0),
      (error: unknown) => error instanceof SwitchyardError && /local file/.test(error.message),
    );
  });

  test("history: stored Responses items without ids, items rebuilt when only the ThreadItem was stored", () => {
    const input = historyInput([
      row({ type: "userMessage", content: [{ type: "text", text: "injected" }] }, null),
      row(null, {
        type: "message",
        id: "msg_1",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "hi" }],
      }),
      row(null, { type: "reasoning", id: "rs_1", summary: [] }),
      row(null, { type: "function_call", id: "fc_1", call_id: "c1", name: "lookup", arguments: "{}" }),
    ]);
    assert.deepEqual(input, [
      { type: "message", role: "user", content: [{ type: "input_text", text: "injected" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "hi" }] },
      // Reasoning without encrypted content goes back too, as Codex 0.171.0 sends it.
      { type: "reasoning", summary: [], content: null, encrypted_content: null },
      { type: "function_call", call_id: "c1", name: "lookup", arguments: "{}" },
    ]);
  });

  test("a compaction keeps the user's earlier messages, then its summary; a later one keeps those too", () => {
    const user = (text: string) => row(null, { type: "message", role: "user", content: [{ type: "input_text", text }] });
    const { input, contextAt } = compactedHistory([
      user("old"),
      row(null, { type: "message", role: "assistant", content: [{ type: "output_text", text: "reply" }] }),
      user("<turn_aborted>\nnote\n</turn_aborted>"),
      row({ type: "contextCompaction", id: "c" }, { type: "compaction", summary: "S1" }),
      user("mid"),
      row({ type: "contextCompaction", id: "c2" }, { type: "compaction", summary: "S2" }),
      user("new"),
    ]);
    const texts = input.map((item) => (item.content as { text: string }[])[0]?.text);
    assert.deepEqual(texts.slice(0, 2), ["old", "mid"]);
    assert.match(texts[2] as string, /S2$/);
    assert.equal(texts[3], "new");
    assert.doesNotMatch(JSON.stringify(input), /reply|S1|turn_aborted/);
    // The developer instructions go before the last kept message.
    assert.equal(contextAt, 1);
  });

  test("a compaction keeps the newest user messages within its budget", () => {
    const big = "x".repeat(COMPACTED_USER_MESSAGES_BUDGET_BYTES / 2);
    const user = (text: string) => row(null, { type: "message", role: "user", content: [{ type: "input_text", text }] });
    const input = historyInput([
      user(`a${big}`),
      user(`b${big}`),
      user("c"),
      row({ type: "contextCompaction", id: "c" }, { type: "compaction", summary: "S" }),
    ]);
    assert.deepEqual(
      input.map((item) => (item.content as { text: string }[])[0]?.text.slice(0, 1)),
      ["b", "c", "A"],
    );
  });

  test("a tool's answer: a string when it is all text, content parts otherwise", () => {
    assert.deepEqual(
      toolOutput("c1", [
        { type: "inputText", text: "a" },
        { type: "inputText", text: "b" },
      ]),
      {
        type: "function_call_output",
        call_id: "c1",
        output: "a\nb",
      },
    );
    assert.deepEqual(toolOutput("c1", [{ type: "inputImage", imageUrl: "data:x" }]).output, [
      { type: "input_image", image_url: "data:x" },
    ]);
  });
});
