import assert from "node:assert/strict";
import { test } from "node:test";
import { LATER_BLOCK_WARMUP_MS, splitIntoBlocks } from "./blocks.js";

test("a run's rounds are cut into consecutive blocks covering each round once", () => {
  for (const [rounds, blocks] of [
    [8, 4],
    [8, 3],
    [7, 2],
    [1, 1],
    [5, 5],
    [24, 4],
  ] as const) {
    const split = splitIntoBlocks(rounds, blocks, 1000);
    assert.equal(split.length, blocks);
    const covered = split.flatMap((block) => Array.from({ length: block.rounds }, (_, index) => block.firstRound + index));
    assert.deepEqual(
      covered,
      Array.from({ length: rounds }, (_, index) => index),
      `${rounds} rounds in ${blocks}`,
    );
    assert.ok(split.every((block) => block.rounds >= Math.floor(rounds / blocks) && block.rounds <= Math.ceil(rounds / blocks)));
  }
  assert.deepEqual(
    splitIntoBlocks(8, 4, 1000).map((block) => [block.firstRound, block.rounds]),
    [
      [0, 2],
      [2, 2],
      [4, 2],
      [6, 2],
    ],
  );
});

test("never more blocks than rounds, and only the first block gets the full warm-up", () => {
  const split = splitIntoBlocks(2, 4, 1000);
  assert.deepEqual(
    split.map((block) => [block.firstRound, block.rounds]),
    [
      [0, 1],
      [1, 1],
    ],
  );
  assert.deepEqual(
    split.map((block) => block.warmupMs),
    [1000, LATER_BLOCK_WARMUP_MS],
  );
  assert.deepEqual(splitIntoBlocks(3, 1, 500), [{ firstRound: 0, rounds: 3, warmupMs: 500 }]);
});
