// Thread attachments beside the real `codex app-server` 0.171.0: the same adds, removes, lists, owner
// lookups and refusals on both sides (one scripted Responses server gives the threads their content),
// compared call by call, cursors included. Ids and times differ between the sides, so each side's ids
// are named in the order they first appear (the same order on both) and times are compared as times.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type BesideCodex,
  besideCodexScripted,
  sideCall as call,
  idNamer,
  type Side,
  type SideReply,
  sidesOf,
  threadWithTurns,
} from "./harness/beside-codex.js";
import type { ScriptedResponses } from "./harness/scripted-responses.js";
import { assertConformant } from "./harness/stack.js";

const UNKNOWN = "019a0000-0000-7000-8000-000000000000";

describe("thread attachments beside codex app-server 0.171.0", () => {
  let sides: BesideCodex;
  let provider: ScriptedResponses;
  let codex: Side;
  let switchyard: Side;
  const namers = new Map<Side, (text: string) => string>();
  /** `text` with this side's ids named in the order they first appear (the unknown id kept) and its times as `<t>`. */
  const named = (side: Side, text: string) =>
    (namers.get(side) as (text: string) => string)(text)
      .replaceAll(/"createdAt":\d+/g, '"createdAt":"<t>"')
      .replaceAll(/\|\d+\|/g, "|<t>|");

  before(async () => {
    ({ sides, provider } = await besideCodexScripted("thread-attachments"));
    ({ codex, switchyard } = sidesOf(sides));
    for (const side of [codex, switchyard]) namers.set(side, idNamer([UNKNOWN]));
  });
  after(async () => {
    await sides?.stop();
  });

  /** The reply as compared: refusals by code and text, answers as they are. */
  const shown = (side: Side, reply: SideReply) =>
    named(side, reply.error ? `error ${reply.error.code} ${reply.error.message}` : JSON.stringify(reply.result));

  /** A thread with one turn (its preview is `prompt`); its id. */
  const threadWith = async (side: Side, prompt: string) =>
    (await threadWithTurns(side, provider, sides.serverCwd, [prompt])).threadId;

  test("attachments are filed, found again, paged, looked up by identity and removed as Codex does it", async () => {
    const run = async (side: Side) => {
      const ids: Record<string, string> = {
        a: await threadWith(side, "a"),
        b: await threadWith(side, "b"),
        c: await threadWith(side, "c"),
      };
      ids.empty = (await call(side, "thread/start", { cwd: sides.serverCwd })).thread.id;
      ids.ephemeral = (await call(side, "thread/start", { cwd: sides.serverCwd, ephemeral: true })).thread.id;
      const pr = (threadId: string | undefined, identityKey: string, payload?: unknown) => ({
        threadId,
        attachmentType: "pr",
        identityKey,
        ...(payload === undefined ? {} : { payload }),
      });
      const owners = { attachmentType: "pr", identityKey: "github.com/o/r#1" };
      // Step by step: a step may use what an earlier one answered (a cursor).
      const lines: string[] = [];
      const answers: any[] = [];
      const step = async (method: string, params: unknown) => {
        const reply = await side.request(method, params);
        answers.push(reply.result);
        lines.push(`${method} ${named(side, JSON.stringify(params) ?? "")} => ${shown(side, reply)}`);
        return reply.result;
      };
      await step("thread/attachment/add", pr(ids.a, "github.com/o/r#1", { title: "x", n: 1 }));
      await step("thread/attachment/add", pr(ids.a, "github.com/o/r#1", { title: "y" }));
      await step("thread/attachment/add", pr(ids.a, "github.com/o/r#2", null));
      await step("thread/attachment/add", { ...pr(ids.a, "github.com/o/r#1", [1, 2]), attachmentType: "issue" });
      await step("thread/attachment/add", { ...pr(ids.a, " spaced ", "kept as given"), attachmentType: " pr " });
      await step("thread/attachment/list", { threadId: ids.a });
      const first = await step("thread/attachment/list", { threadId: ids.a, limit: 1 });
      const second = await step("thread/attachment/list", { threadId: ids.a, limit: 2, cursor: first.nextCursor });
      await step("thread/attachment/list", { threadId: ids.a, limit: 2, cursor: second.nextCursor });
      await step("thread/attachment/list", { threadId: ids.a, limit: 0 });
      await step("thread/attachment/list", { threadId: ids.a, limit: 1000 });
      await step("thread/attachment/list", { threadId: ids.b, limit: 1, cursor: first.nextCursor });
      await step("thread/attachment/list", { threadId: ids.a, cursor: "garbage" });
      await step("thread/attachment/list", { threadId: ids.a, cursor: "x|1|y" });
      await step("thread/attachment/list", { threadId: UNKNOWN });
      await step("thread/attachment/list", { threadId: ids.empty });
      await step("thread/attachment/add", pr(ids.b, "github.com/o/r#1", {}));
      await step("thread/attachment/add", pr(ids.c, "github.com/o/r#1", "c"));
      await step("thread/attachmentOwner/list", owners);
      const page = await step("thread/attachmentOwner/list", { ...owners, limit: 1 });
      await step("thread/attachmentOwner/list", { ...owners, limit: 1, cursor: page.nextCursor });
      await step("thread/attachmentOwner/list", { ...owners, limit: 5, cursor: page.nextCursor });
      await step("thread/attachmentOwner/list", { ...owners, limit: 0 });
      await step("thread/attachmentOwner/list", { ...owners, archived: false, cursor: page.nextCursor });
      await step("thread/attachmentOwner/list", { ...owners, identityKey: "github.com/o/r#2", cursor: page.nextCursor });
      await step("thread/attachmentOwner/list", { ...owners, cursor: "garbage" });
      await step("thread/attachmentOwner/list", { ...owners, identityKey: "nobody" });
      await step("thread/archive", { threadId: ids.a });
      await step("thread/attachmentOwner/list", { ...owners, archived: false });
      await step("thread/attachmentOwner/list", { ...owners, archived: true });
      await step("thread/attachmentOwner/list", owners);
      await step("thread/attachment/add", pr(ids.a, "after archiving", 1));
      await step("thread/attachment/remove", pr(ids.b, "nothing here"));
      await step("thread/attachment/remove", pr(ids.b, "github.com/o/r#1"));
      await step("thread/attachment/remove", pr(ids.b, "github.com/o/r#1"));
      await step("thread/attachment/list", { threadId: ids.b });
      ids.fork = (await call(side, "thread/fork", { threadId: ids.c, excludeTurns: true })).thread.id;
      await step("thread/attachment/list", { threadId: ids.fork });
      await step("thread/delete", { threadId: ids.a });
      await step("thread/attachmentOwner/list", owners);
      // Refusals, in the binary's words.
      for (const [method, params] of [
        ["thread/attachment/add", pr(ids.empty, "k", 1)],
        ["thread/attachment/add", pr(ids.ephemeral, "k", 1)],
        ["thread/attachment/add", pr(UNKNOWN, "k", 1)],
        ["thread/attachment/add", pr("bad", "k", 1)],
        ["thread/attachment/add", { ...pr(ids.b, "k", 1), attachmentType: "" }],
        ["thread/attachment/add", pr(ids.b, " ", 1)],
        ["thread/attachment/add", pr(ids.b, "k")],
        ["thread/attachment/remove", pr(UNKNOWN, "k")],
        ["thread/attachment/remove", pr(ids.empty, "k")],
        ["thread/attachment/remove", { ...pr(ids.b, "k"), attachmentType: "  " }],
        ["thread/attachment/list", { threadId: "bad" }],
        ["thread/attachment/list", {}],
        ["thread/attachmentOwner/list", { ...owners, attachmentType: "" }],
        ["thread/attachmentOwner/list", { ...owners, identityKey: "" }],
        ["thread/attachmentOwner/list", { attachmentType: "pr" }],
      ] as [string, unknown][]) {
        await step(method, params);
      }
      return lines;
    };
    assert.deepEqual(await run(switchyard), await run(codex));
    assertConformant();
  });

  test("a change is announced to every connection after its answer, subscribed to the thread or not", async () => {
    for (const side of [codex, switchyard]) {
      const threadId = await threadWith(side, "announced");
      await call(side, "thread/unsubscribe", { threadId });
      const heard = side.heardFrom();
      await call(side, "thread/attachment/add", { threadId, attachmentType: "t", identityKey: "k", payload: 1 });
      await call(side, "thread/attachment/remove", { threadId, attachmentType: "t", identityKey: "k" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        heard()
          .map((frame) => frame.method)
          .filter((method) => method === "answer" || method.startsWith("thread/attachment/")),
        ["answer", "thread/attachment/updated", "answer", "thread/attachment/updated"],
        side.name,
      );
    }
  });
});
