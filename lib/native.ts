// The typed shape of the native addon (a source build in build/Release, or the
// prebuilt in the platform package), declared once, and where it is found.
// Every other TypeScript file reaches native code through this module; option
// validation and defaults live in TypeScript, so the native side receives only
// complete, already-checked values.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPlatformPackage, platformId, platformPackageName, PREBUILT_PLATFORMS } from '../scripts/platform-package.mjs';

export type NativeTruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface NativeAddedToken {
  content: string;
  id: number;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
  normalized: boolean;
}

/** Everything the C++ byte-level BPE needs, parsed and validated in TS. */
export interface NativeTokenizerSpec {
  vocab: string[];
  vocabIds: Int32Array;
  mergesLeft: string[];
  mergesRight: string[];
  addedTokens: NativeAddedToken[];
  addPrefixSpace: boolean;
  unkId: number; // -1 when there is none
  padId: number;
  postProcessor: NativePostProcessorSpec;
  truncation: { enabled: boolean; maxLength: number; strategy: NativeTruncationStrategy };
  /** Default 'bpe' (byte-level). 'wordpiece' needs unkId and, with BERT, the fields below; 'unigram' needs scores. */
  model?: 'bpe' | 'wordpiece' | 'unigram';
  /** Default 'byte_level'. */
  preTokenizer?: 'byte_level' | 'bert' | 'metaspace' | 'none';
  /** Default none. */
  normalizer?: NativeNormalizerSpec;
  /** WordPiece: default '##'. */
  continuingSubwordPrefix?: string;
  /** WordPiece: default 100. */
  maxInputCharsPerWord?: number;
  /** Unigram: scores[i] is the log-probability of vocab[i], whose id must be i. */
  scores?: Float64Array;
  /** Unigram: spell pieces missing from the vocab as <0xNN> tokens. Default false. */
  byteFallback?: boolean;
  /** Metaspace pre-tokenizer options (preTokenizer 'metaspace'). */
  metaspace?: {
    replacement: string;
    prependScheme: 'always' | 'first' | 'never';
    split: boolean;
    /** T5's [WhitespaceSplit, Metaspace]: split on White_Space (dropping it) before Metaspace. */
    whitespaceSplit?: boolean;
  };
}

/**
 * Special tokens around the text. 'template' lists ids in order, -1 standing
 * for the first text ($A) and -2 for the second ($B); an empty pair list
 * means the file has no pair template.
 */
export type NativePostProcessorSpec =
  | {
      kind: 'none' | 'roberta' | 'bert';
      cls: string;
      clsId: number;
      sep: string;
      sepId: number;
      /** Type id of the second text and the specials after the first text's separator (BERT: 1). Default 0. */
      pairTypeId?: number;
    }
  | { kind: 'template'; cls: string; clsId: number; sep: string; sepId: number; single: Int32Array; pair: Int32Array };

/** One step of a normalizer Sequence. */
export type NativeNormalizerStep =
  | { kind: 'lowercase' | 'nfc' | 'nfd' | 'nfkc' | 'nfkd' | 'nmt' }
  | { kind: 'strip'; left: boolean; right: boolean }
  /** minRepeat n >= 1: each run of n or more back-to-back patterns becomes one content (the regex "x{n,}"). */
  | { kind: 'replace'; pattern: string; content: string; minRepeat?: number }
  | { kind: 'prepend'; content: string }
  /** SentencePiece's precompiled_charsmap, base64-decoded. */
  | { kind: 'precompiled'; charsmap: Uint8Array };

/** HF's BertNormalizer options (strip_accents already resolved from lowercase when the file leaves it null). */
export type NativeNormalizerSpec =
  | { kind: 'none' }
  | { kind: 'bert'; cleanText: boolean; handleChineseChars: boolean; stripAccents: boolean; lowercase: boolean }
  | { kind: 'sequence'; steps: NativeNormalizerStep[] };

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
  readonly padId: number;
  readonly vocabSize: number;
}

export interface NativeTensorInfo {
  name: string;
  elementType: string;
  shape: number[];
}

export interface NativeSessionInfo {
  ortVersion: string;
  ortLibraryPath: string;
  /** The file whose code runs: the isolated copy, or with 'reuse' the ORT found loaded. */
  ortLoadedPath: string;
  ortLink: NativeOrtLink;
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

/** How the addon loads ORT: see native/core/session/ort_runtime.h. */
export type NativeOrtLink = 'path' | 'reuse';

export interface NativeScorerOptions {
  ortLibraryPath: string;
  ortLink: NativeOrtLink;
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
  Tokenizer: new (spec: NativeTokenizerSpec) => NativeTokenizer;
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
      'the ONNX Runtime headers and node-addon-api), or reinstall cappy-engine with its optional dependencies.',
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
