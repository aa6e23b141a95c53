// `cappy eval best-of-n`'s own options, declared once (flag and CAPPY_*
// variable). --model (repeatable: each model picks from the same candidates)
// and the Scorer options come from SERVE_OPTIONS and SCORER_OPTIONS.
import { boolean } from './spec.js';

export const EVAL_BEST_OF_N_OPTIONS = {
  /** rouge_score's use_stemmer: on, as the Cappy paper evaluates; the same option as the recipe's labels. */
  stem: boolean({
    default: true,
    help: "Porter-stem Rouge-L's tokens (rouge_score's use_stemmer=True, as the paper); --no-stem or --stem false for plain tokens",
  }),
} as const;
