// `cappy eval mc` and `cappy eval best-of-n`: their own options, declared once
// (flag and CAPPY_* variable). --model (repeatable for best-of-n: each model
// picks from the same candidates) and the Scorer options come from
// SERVE_OPTIONS and SCORER_OPTIONS. `--data` is CAPPY_DATA as in `cappy
// adapt`: in every command it names the rows file the command reads, as
// CAPPY_JSON and CAPPY_SEED mean the same thing wherever they appear.
import { boolean, text } from './spec.js';

const json = (help: string) => boolean({ default: false, help });

export const EVAL_MC_OPTIONS = {
  data: text({ placeholder: 'file', help: 'JSONL rows: {group, instruction, response, label, dataset?} per line' }),
  json: json('print the result as JSON'),
} as const;

export const EVAL_BEST_OF_N_OPTIONS = {
  data: text({ placeholder: 'file', help: 'JSONL rows: {instruction, candidates[], references[]} per line' }),
  json: json('print the result as JSON (with the index picked per row)'),
  /** rouge_score's use_stemmer: on, as the Cappy paper evaluates; the same option as the recipe's labels. */
  stem: boolean({
    default: true,
    help: "Porter-stem Rouge-L's tokens (rouge_score's use_stemmer=True, as the paper); --no-stem or --stem false for plain tokens",
  }),
} as const;
