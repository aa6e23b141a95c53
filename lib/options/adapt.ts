// `cappy adapt` and the library's adapt(), declared once: each entry is a
// flag and a CAPPY_* variable (--grad-accum is CAPPY_GRAD_ACCUM). The
// recipe's defaults are the official Cappy repo's (cappy_bigbench.py): lr
// 2e-5, batch 8 with 16 accumulation steps, warmup 10%, no weight decay,
// max length 512; dropout is the model config's. See docs/adapt.md.
// With --tasks the data step (`cappy adapt data`, the paper's recipe) runs
// first: its flags are ADAPT_DATA_OPTIONS' own entries, so both commands
// take the same values with the same checks.
import { InvalidInputError } from '../errors/index.js';
import { MODEL_DTYPES, type ModelDType } from '../model/dtypes.js';
import { usableCores } from '../runtime/cpu-quota.js';
import { ADAPT_DATA_OPTIONS } from './adapt-data.js';
import { boolean, integer, list, oneOf, show, text, type Defaulted, type OptionSpec } from './spec.js';

interface RealRange {
  min: number;
  max: number;
  /** The minimum itself is refused (a learning rate of 0 trains nothing). */
  minExclusive?: boolean;
  help: string;
  default?: number;
  defaultText?: string;
}

// Decimal or scientific notation (2e-5, 0.00002, .5); not hex, not Infinity, not ''.
const REAL = /^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A finite number in a range, written in decimal or scientific notation. */
function real(o: RealRange & { default: number }): Defaulted<number>;
function real(o: RealRange): OptionSpec<number>;
function real(o: RealRange): OptionSpec<number> {
  const range = `${o.minExclusive ? 'above' : 'from'} ${o.min}${o.max === Infinity ? '' : ` to ${o.max}`}`;
  const check = (v: unknown, name: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < o.min || (o.minExclusive && v === o.min) || v > o.max) {
      throw new InvalidInputError(`${name} must be a number ${range}, got ${show(v)}`);
    }
    return v;
  };
  return {
    type: 'number',
    help: o.help,
    default: o.default,
    defaultText: o.defaultText,
    check,
    parse: (t, name) => {
      if (!REAL.test(t)) throw new InvalidInputError(`${name} must be a number ${range} (e.g. 2e-5), got '${t}'`);
      return check(Number(t), name);
    },
  };
}

/**
 * The data step's flags that `cappy adapt --tasks` takes as `cappy adapt
 * data` does. Its --out is --pairs here, and --seed and --train-size are the
 * training's: the data step writes the set once, seeded by --seed, and
 * training repeats or cuts it to --train-size (see docs/adapt.md).
 */
export const DATA_STEP_KEYS = [
  'candidatesFromFile',
  'llm',
  'llmModel',
  'samples',
  'greedy',
  'llmApi',
  'llmExtras',
  'llmMaxTokens',
  'llmMode',
  'llmConcurrency',
  'llmTimeout',
  'llmMaxAttempts',
  'llmApiKey',
  'cache',
] as const satisfies readonly (keyof typeof ADAPT_DATA_OPTIONS)[];

const D = ADAPT_DATA_OPTIONS;

export const ADAPT_OPTIONS = {
  model: text({ placeholder: 'dir|id', help: 'the model to adapt: a folder (config.json, tokenizer.json, weights) or a pulled hub id' }),
  data: text({ placeholder: 'file', help: 'training pairs, JSONL: {"instruction", "response", "label"} per line (not with --tasks)' }),
  tasks: text({
    placeholder: 'file',
    help: "task rows {task?, instruction, references[], candidates[]?}: make the pairs first, the paper's way (as `cappy adapt data`), then train on them (not with --data)",
  }),
  pairs: text({
    placeholder: 'file',
    defaultText: '<out>.pairs.jsonl',
    help: 'with --tasks: where the labelled pairs are written and kept (training reads them; --resume reuses them)',
  }),
  out: text({ placeholder: 'dir', help: 'the adapted model folder to write (written whole or not at all)' }),
  eval: text({
    placeholder: 'file',
    help: 'dev pairs (same JSONL): MSE and Spearman against the labels, before and after; or dev task rows with candidates: also best-of-N Rouge-L of the base and adapted model, the first candidate and the oracle',
  }),
  evalRows: text({
    placeholder: 'file',
    defaultText: '<out>.dev-tasks.jsonl',
    help: "with --tasks --llm and dev task rows without candidates: where the dev rows are written with the LLM's candidates (evaluated on, and for `cappy eval best-of-n --data`)",
  }),
  candidatesFromFile: D.candidatesFromFile,
  llm: D.llm,
  llmModel: D.llmModel,
  samples: D.samples,
  greedy: D.greedy,
  llmApi: D.llmApi,
  llmExtras: D.llmExtras,
  llmMaxTokens: D.llmMaxTokens,
  llmMode: D.llmMode,
  llmConcurrency: D.llmConcurrency,
  llmTimeout: D.llmTimeout,
  llmMaxAttempts: D.llmMaxAttempts,
  llmApiKey: D.llmApiKey,
  cache: D.cache,
  stem: boolean({
    default: true,
    help: "Porter-stem Rouge-L's tokens (rouge_score's use_stemmer, as the paper): the --tasks labels and the --eval task rows' best-of-N",
  }),
  lr: real({ min: 0, minExclusive: true, max: 1, default: 2e-5, help: 'peak learning rate (AdamW)' }),
  batchSize: integer({ max: 65536, default: 8, help: 'rows per micro-batch (one forward and backward pass)' }),
  gradAccum: integer({ max: 65536, default: 16, help: 'micro-batches per optimizer step (batch-size x grad-accum rows per step)' }),
  epochs: integer({ max: 100_000, defaultText: '1', help: 'passes over --data, each in its own shuffle (not with --train-size)' }),
  trainSize: integer({
    max: 2 ** 31 - 1,
    help: "rows to train on in all: --data shuffled, repeated or cut to this many (the paper's recipe; not with --epochs)",
  }),
  /** Above 1 the run ends inside the warmup: 1.6 gives the official script's own learning-rate curve (docs/adapt.md). */
  warmupRatio: real({
    min: 0,
    max: 100,
    default: 0.1,
    help: 'warmup steps as a share of the steps (round(ratio x steps)), then a linear decay to 0; above 1 the run ends still warming up',
  }),
  weightDecay: real({ min: 0, max: 1, default: 0, help: 'AdamW decoupled weight decay, on every parameter' }),
  dropout: real({
    min: 0,
    max: 0.99,
    defaultText: "the model config's hidden_dropout_prob",
    help: 'dropout at every site (embeddings, attention, hidden, head); 0 turns it off',
  }),
  maxGradNorm: real({
    min: 0,
    minExclusive: true,
    max: Infinity,
    defaultText: 'off',
    help: 'clip the global gradient L2 norm to this (torch clip_grad_norm_)',
  }),
  maxLength: integer({
    min: 4,
    max: 65536,
    default: 512,
    help: 'longest pair in tokens, special tokens included (longest_first truncation)',
  }),
  seed: integer({ min: 0, max: 0xffffffff, default: 0, help: 'seed for the shuffles and dropout masks' }),
  shuffle: boolean({
    default: true,
    help: 'shuffle rows and sort each step by length; --no-shuffle keeps file order in fixed micro-batches of --batch-size',
  }),
  saveEvery: integer({ max: 2 ** 31 - 1, defaultText: 'off', help: 'write a resumable checkpoint every N optimizer steps' }),
  checkpointDir: text({
    placeholder: 'dir',
    defaultText: '<out>.checkpoint',
    help: 'where checkpoints go (every --save-every steps, and on Ctrl-C or SIGTERM)',
  }),
  resume: text({
    placeholder: 'dir',
    help: 'continue from a checkpoint folder; settings not given are taken from it, settings given must match it',
  }),
  threads: integer({
    max: 1024,
    default: () => usableCores(),
    defaultText: 'the core count',
    help: 'ONNX Runtime intra-op threads (the same count reproduces a run bit for bit)',
  }),
  device: oneOf(['cpu', 'cuda'], { default: 'cpu', help: 'where the training graph runs' }),
  deviceId: integer({ min: 0, max: 255, default: 0, help: 'GPU ordinal for cuda' }),
  dtype: list(oneOf(MODEL_DTYPES, { help: '' }), {
    default: ['fp32'] as ModelDType[],
    help: `output graphs from the trained weights, comma-separated: ${MODEL_DTYPES.join(', ')}`,
  }),
  overwrite: boolean({ default: false, help: 'replace an --out folder that already holds something' }),
} as const;

export type AdaptOptionKey = keyof typeof ADAPT_OPTIONS;

/**
 * The settings that decide a run's result: a resumed run must have the same
 * values (threads, device and the output's dtypes may differ; the data is
 * checked by its SHA-256, the model by its config and tokenizer).
 */
export const TRAINING_SETTINGS = [
  'lr',
  'batchSize',
  'gradAccum',
  'epochs',
  'trainSize',
  'warmupRatio',
  'weightDecay',
  'dropout',
  'maxGradNorm',
  'maxLength',
  'seed',
  'shuffle',
] as const satisfies readonly AdaptOptionKey[];
