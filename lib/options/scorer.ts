// Every Scorer option, declared once: `Scorer.load(dir, options)` checks
// against this table, and every command that loads a model (serve, score,
// bench, eval) offers each entry as a flag and a CAPPY_* variable. The types
// `ScorerOptions` and `ResolvedScorerOptions` are derived from it.
//
// The defaults of what the core loads (max length, threads, batch limits) are
// the core's own (native/core/include/cappy/load.h), read from the addon when
// first needed, so the C ABI and Scorer.load start from the same values. The
// help texts that name them are checked against the core by
// test/standalone/load-defaults.test.ts.
import { join } from 'node:path';
import { cacheRoot } from '../model/cache.js';
import { MODEL_DTYPES } from '../model/dtypes.js';
import { loadAddon, type NativeLoadDefaults } from '../native.js';
import { DEVICES } from '../runtime/execution-provider.js';
import { checkDevices, parseDevices, type DevicesValue } from './devices.js';
import { boolean, decimal, integer, keyValues, oneOf, text, type Defaulted, type OptionSpec } from './spec.js';
import { maxLengthSpec, TRUNCATION_STRATEGIES } from './tokenizer.js';

let defaults: NativeLoadDefaults | undefined;
/** The core's load defaults for this machine (threads follow the cores this process may use, capped by a CPU quota). */
export function coreDefaults(): NativeLoadDefaults {
  defaults ??= loadAddon().loadDefaults();
  return defaults;
}

export const SCORER_OPTIONS = {
  /**
   * Where the model runs. 'cuda': ONNX Runtime's CUDA plugin EP (npm
   * com.github.asus4.onnxruntime.linux-x64-gpu, or CAPPY_ORT_CUDA_EP).
   * 'tensorrt': TensorRT from a full ORT GPU build (CAPPY_ORT_LIB). 'auto':
   * TensorRT, then CUDA, then CPU, whichever loads first; `scorer.info.execution`
   * says which ran and why the others did not.
   */
  device: oneOf(DEVICES, {
    default: 'cpu',
    help: 'where the model runs: cpu, cuda, tensorrt, or auto (the fastest that loads)',
  }),
  /**
   * Several sessions behind one queue (lib/scorer/devices.ts): a count (2:
   * two sessions on `device`), 'all' (every visible GPU; on the CPU one
   * session per NUMA node), or a list, ['cuda:0', 'cuda:1'] or ['cpu', 'cpu'].
   * The thread options are totals, divided among the sessions. Unset: one session.
   */
  devices: {
    type: 'devices',
    help: 'sessions behind one queue: a count, all, or a list such as cuda:0,cuda:1 or cpu,cpu (threads are divided among them)',
    defaultText: 'one session on --device',
    check: checkDevices,
    parse: parseDevices,
  } satisfies OptionSpec<DevicesValue>,
  /** CUDA device ordinal. */
  deviceId: integer({ min: 0, max: 255, default: 0, help: 'GPU ordinal for cuda/tensorrt' }),
  /**
   * Bind inputs and outputs with ORT's IoBinding, inputs staged in reusable
   * (on a GPU: pinned) buffers. Default: on for GPU providers, off on CPU.
   */
  ioBinding: boolean({ help: 'ORT IoBinding with reusable input buffers', defaultText: 'on for GPU providers, off on CPU' }),
  /** Stage inputs in the GPU provider's pinned host memory; false keeps plain host memory. */
  pinnedBuffers: boolean({
    default: () => coreDefaults().pinnedBuffers,
    defaultText: 'true',
    help: "stage inputs in the GPU provider's pinned host memory",
  }),
  /** Batches one call runs at once. Default 2 on a GPU (copies overlap compute), 1 on CPU. */
  batchesInFlight: integer({ min: 1, max: 8, help: 'batches one native call runs at once', defaultText: '2 on a GPU, 1 on CPU' }),
  /**
   * Extra options for the GPU provider, passed as given: CUDA EP keys such as
   * { use_tf32: '0' } (exact fp32) or TensorRT keys (trt_*).
   */
  providerOptions: keyValues({ default: () => ({}), defaultText: 'none', help: 'options for the GPU provider, e.g. use_tf32=0' }),
  /** TensorRT engine and timing cache folder. */
  tensorrtCacheDir: text({
    default: () => join(cacheRoot(), 'tensorrt'),
    defaultText: '<CAPPY_HOME>/tensorrt',
    placeholder: 'dir',
    help: 'TensorRT engine and timing cache folder',
  }),
  /** Let TensorRT use fp16 kernels for an fp32 model. */
  tensorrtFp16: boolean({ default: false, help: 'let TensorRT use fp16 kernels for an fp32 model' }),
  /** ONNX file inside the model folder; default onnx/model.onnx, then model.onnx. Not with `dtype`. */
  onnxFile: text({ placeholder: 'path', help: 'ONNX file inside the model folder (not with --dtype)', defaultText: 'onnx/model.onnx' }),
  /**
   * Which graph of the folder to run: 'fp32' (onnx/model.onnx, the default),
   * 'int8' (onnx/model_int8.onnx), 'fp16' (onnx/model_fp16.onnx), or 'auto':
   * the best the folder has for the device (on the CPU int8, then fp32, then
   * fp16). `info.model.dtype` says which was chosen. Not with `onnxFile`.
   */
  dtype: oneOf(['auto', ...MODEL_DTYPES], {
    help: 'graph to run: fp32, int8, fp16, or auto (the best the folder has for the device)',
    defaultText: 'fp32',
  }),
  /**
   * Max tokens per pair including special tokens. Cappy: 512; a smaller
   * position table lowers the default (the core's rule); a larger explicit
   * value than the table takes is refused.
   */
  maxLength: {
    ...maxLengthSpec({
      min: 5,
      help: 'max tokens per pair, special tokens included',
      defaultText: "512, or the model's position table when smaller",
    }),
    default: () => coreDefaults().maxLength,
  } satisfies Defaulted<number>,
  /** How a pair over maxLength is cut. Cappy: 'longest_first'. */
  truncation: oneOf(TRUNCATION_STRATEGIES, {
    default: () => coreDefaults().truncation,
    defaultText: 'longest_first',
    help: 'how a pair over --max-length is cut',
  }),
  /**
   * A pair longer than maxLength: 'truncate' (default; what Cappy was trained
   * and evaluated with), or 'chunk': score the response in overlapping
   * windows and aggregate (docs/server.md, "Long inputs").
   */
  longInputs: oneOf(['truncate', 'chunk'], {
    default: 'truncate',
    help: 'a pair over --max-length: truncate, or chunk the response into windows',
  }),
  /** With chunking: tokens (of whole words) consecutive windows share at most. */
  chunkOverlap: integer({
    min: 0,
    max: 65536,
    default: 64,
    help: 'with chunking: tokens consecutive windows share (whole words, at most this many)',
  }),
  /** With chunking: windows per pair at most; the response past them is not scored. 1 is truncation. */
  maxChunks: integer({ max: 1024, default: 10, help: 'with chunking: windows per pair at most (1 is truncation)' }),
  /** With chunking: how the windows' scores make the pair's. */
  chunkAggregation: oneOf(['max', 'mean'], { default: 'max', help: "with chunking: the pair's score from its windows' scores" }),
  /** ORT intra-op threads. Default: the core count (a container's CPU quota caps it). */
  intraOpThreads: integer({
    max: 1024,
    default: () => coreDefaults().intraOpThreads,
    defaultText: "the core count (capped by a container's CPU quota)",
    help: 'ONNX Runtime intra-op threads',
  }),
  /**
   * Tokenizer threads. Default: half the cores (at least 1). Tokenizing the
   * next window overlaps running the current one, so the two pools share the
   * machine; ORT's pool is the one that matters for throughput.
   */
  tokenizerThreads: integer({
    max: 1024,
    default: () => coreDefaults().tokenizerThreads,
    defaultText: 'half of that',
    help: 'tokenizer threads',
  }),
  /** Budget per batch, in padded tokens (rows x padded length). */
  maxBatchTokens: integer({
    default: () => coreDefaults().maxBatchTokens,
    defaultText: '16384',
    help: 'padded tokens per native batch (rows x padded length)',
  }),
  /** Rows per batch. */
  maxBatchSize: integer({ max: 65536, default: () => coreDefaults().maxBatchSize, defaultText: '64', help: 'rows per native batch' }),
  /** Padded lengths round up to this multiple. */
  padMultiple: integer({
    max: 512,
    default: () => coreDefaults().padMultiple,
    defaultText: '8',
    help: 'padded lengths round up to this multiple',
  }),
  /** How long an idle scorer waits to merge concurrent calls, in ms. 0: dispatch at once. */
  maxWaitMs: decimal({ min: 0, max: 60_000, unit: 'ms', default: 2, help: 'how long an idle scorer waits to merge concurrent calls' }),
  /** Pairs per merged native call. */
  maxPairsPerCall: integer({ default: 1024, help: 'pairs per merged native call' }),
  /** Pairs allowed to wait; beyond this calls reject with QueueFullError. */
  maxQueuedPairs: integer({ default: 65536, help: 'pairs allowed to wait; beyond this calls are refused (HTTP 429)' }),
  /** Native calls at once. A second runs beside the first (tokenizing while it runs) only when a full call is waiting. */
  maxConcurrentCalls: integer({
    max: 64,
    default: 2,
    help: 'native scoring calls at once (a second starts only when a full call is waiting)',
  }),
  /**
   * How a native call groups its pairs into batches.
   * - 'padding-aware' (default): sort each window of 2048 pairs by length, then
   *   cut batches under `maxBatchTokens` and `maxBatchSize`; little padding.
   * - 'fifo': keep input order and cut batches under the same limits; each batch
   *   pads to its longest pair. The planner switched off, for comparison.
   */
  planner: oneOf(['padding-aware', 'fifo'], { default: 'padding-aware', help: 'batch planning: padding-aware, or fifo (planner off)' }),
} as const;

export type ScorerOptionKey = keyof typeof SCORER_OPTIONS;
