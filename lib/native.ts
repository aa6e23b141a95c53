// The typed shape of the native addon (build/Release/cappy.node), declared once.
// Every other TypeScript file reaches native code through this module. Option
// validation and defaults live in TypeScript, so the native side receives only
// complete, already-checked values; the model folder's files (tokenizer.json,
// config.json) are read by the core itself.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type NativeTruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/**
 * Where tokenizer.json comes from. The core reads and checks the file itself
 * (native/core/tokenizer/loader); TypeScript never parses it.
 */
export type NativeTokenizerSource = { path: string } | { json: string | Uint8Array };

/** The caller's truncation, applied by the core over the file's own `truncation`. */
export interface NativeTokenizerOptions {
  /** Longest encoding, special tokens included; 0: the file's max_length, else no truncation. */
  maxLength: number;
  /** '': the file's strategy, else longest_first. A strategy with no length anywhere is INVALID_INPUT. */
  truncation: NativeTruncationStrategy | '';
}

/** What the core made of tokenizer.json. */
export interface NativeTokenizerInfo {
  model: 'bpe' | 'wordpiece' | 'unigram';
  normalizer: 'none' | 'bert' | 'sequence';
  preTokenizer: 'byte_level' | 'bert' | 'metaspace' | 'none';
  postProcessor: 'none' | 'roberta' | 'bert' | 'template';
  /** Type id of a pair's second segment (BERT: 1; fed as token_type_ids). */
  pairTypeId: number;
  padId: number;
  /** Max id + 1 over the vocab, added tokens and template ids. */
  vocabSize: number;
  /** Truncation in force, or null. */
  truncation: { maxLength: number; strategy: NativeTruncationStrategy } | null;
}

/** Many encodings packed into one array: item i is ids[offsets[i] .. offsets[i+1]). */
export interface NativePackedIds {
  ids: Int32Array;
  offsets: Uint32Array;
}

export interface NativeTokenizer {
  /** Synchronous: for single short inputs. Throws a NativeError. */
  encode(first: string, second?: string): Int32Array;
  /** The normalizer alone on the whole text (added tokens not split out). */
  normalize(text: string): string;
  /**
   * firsts[i] is paired with seconds[i] unless seconds (or seconds[i]) is
   * undefined. Runs on `threads` native threads (0 = all cores).
   */
  encodeBatch(firsts: string[], seconds: (string | undefined)[] | undefined, threads: number): Promise<NativePackedIds>;
  readonly info: NativeTokenizerInfo;
}

export type NativeModelDType = 'fp32' | 'fp16' | 'int8';

/** Which graph to load from a model folder. */
export interface NativeModelSelection {
  /** A file by name, relative to the folder; '' for none. Wins over dtype. */
  onnxFile: string;
  /** '': fp32; 'auto': the best graph present for the device. */
  dtype: NativeModelDType | 'auto' | '';
  /** Rank dtypes for a GPU (cuda, tensorrt) under 'auto'. */
  gpu: boolean;
}

/** What the core reads from config.json. */
export interface NativeModelConfig {
  modelType: string;
  architectures: string[];
  /** 0 when the file has none. */
  maxPositionEmbeddings: number;
  padTokenId?: number;
  /** Longest encoding the position table takes, special tokens included; 0 when unknown. */
  positionLimit: number;
  /** Present when config.json carries `cappy_forged`: random weights. */
  forged?: { preset: string; seed: number; note: string };
}

export interface NativeModelFolder {
  dir: string;
  onnxPath: string;
  tokenizerPath: string;
  /** Unset for an onnxFile whose name does not say. */
  dtype?: NativeModelDType;
  /** Why this file, e.g. "auto on cpu: int8 (also here: fp32)". */
  dtypeChoice: string;
  dtypesPresent: NativeModelDType[];
  /** Unset when the folder has no config.json. */
  config?: NativeModelConfig;
}

export interface NativeTensorInfo {
  name: string;
  elementType: string;
  shape: number[];
}

export interface NativeSessionInfo {
  ortVersion: string;
  ortLibraryPath: string;
  executionProvider: NativeExecutionProvider;
  deviceId: number;
  ioBinding: boolean;
  /** Inputs are staged in the EP's pinned host memory. */
  pinnedBuffers: boolean;
  batchesInFlight: number;
  inputs: NativeTensorInfo[];
  outputs: NativeTensorInfo[];
}

export type NativeExecutionProvider = 'cpu' | 'cuda' | 'tensorrt';

export interface NativeScorerOptions {
  ortLibraryPath: string;
  modelPath: string;
  intraOpThreads: number;
  executionProvider: NativeExecutionProvider;
  deviceId: number;
  /** cuda: the plugin EP library (libonnxruntime_providers_cuda.so); '' otherwise. */
  epLibraryPath: string;
  ioBinding: boolean;
  /** Use the EP's pinned host memory for inputs when it has some. */
  pinnedBuffers: boolean;
  /** Passed to the GPU provider as given; string values only (checked in TS). */
  providerOptions: Record<string, string>;
  /** Batches one call runs at once: 2 on a GPU, 1 on CPU. */
  batchesInFlight: number;
  /** tensorrt: engine and timing cache folder. */
  trtCacheDir: string;
  trtFp16: boolean;
  /** tensorrt: the optimization profile as [rows, tokens]. */
  trtMinShape: [number, number];
  trtOptShape: [number, number];
  trtMaxShape: [number, number];
  tokenizerThreads: number;
  maxBatchTokens: number;
  maxBatchSize: number;
  padMultiple: number;
  sortWindow: number;
}

export interface NativeScoreStats {
  realTokens: number;
  computedTokens: number;
  batches: number;
  tokenizeMs: number;
  runMs: number;
}

export interface NativeScoreResult {
  scores: Float32Array;
  stats: NativeScoreStats;
}

/** A flag the native worker polls between batches. */
export interface NativeCancelToken {
  cancel(): void;
}

export interface NativeScorer {
  readonly info: NativeSessionInfo;
  score(
    firsts: string[],
    seconds: string[],
    cancel: NativeCancelToken | undefined,
  ): Promise<NativeScoreResult>;
  /** Runs pre-tokenized, pre-padded rows; used by parity tests to feed the same ids to two runtimes. */
  runIds(ids: BigInt64Array, mask: BigInt64Array, rows: number, seqLen: number, typeIds?: BigInt64Array): Promise<Float32Array>;
  /** Releases the ORT session once every call in flight has finished. */
  close(): void;
}

export interface NativeAddon {
  /** Reads tokenizer.json on the calling thread (Tokenizer.fromJSON). */
  Tokenizer: new (source: NativeTokenizerSource, options: NativeTokenizerOptions) => NativeTokenizer;
  /** The same on a worker thread (Tokenizer.fromFile, Scorer.load). */
  loadTokenizer(source: NativeTokenizerSource, options: NativeTokenizerOptions): Promise<NativeTokenizer>;
  /** Reads a model folder: the ONNX file for the selection, config.json, tokenizer.json's path. Throws MODEL_LOAD. */
  readModelFolder(dir: string, selection: NativeModelSelection): NativeModelFolder;
  CancelToken: new () => NativeCancelToken;
  /** Opens the ORT session on a worker thread. */
  loadScorer(tokenizer: NativeTokenizer, options: NativeScorerOptions): Promise<NativeScorer>;
  /** dlopens a library by soname or path and keeps it loaded: '' on success, else the loader's error. */
  loadLibrary(nameOrPath: string): string;
  /** Node-API version the addon was built for. */
  readonly napiVersion: number;
}

/**
 * Errors thrown by the addon carry `cappyCode`, one of these, so TS can map
 * them to the typed error family without parsing messages.
 */
export type NativeErrorCode =
  | 'INVALID_INPUT'
  | 'TOKENIZER'
  | 'MODEL_LOAD'
  | 'RUNTIME'
  | 'CANCELLED'
  | 'DEVICE_UNAVAILABLE';

export interface NativeError extends Error {
  cappyCode: NativeErrorCode;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).cappyCode === 'string';
}

/** The package root: two levels up from dist/{esm,cjs}/native.js, one from lib/native.ts. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cappy-engine: cannot find the package root from ' + fileURLToPath(import.meta.url));
}

let cached: NativeAddon | undefined;

/** Loads the addon once. CAPPY_ADDON_PATH overrides the path (used by the node-gyp build test). */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  // With CAPPY_ADDON_PATH no package root is needed (bundled scripts, such
  // as the GPU bench, run far from the package).
  const override = process.env.CAPPY_ADDON_PATH;
  const root = override ? '' : packageRoot();
  const candidates = override
    ? [override]
    : [join(root, 'build', 'Release', 'cappy.node'), join(root, 'build', 'Debug', 'cappy.node')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `cappy-engine: the native addon is not built (looked in ${candidates.join(', ')}). ` +
        'Run `npm run build:native` (needs cmake and a C++17 compiler).',
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(found) as NativeAddon;
  return cached;
}
