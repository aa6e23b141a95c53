// The flags of the commands that make, fetch and check models (forge, convert,
// pull, bench, demo, doctor), declared once like every other table: each
// entry is a flag and a CAPPY_* variable, checked by its spec, so a bad value
// fails with the same message from the command line or the environment.
// Commands that load a model also take every Scorer option (./scorer.ts).
import type { CheckpointFormat } from '../convert/source.js';
import { PRESETS, type Preset } from '../forge/presets.js';
import { MODEL_DTYPES, type ModelDType } from '../model/dtypes.js';
import { InvalidInputError } from '../errors/index.js';
import { SERVE_OPTIONS } from './serve.js';
import { boolean, integer, list, oneOf, text } from './spec.js';

const dtypes = (help: string) => list(oneOf(MODEL_DTYPES, { help: '' }), { default: ['fp32'] as ModelDType[], help });

/** `cappy forge`: Cappy's graph (or a BERT cross-encoder's) with seeded random weights. */
export const FORGE_OPTIONS = {
  out: text({ placeholder: 'dir', help: 'output folder' }),
  preset: oneOf(Object.keys(PRESETS) as Preset[], {
    default: 'tiny',
    help: "size (large is Cappy's shape; bert-* are BERT cross-encoders)",
  }),
  seed: integer({ min: 0, max: 0xffffffff, default: 0, help: 'random seed' }),
  externalData: boolean({ default: false, help: 'keep weights in onnx/model.onnx_data (automatic past 1 GiB)' }),
  dtype: dtypes(`graphs to write from the same weights, comma-separated: ${MODEL_DTYPES.join(', ')}`),
} as const;

const CHECKPOINT_FORMATS = ['safetensors', 'pytorch', 'flax'] as const satisfies readonly CheckpointFormat[];

/** `cappy convert DIR`: an HF checkpoint folder into an engine model folder. */
export const CONVERT_OPTIONS = {
  out: text({ placeholder: 'dir', help: 'output model folder' }),
  dtype: dtypes('graphs to write, comma-separated: fp32 (onnx/model.onnx), int8 (model_int8.onnx), fp16 (model_fp16.onnx)'),
  optimize: boolean({ default: false, help: 'emit ONNX Runtime fused ops where they pay' }),
  from: oneOf(CHECKPOINT_FORMATS, {
    help: 'read this weights format even if another is present',
    defaultText: 'safetensors, then pytorch, then flax',
  }),
} as const;

/** `cappy pull OWNER/NAME`. */
export const PULL_OPTIONS = {
  revision: text({ placeholder: 'rev', default: 'main', help: 'branch, tag or commit' }),
  cache: text({ placeholder: 'dir', help: 'cache root', defaultText: 'CAPPY_HOME, else ~/.cache/cappy' }),
} as const;

/** `cappy bench`: the workload (the model and its settings come from the Scorer options). */
export const BENCH_OPTIONS = {
  lengths: text({
    placeholder: 'mix',
    default: 'lognormal',
    help: "token lengths per pair: 'lognormal' (8..512, median 96) or 'fixed:N'",
    // The spelling; N's range depends on the model's max length (lib/bench/workload.ts).
    validate: (v, name) => {
      if (v !== 'lognormal' && !/^fixed:\d+$/.test(v)) throw new InvalidInputError(`${name} must be 'lognormal' or 'fixed:N', got '${v}'`);
    },
  }),
  pairs: integer({ default: 2000, help: 'pairs to score (after warm-up)' }),
  concurrency: integer({ max: 65536, default: 64, help: 'clients calling at once' }),
  batch: integer({ max: 65536, default: 1, help: 'pairs per call (1: score(), more: scoreBatch())' }),
  warmup: integer({ min: 0, default: 64, help: 'pairs scored first and not counted' }),
  seed: integer({ min: 0, max: 0xffffffff, default: 1, help: 'workload seed' }),
  json: boolean({ default: false, help: 'print one JSON object instead of a table' }),
} as const;

/** --model as score and serve read it (one DIR or name=DIR; CAPPY_MODEL is the same variable), for one model. */
const oneModel = (help: string) => ({ ...SERVE_OPTIONS.model, help, defaultText: 'a pulled Cappy, else a forged tiny model' });

/** `cappy demo`. */
export const DEMO_OPTIONS = {
  model: oneModel('model folder or pulled hub id to use instead of the default'),
} as const;

/** `cappy doctor`. */
export const DOCTOR_OPTIONS = {
  model: oneModel('model folder or pulled hub id to score with instead of the default'),
  json: boolean({ default: false, help: 'print the diagnosis as JSON' }),
} as const;
