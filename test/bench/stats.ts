// Pure statistics for the request scenarios' rows: medians, quartiles, the interquartile mean of
// per-round ratios and how far they spread. No I/O, so the report and main share one definition of
// each figure.

/** The middle value (mean of the two middle values for an even count); NaN for none. */
export function median(values: number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Quantile by linear interpolation between closest ranks (type 7, as numpy and R default to). */
export function quantile(values: number[], fraction: number): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * fraction;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return (sorted[below] as number) + ((sorted[above] as number) - (sorted[below] as number)) * (position - below);
}

/**
 * The mean of the middle half: the values left once the lowest and the highest quarter (⌊n/4⌋ each)
 * are dropped. What a run's per-round ratios are summed up by: as robust as the median to a round or
 * two disturbed by the machine (a pause, a burst of other work), and steadier from run to run because
 * it averages the middle rounds instead of picking one (measured on the 2-core machine: 16 rounds'
 * runs spread ±5–10% where their medians spread ±6–11%, README "Benchmark"). NaN for none.
 */
export function interquartileMean(values: number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const dropped = Math.floor(sorted.length / 4);
  const middle = sorted.slice(dropped, sorted.length - dropped);
  return middle.reduce((sum, value) => sum + value, 0) / middle.length;
}

/** numerator[k] / denominator[k] for each round both have (rounds are paired by index). */
export function perRoundRatios(numerators: number[], denominators: number[]): number[] {
  const count = Math.min(numerators.length, denominators.length);
  return Array.from({ length: count }, (_, index) => (numerators[index] as number) / (denominators[index] as number));
}

/**
 * How far per-round values spread within one run: half the interquartile range relative to the
 * median, in percent (so "±4%" reads like the cross-run spread). 0 for fewer than two values.
 */
export function halfIqrPercent(values: number[]): number {
  if (values.length < 2) return 0;
  const middle = median(values);
  return ((quantile(values, 0.75) - quantile(values, 0.25)) / 2 / middle) * 100;
}

/** Cross-run spread: the largest |value − median| relative to the median, in percent. */
export function maxDeviationPercent(values: number[]): number {
  if (values.length < 2) return 0;
  const middle = median(values);
  return Math.max(...values.map((value) => Math.abs(value - middle) / middle)) * 100;
}

/** Runs whose ratios all lie within this of their median count as stable (the requirement: ±10%). */
export const STABLE_SPREAD_PERCENT = 10;
