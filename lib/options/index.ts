// The option tables (declared once: type, default, check, help, CLI flag,
// CAPPY_* environment variable) and the pieces that read them.
export { SCORER_OPTIONS, type ScorerOptionKey } from './scorer.js';
export { SERVER_OPTIONS, SERVE_OPTIONS, parseModelRef, checkModelName, type ModelRef } from './serve.js';
export {
  checkInteger,
  checkKnownKeys,
  closestKey,
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
export { TOKENIZER_OPTIONS, TRUNCATION_STRATEGIES, type TruncationStrategy } from './tokenizer.js';
export { BENCH_OPTIONS, CONVERT_OPTIONS, DEMO_OPTIONS, DOCTOR_OPTIONS, FORGE_OPTIONS, PULL_OPTIONS } from './commands.js';
export { ENVIRONMENT, type EnvironmentName, type EnvironmentVariable } from './environment.js';
