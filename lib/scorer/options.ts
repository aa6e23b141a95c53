// Scorer options: each is declared once in lib/options/scorer.ts (type,
// default, check, help, flag, env var); this file resolves them and adds the
// checks that involve two options, so the native side receives complete,
// valid values.
import { InvalidInputError } from '../errors/index.js';
import { SCORER_OPTIONS } from '../options/scorer.js';
import { resolveOptions, type GivenOptions, type ResolvedOptions } from '../options/spec.js';

export type ScorerOptions = GivenOptions<typeof SCORER_OPTIONS>;
export type ResolvedScorerOptions = ResolvedOptions<typeof SCORER_OPTIONS>;

/** Where the model runs; see `ScorerOptions.device`. */
export type Device = ResolvedScorerOptions['device'];
/** How a native call groups its pairs into batches; see `ScorerOptions.planner`. */
export type Planner = ResolvedScorerOptions['planner'];

export function resolveScorerOptions(options: ScorerOptions = {}): ResolvedScorerOptions {
  const resolved = resolveOptions(SCORER_OPTIONS, options, 'Scorer options', { strict: true });
  if (resolved.dtype !== undefined && resolved.onnxFile !== undefined) {
    throw new InvalidInputError('give onnxFile or dtype, not both: onnxFile names one file, dtype picks one of the folder');
  }
  return resolved;
}
