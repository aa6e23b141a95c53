// The option tables (declared once: type, default, check, help, CLI flag,
// CAPPY_* environment variable) and the pieces that read them.
export { SCORER_OPTIONS, type ScorerOptionKey } from './scorer.js';
export { SERVER_OPTIONS, SERVE_OPTIONS, parseModelRef, checkModelName, type ModelRef } from './serve.js';
export {
  checkInteger,
  parseInteger,
  envOf,
  flagOf,
  helpOf,
  resolveOptions,
  type GivenOptions,
  type OptionSpec,
  type OptionTable,
  type ResolvedOptions,
} from './spec.js';
export { SCORE_OPTIONS, MERGE_OPTIONS } from './score.js';
export { REMOTE_OPTIONS, type RemoteOptionKey } from './remote.js';
