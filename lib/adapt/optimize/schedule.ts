// transformers.get_linear_schedule_with_warmup(optimizer, warmup, total): a
// LambdaLR whose factor rises linearly from 0 over `warmup` steps, then falls
// linearly to 0 at `total`:
//
//   factor(s) = s / max(1, warmup)                             s < warmup
//             = max(0, (total - s) / max(1, total - warmup))   otherwise
//
// LambdaLR sets factor(0) at construction and the scheduler is stepped after
// each optimizer step, so update k (0-based) runs at lr · factor(k): the first
// update of a run with warmup uses factor 0.

/** Python's round(): to the nearest integer, ties to even (round(2.5) == 2). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** round(warmupRatio × totalSteps), the warmup the recipe asks for. */
export function warmupStepsFor(warmupRatio: number, totalSteps: number): number {
  return roundHalfEven(warmupRatio * totalSteps);
}

/** The factor update `step` (0-based) runs at. */
export function linearWarmupFactor(step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

export interface LinearSchedule {
  readonly warmupSteps: number;
  readonly totalSteps: number;
  /** The learning rate of update `step` (0-based). */
  lr(step: number): number;
}

export function linearSchedule(peakLr: number, warmupRatio: number, totalSteps: number): LinearSchedule {
  const warmupSteps = warmupStepsFor(warmupRatio, totalSteps);
  return { warmupSteps, totalSteps, lr: (step) => peakLr * linearWarmupFactor(step, warmupSteps, totalSteps) };
}
