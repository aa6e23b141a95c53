// Optimizing: AdamW, the linear warmup/decay schedule, gradient-norm clipping.
export { AdamW, ADAMW_DEFAULTS, type AdamWSettings, type AdamWState } from './adamw.js';
export { linearSchedule, linearWarmupFactor, roundHalfEven, warmupStepsFor, type LinearSchedule } from './schedule.js';
export { clipGradNorm, globalGradNorm } from './clip.js';
