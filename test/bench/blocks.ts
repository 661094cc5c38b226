// How `pnpm bench` spreads a run's rounds of each request scenario over the run (`--blocks`): the
// rounds are cut into blocks of consecutive rounds, and the scenarios' blocks take turns (block 1 of
// every scenario, then block 2 of every scenario, …). On these shared machines a slow stretch can last
// a scenario's whole half-minute of rounds and move that run's ratio by 10–20%; in blocks, each
// scenario's rounds sample the whole run instead of one stretch of it.

/**
 * Loaded warm-up per target before a scenario's later blocks in a run: its processes are warm from its
 * first block; this only refills the closed loop after the other scenarios' passes.
 */
export const LATER_BLOCK_WARMUP_MS = 300;

/** Which of a run's rounds one block measures, and the warm-up before them. */
export interface Block {
  /** Index of its first round in the run. */
  firstRound: number;
  rounds: number;
  warmupMs: number;
}

/**
 * `rounds` cut into `blocks` blocks of consecutive rounds, as even as they divide (never an empty
 * block: at most `rounds` of them). The first gets the full warm-up, the others LATER_BLOCK_WARMUP_MS.
 */
export function splitIntoBlocks(rounds: number, blocks: number, warmupMs: number): Block[] {
  const count = Math.max(1, Math.min(blocks, rounds));
  const split: Block[] = [];
  for (let index = 0; index < count; index++) {
    const firstRound = Math.round((index * rounds) / count);
    const next = Math.round(((index + 1) * rounds) / count);
    split.push({ firstRound, rounds: next - firstRound, warmupMs: index === 0 ? warmupMs : LATER_BLOCK_WARMUP_MS });
  }
  return split;
}
