// The typed shape of the native addon (a source build in build/Release, or the
// prebuilt in the platform package), declared once, and where it is found.
// Every other TypeScript file reaches native code through this module.
// TypeScript checks options with the messages users see; the load rules and
// defaults are the core's (native/core/include/cappy/load.h: `loadDefaults`,
// `resolveLoad`), shared with the C ABI; the model folder's files
// (tokenizer.json, config.json) are read by the core itself.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPlatformPackage, platformId, platformPackageName, PREBUILT_PLATFORMS } from '../scripts/platform-package.mjs';

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

/**
 * A load as given to the core (native/core/include/cappy/load.h): every field
 * is optional, and one left out keeps the core's default.
 */
export interface NativeLoadConfig {
  /** Unset: 512, lowered to the model's position table; an explicit value over the table is refused. */
  maxLength?: number;
  truncation?: NativeTruncationStrategy;
  intraOpThreads?: number;
  tokenizerThreads?: number;
  maxBatchTokens?: number;
  maxBatchSize?: number;
  padMultiple?: number;
  /** 0: sort each window by length (padding-aware); 1: input order. */
  sortWindow?: number;
  executionProvider?: NativeExecutionProvider;
  deviceId?: number;
  /** cuda: the plugin EP library (libonnxruntime_providers_cuda.so). */
  epLibraryPath?: string;
  /** Unset: on for a GPU provider. */
  ioBinding?: boolean;
  pinnedBuffers?: boolean;
  /** Unset: 2 on a GPU, 1 on CPU. */
  batchesInFlight?: number;
  /** Passed to the GPU provider as given; string values only (checked in TS). */
  providerOptions?: Record<string, string>;
  /** tensorrt: engine and timing cache folder. */
  trtCacheDir?: string;
  trtFp16?: boolean;
}

/** What a load resolved to: the same fields a C host reads from cappy_model_info. */
export interface NativeLoadSettings {
  maxLength: number;
  truncation: NativeTruncationStrategy;
  intraOpThreads: number;
  tokenizerThreads: number;
  maxBatchTokens: number;
  maxBatchSize: number;
  padMultiple: number;
  sortWindow: number;
  executionProvider: NativeExecutionProvider;
  deviceId: number;
  ioBinding: boolean;
  pinnedBuffers: boolean;
  batchesInFlight: number;
  /** TensorRT's one optimization profile as [rows, tokens] (resolved for every provider). */
  trtMinShape: [number, number];
  trtOptShape: [number, number];
  trtMaxShape: [number, number];
}

/** The core's defaults for this machine (DefaultLoadConfig(), LoadDefaults). */
export interface NativeLoadDefaults {
  maxLength: number;
  truncation: NativeTruncationStrategy;
  /** The cores this process may use: its affinity mask, capped by a cgroup CPU quota. */
  intraOpThreads: number;
  tokenizerThreads: number;
  maxBatchTokens: number;
  maxBatchSize: number;
  padMultiple: number;
  sortWindow: number;
  pinnedBuffers: boolean;
  gpuBatchesInFlight: number;
  cpuBatchesInFlight: number;
}

/** The ORT a session runs on: what scorer and graph sessions both report (native/node/runtime_info_js.cc). */
export interface NativeRuntimeInfo {
  ortVersion: string;
  ortLibraryPath: string;
  /** The file whose code runs: the isolated copy, or with 'reuse' the ORT found loaded. */
  ortLoadedPath: string;
  ortLink: NativeOrtLink;
  executionProvider: NativeExecutionProvider;
  deviceId: number;
}

export interface NativeSessionInfo extends NativeRuntimeInfo {
  ioBinding: boolean;
  /** Inputs are staged in the EP's pinned host memory. */
  pinnedBuffers: boolean;
  batchesInFlight: number;
  inputs: NativeTensorInfo[];
  outputs: NativeTensorInfo[];
  /** The settings the core resolved for this session. */
  load: NativeLoadSettings;
}

export type NativeExecutionProvider = 'cpu' | 'cuda' | 'tensorrt';

/** How the addon loads ORT: see native/core/session/ort_runtime.h. */
export type NativeOrtLink = 'path' | 'reuse';

/** loadScorer's options: a load config, and where the model and ONNX Runtime are. */
export interface NativeScorerOptions extends NativeLoadConfig {
  ortLibraryPath: string;
  ortLink: NativeOrtLink;
  modelPath: string;
  /** The model's position table, from config.json (0: unknown). */
  positionLimit: number;
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
  score(firsts: string[], seconds: string[], cancel: NativeCancelToken | undefined): Promise<NativeScoreResult>;
  /** Runs pre-tokenized, pre-padded rows; used by parity tests to feed the same ids to two runtimes. */
  runIds(ids: BigInt64Array, mask: BigInt64Array, rows: number, seqLen: number, typeIds?: BigInt64Array): Promise<Float32Array>;
  /** Releases the ORT session once every call in flight has finished. */
  close(): void;
}

/** A typed array the graph session reads or writes in place (Uint16Array: float16 bits; Uint8Array: uint8 or bool). */
export type NativeTensorData =
  Float32Array | Float64Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int8Array | Uint8Array | Uint16Array;

/** An input or output of a graph: element type, shape (-1 dynamic) and each axis' symbolic name ('' none). */
export interface NativeGraphTensorInfo {
  name: string;
  elementType: string;
  shape: number[];
  dimNames: string[];
}

export interface NativeGraphSessionInfo extends NativeRuntimeInfo {
  executionProvider: 'cpu' | 'cuda';
  intraOpThreads: number;
  inputs: NativeGraphTensorInfo[];
  outputs: NativeGraphTensorInfo[];
}

/** loadGraphSession's options, complete (lib/adapt/graph/graph-session.ts fills them). */
export interface NativeGraphSessionOptions {
  ortLibraryPath: string;
  ortLink: NativeOrtLink;
  modelPath: string;
  intraOpThreads: number;
  executionProvider: 'cpu' | 'cuda';
  deviceId: number;
  /** cuda: the plugin EP library; '' otherwise. */
  epLibraryPath: string;
  providerOptions: Record<string, string>;
  /** ORT's deterministic-compute switch. */
  deterministic: boolean;
  optimization: 'all' | 'extended' | 'basic' | 'none';
  /** Non-empty: ORT's profiler writes a trace named from it (endProfiling() returns the file). */
  profilePrefix: string;
  /** ORT's memory pattern (one planned block per input shape after its first run). */
  memoryPattern: boolean;
  /** ORT session config entries (AddConfigEntry), as given. */
  sessionConfig: Record<string, string>;
}

export interface NativeGraphInput {
  name: string;
  data: NativeTensorData;
  shape: number[];
}

/**
 * An output to fetch. `into` without `accumulate`: ORT writes it there (with
 * `shape`, no copy). `into` with `accumulate`: it is added into what `into`
 * holds (float32/float64). No `into`: a new array comes back.
 */
export interface NativeGraphOutput {
  name: string;
  into?: NativeTensorData;
  shape?: number[];
  accumulate?: boolean;
}

export interface NativeGraphResult {
  name: string;
  shape: number[];
  /** `into` itself when one was given. */
  data: NativeTensorData;
}

export interface NativeGraphSession {
  readonly info: NativeGraphSessionInfo;
  /** One run; every graph input once. Cancelling rejects with CANCELLED and stops ORT at its next node. */
  run(inputs: NativeGraphInput[], outputs: NativeGraphOutput[], cancel?: NativeCancelToken): Promise<NativeGraphResult[]>;
  /** Ends ORT's profiling: the trace file, or '' when profiling is off. */
  endProfiling(): string;
  /** Releases the session once every run in flight has finished. */
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
  /** Opens any ONNX graph (the training graph, gradient-rule tests) on a worker thread. */
  loadGraphSession(options: NativeGraphSessionOptions): Promise<NativeGraphSession>;
  /** The core's load defaults for this machine. */
  loadDefaults(): NativeLoadDefaults;
  /** What a load with `config` resolves to for a model whose position table takes `positionLimit` tokens (0: unknown). */
  resolveLoad(config: NativeLoadConfig, positionLimit: number): NativeLoadSettings;
  /** The cores this process may use; the arguments are for tests (a fake cgroup tree, an affinity count). */
  usableCores(fsRoot?: string, affinity?: number): number;
  /** CPUs a cgroup quota allows (fractional), or undefined for none. */
  cgroupCpuLimit(fsRoot?: string): number | undefined;
  /** Every error code and reason name, as the core declares them (cappy_errors.h). */
  readonly errorCodes: readonly string[];
  readonly errorReasons: readonly string[];
  /** Node-API version the addon was built for. */
  readonly napiVersion: number;
}

/**
 * Errors thrown by the addon carry `cappyCode`, one of these, and sometimes
 * `cappyReason`, so TS maps them to the typed error family without parsing
 * messages. Both lists are the core's (native/core/include/cappy/cappy_errors.h),
 * in its order; test/model/errors.test.ts checks them against the addon's.
 */
export const NATIVE_ERROR_CODES = [
  'INVALID_INPUT',
  'TOKENIZER',
  'MODEL_LOAD',
  'RUNTIME',
  'CANCELLED',
  'DEVICE_UNAVAILABLE',
  'BUFFER_TOO_SMALL',
  'INTERNAL',
] as const;
export type NativeErrorCode = (typeof NATIVE_ERROR_CODES)[number];

export const NATIVE_ERROR_REASONS = [
  'folder_not_found',
  'onnx_missing',
  'tokenizer_missing',
  'config_invalid',
  'ort_unavailable',
  'ort_conflict',
  'model_invalid',
  'model_unsupported',
  'over_position_limit',
  'struct_size',
] as const;
export type NativeErrorReason = (typeof NATIVE_ERROR_REASONS)[number];

export interface NativeError extends Error {
  cappyCode: NativeErrorCode;
  cappyReason?: NativeErrorReason;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).cappyCode === 'string';
}

/** The package root: the folder whose package.json is cappy-engine's, above dist/ or lib/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cappy-engine') return dir;
    dir = dirname(dir);
  }
  throw new Error('cappy-engine: cannot find the package root from ' + fileURLToPath(import.meta.url));
}

/** Where the loaded addon came from: CAPPY_ADDON_PATH, a source build in build/, or the prebuilt platform package. */
export type AddonOrigin = 'CAPPY_ADDON_PATH' | 'source' | 'prebuilt';

export interface AddonLocation {
  path: string;
  origin: AddonOrigin;
  /** The platform package (name@version) for a prebuilt. */
  package?: string;
}

/**
 * Finds the addon: CAPPY_ADDON_PATH, else a source build (which exists only
 * when one was made, forced or as the fallback), else the platform package
 * found by module resolution (so it works even if no install script ran).
 */
export function locateAddon(env: NodeJS.ProcessEnv = process.env): AddonLocation {
  // With CAPPY_ADDON_PATH no package root is needed (bundled scripts, such
  // as the GPU bench, run far from the package).
  const override = env.CAPPY_ADDON_PATH;
  if (override) {
    if (!existsSync(override)) throw new Error(`cappy-engine: CAPPY_ADDON_PATH points at ${override}, which does not exist`);
    return { path: override, origin: 'CAPPY_ADDON_PATH' };
  }
  const root = packageRoot();
  const built = [join(root, 'build', 'Release', 'cappy.node'), join(root, 'build', 'Debug', 'cappy.node')].find((p) => existsSync(p));
  if (built) return { path: built, origin: 'source' };
  const prebuilt = findPlatformPackage(fileURLToPath(import.meta.url));
  const ownVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (prebuilt?.addon && prebuilt.version === ownVersion) {
    return { path: prebuilt.addon, origin: 'prebuilt', package: `${prebuilt.name}@${prebuilt.version}` };
  }
  const build = join(root, 'scripts', 'build-native.mjs');
  const why = prebuilt?.addon
    ? `${prebuilt.name} is version ${prebuilt.version}, but cappy-engine is ${ownVersion}; reinstall so they match`
    : PREBUILT_PLATFORMS.includes(platformId())
      ? `the prebuilt package ${platformPackageName()} is not installed (were optional dependencies omitted?) and no source build exists`
      : `there is no prebuilt addon for ${platformId()} (prebuilts: ${PREBUILT_PLATFORMS.join(', ')}) and no source build exists`;
  throw new Error(
    `cappy-engine: the native addon is missing: ${why}. ` +
      `Build it from source with \`node ${build} --force\` (it says what it needs: cmake, a C++17 compiler, ` +
      'the ONNX Runtime headers, node-addon-api and @nozbe/simdjson), or reinstall cappy-engine with its optional dependencies.',
  );
}

let cached: NativeAddon | undefined;
let cachedLocation: AddonLocation | undefined;

/** Loads the addon once (see locateAddon for where it comes from). */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const location = locateAddon();
  const require = createRequire(import.meta.url);
  try {
    cached = require(location.path) as NativeAddon;
  } catch (e) {
    const hint =
      location.origin === 'prebuilt'
        ? ' The prebuilt needs Linux x64 with glibc >= 2.28; elsewhere build from source with ' +
          `\`CAPPY_BUILD_FROM_SOURCE=1 npm rebuild cappy-engine\` (needs cmake and a C++17 compiler).`
        : '';
    throw new Error(`cappy-engine: cannot load the ${location.origin} addon ${location.path}: ${(e as Error).message}.${hint}`, {
      cause: e,
    });
  }
  cachedLocation = location;
  return cached;
}

/** Where the addon loadAddon() loaded came from, or undefined before it ran. */
export function loadedAddonLocation(): AddonLocation | undefined {
  return cachedLocation;
}
