// Scorer: the public face of the pipeline. The JS thread validates, hands two
// string arrays to native code, and resolves with a Float32Array; tokenizing,
// batching and inference all run on native threads.
import { DisposedError, AbortError, InvalidInputError, CappyError, fromNative } from '../errors/index.js';
import { loadAddon, type NativeLoadSettings, type NativeSessionInfo, type NativeTensorInfo } from '../native.js';
import type { ModelDType } from '../model/dtypes.js';
import { readModelDir, type ForgedLabel } from '../model/model-dir.js';
import { resolveOrtLibrary } from '../runtime/ort-library.js';
import { planOrtLoad, type OrtLoadMode } from '../runtime/ort-load.js';
import { cpuFeatures, type CpuFeatures } from '../runtime/cpu-features.js';
import type { ExecutionInfo } from '../runtime/execution-provider.js';
import { Tokenizer, type TruncationStrategy } from '../tokenizer/index.js';
import { resolveScorerOptions, type ResolvedScorerOptions, type ScorerOptions } from './options.js';
import { splitPairs, type Pair } from './pairs.js';
import { MicroBatcher } from './micro-batcher.js';
import { argmax, checkCandidates, rankScores, type Ranked } from './ranking.js';
import { streamScores, type IndexedScore, type StreamOptions } from './stream.js';
import { scoreInWindows, type LongInputs, type TemplateSpecials, type WindowEngine } from './windows.js';
import { checkInteger } from '../options/spec.js';
import { planSessions } from './devices.js';
import { DevicePool, type PoolSessionInfo, type PoolSessionStats } from './device-pool.js';
import { loadSessions } from './session-load.js';

export interface CallOptions {
  /** Aborting rejects the call with an AbortError and drops batches not yet started. */
  signal?: AbortSignal;
  /** This call's handling of pairs over maxLength; default: the scorer's `longInputs`. */
  longInputs?: LongInputs;
  /** This call's windows per pair at most when chunking; default: the scorer's `maxChunks`. */
  maxChunks?: number;
}

export interface ScorerInfo {
  model: {
    dir: string;
    onnxPath: string;
    /** Present when the weights are random (a forged model): its scores mean nothing. */
    forged?: ForgedLabel;
    /** One line a person can read, e.g. "forged tiny, seed 0: random weights, not Cappy". */
    description: string;
    /** Number format of the graph running (undefined for an onnxFile whose name does not say). */
    dtype: ModelDType | undefined;
    /** Why that graph, e.g. "auto on cpu: int8 (also here: fp32)". */
    dtypeChoice: string;
    /**
     * Whether the folder has a config.json. Without one, the model's position
     * table is unknown: maxLength is not checked against it (a pair longer
     * than the table takes then fails inside ONNX Runtime).
     */
    hasConfig: boolean;
  };
  ort: {
    version: string;
    /** The ORT library chosen (CAPPY_ORT_LIB or the npm package). */
    libraryPath: string;
    /** How it was loaded beside other ORTs (CAPPY_ORT_LOAD): see docs/ort-loading.md. */
    load: OrtLoadMode;
    /** The file whose code runs: the isolated copy, or with 'reuse' the ORT found already loaded. */
    loadedPath: string;
  };
  /** 'cpu', 'cuda' or 'tensorrt': the provider that runs the model. */
  executionProvider: string;
  /** The provider in detail: device, IO binding, pinned buffers, and with 'auto' why faster ones were skipped. */
  execution: ExecutionInfo;
  /** Every session behind the scorer's queue (one unless `devices` asks for more), with its share of the threads. */
  pool: PoolSessionInfo[];
  /** This CPU's int8-relevant features and the int8 GEMM kernel ORT runs on it (docs/dtypes.md). */
  cpu: CpuFeatures;
  inputs: NativeTensorInfo[];
  outputs: NativeTensorInfo[];
  maxLength: number;
  truncation: TruncationStrategy;
  options: ResolvedScorerOptions;
  /**
   * What the core resolved for the first session (native/core/include/cappy/load.h):
   * the same settings a C host loading this folder with the same options reads
   * from cappy_model_get_info.
   */
  load: NativeLoadSettings;
}

export interface ScorerStats {
  calls: number;
  pairs: number;
  /** Tokens the pairs really have (after truncation, with special tokens). */
  realTokens: number;
  /** Tokens the model computed over, padding included. */
  computedTokens: number;
  /** Share of computed tokens that were padding. */
  padFraction: number;
  batches: number;
  tokenizeMs: number;
  runMs: number;
  /** Total time requests waited in the micro-batcher's queue. */
  queueMs: number;
  /** Pairs waiting now. */
  queuedPairs: number;
  /** Each session's share of the work (one entry unless `devices` asks for more). */
  sessions: PoolSessionStats[];
}

const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for('nodejs.asyncDispose') as typeof Symbol.asyncDispose);

/**
 * The max length a load runs with, by the core's rule (the one cappy_model_load
 * applies): a given maxLength, checked against the model's position table;
 * else the default, lowered to the table. A pair longer than the table would
 * fail deep inside ORT, so an explicit maxLength over it is refused here.
 */
function maxLengthFor(opts: ResolvedScorerOptions, given: boolean, positionLimit: number): number {
  try {
    return loadAddon().resolveLoad(given ? { maxLength: opts.maxLength } : {}, positionLimit).maxLength;
  } catch (e) {
    const err = fromNative(e);
    if (err instanceof CappyError && err.reason === 'over_position_limit') {
      throw new InvalidInputError(
        `maxLength ${opts.maxLength} is more than this model's position table takes (${positionLimit} tokens, from max_position_embeddings in config.json)`,
        { cause: e, reason: err.reason },
      );
    }
    throw err;
  }
}

export class Scorer {
  readonly info: ScorerInfo;
  readonly tokenizer: Tokenizer;
  #pool: DevicePool;
  #disposed = false;
  #inFlight = new Set<Promise<unknown>>();
  #stats = { calls: 0, pairs: 0, realTokens: 0, computedTokens: 0, batches: 0, tokenizeMs: 0, runMs: 0 };
  #batcher: MicroBatcher;

  private constructor(pool: DevicePool, tokenizer: Tokenizer, info: ScorerInfo) {
    this.#pool = pool;
    this.tokenizer = tokenizer;
    this.info = info;
    const o = info.options;
    this.#batcher = new MicroBatcher((i, r, signal) => this.#runNative(i, r, signal), {
      maxWaitMs: o.maxWaitMs,
      maxPairsPerCall: o.maxPairsPerCall,
      maxQueuedPairs: o.maxQueuedPairs,
      maxConcurrentCalls: o.maxConcurrentCalls,
    });
  }

  /**
   * Loads a model folder (config.json, tokenizer.json, onnx/model.onnx), or a
   * hub id such as 'btan2/cappy-large' once `cappy pull` has converted it.
   */
  static async load(dir: string, options: ScorerOptions = {}): Promise<Scorer> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidInputError('Scorer.load needs a model folder path');
    const opts = resolveScorerOptions(options);
    // Planned before anything loads, so a bad devices value fails fast; with
    // a devices list, its kind (not `device`) is what the dtype choice and
    // the providers are for.
    const plans = planSessions(opts, { device: options.device, deviceId: options.deviceId });
    const device = plans[0].device;
    const model = await readModelDir(dir, { onnxFile: opts.onnxFile, dtype: opts.dtype, device });
    opts.maxLength = maxLengthFor(opts, options.maxLength !== undefined, model.positionLimit ?? 0);
    const ortLibraryPath = resolveOrtLibrary();
    const ortLoad = planOrtLoad(ortLibraryPath);
    const tokenizer = await Tokenizer.fromFile(model.tokenizerPath, {
      maxLength: opts.maxLength,
      truncation: opts.truncation,
    });
    const { sessions, candidate, skipped } = await loadSessions(
      { tokenizer, onnxPath: model.onnxPath, positionLimit: model.positionLimit ?? 0, ortLibraryPath, ortLoad, opts },
      plans,
    );
    const load = sessions[0].native.info.load;
    // The GPU defaults are the core's: show what they resolved to.
    opts.ioBinding ??= load.ioBinding;
    opts.batchesInFlight ??= load.batchesInFlight;
    const pool = new DevicePool(sessions, { maxBatchTokens: opts.maxBatchTokens, maxLength: opts.maxLength });
    const s: NativeSessionInfo = sessions[0].native.info;
    const hasConfig = model.config !== undefined;
    const description = model.forged
      ? `forged ${model.forged.preset}, seed ${model.forged.seed}: ${model.forged.note}`
      : `${model.dir} (trained weights${hasConfig ? '' : '; no config.json, so its position table is unknown'})`;
    const info: ScorerInfo = {
      model: {
        dir: model.dir,
        onnxPath: model.onnxPath,
        forged: model.forged,
        description,
        dtype: model.dtype,
        dtypeChoice: model.dtypeChoice,
        hasConfig,
      },
      ort: {
        version: s.ortVersion,
        libraryPath: ortLibraryPath,
        load: ortLoad.mode,
        loadedPath: s.ortLoadedPath,
      },
      executionProvider: s.executionProvider,
      execution: {
        requested: device,
        executionProvider: s.executionProvider,
        deviceId: s.deviceId,
        ioBinding: s.ioBinding,
        pinnedBuffers: s.pinnedBuffers,
        batchesInFlight: s.batchesInFlight,
        ...(candidate.epLibraryPath ? { epLibraryPath: candidate.epLibraryPath } : {}),
        ...(skipped.length > 0 ? { skipped } : {}),
      },
      pool: pool.describe(),
      cpu: cpuFeatures(),
      inputs: s.inputs,
      outputs: s.outputs,
      maxLength: opts.maxLength,
      truncation: opts.truncation,
      options: opts,
      load,
    };
    return new Scorer(pool, tokenizer, Object.freeze(info));
  }

  /** Scores one (instruction, response) pair: Cappy's raw logit (no sigmoid). */
  async score(instruction: string, response: string, options: CallOptions = {}): Promise<number> {
    if (typeof instruction !== 'string') throw new InvalidInputError('instruction must be a string');
    if (typeof response !== 'string') throw new InvalidInputError('response must be a string');
    const scores = await this.#scoreLong([instruction], [response], options);
    return scores[0];
  }

  /** Scores many pairs; the result is in input order. An empty batch gives an empty array. */
  async scoreBatch(pairs: readonly Pair[], options: CallOptions = {}): Promise<Float32Array> {
    const { instructions, responses } = splitPairs(pairs);
    if (instructions.length === 0) {
      this.#checkUsable(options);
      return new Float32Array(0);
    }
    return this.#scoreLong(instructions, responses, options);
  }

  /** Truncation, or windows over long responses (longInputs: 'chunk'; see windows.ts). */
  async #scoreLong(instructions: string[], responses: string[], options: CallOptions): Promise<Float32Array> {
    const o = this.info.options;
    const mode = options.longInputs ?? o.longInputs;
    if (mode !== 'truncate' && mode !== 'chunk') throw new InvalidInputError(`longInputs must be truncate or chunk, got ${String(mode)}`);
    const maxChunks = options.maxChunks === undefined ? o.maxChunks : checkInteger('maxChunks', options.maxChunks, 1, 1024);
    if (mode === 'truncate' || maxChunks === 1) return this.#run(instructions, responses, options);
    this.#checkUsable(options);
    const settings = { maxLength: this.info.maxLength, chunkOverlap: o.chunkOverlap, maxChunks, chunkAggregation: o.chunkAggregation };
    return scoreInWindows(this.#windowEngine, instructions, responses, settings, options.signal);
  }

  #specials: Promise<TemplateSpecials> | undefined;

  /** What the windowing asks of this scorer: token counts measured on native threads, and truncated scoring. */
  readonly #windowEngine: WindowEngine = {
    specials: () => {
      this.#specials ??= this.tokenizer
        .encodeBatchPacked(['', ['', '']])
        .then((p) => ({ single: p.offsets[1], pair: p.offsets[2] - p.offsets[1] }));
      return this.#specials;
    },
    tokenCounts: async (texts) => {
      const { single } = await this.#windowEngine.specials();
      const packed = await this.tokenizer.encodeBatchPacked(texts, { threads: this.info.options.tokenizerThreads });
      return Uint32Array.from({ length: texts.length }, (_, i) => Math.max(0, packed.offsets[i + 1] - packed.offsets[i] - single));
    },
    score: (instructions, responses, signal) => this.#run(instructions, responses, { signal }),
  };

  /** Candidates sorted by score, descending (best-of-N). */
  async rank(instruction: string, candidates: readonly string[], options: CallOptions & { topK?: number } = {}): Promise<Ranked[]> {
    checkCandidates(instruction, candidates);
    rankScores(new Float32Array(0), options.topK); // validates topK before any work
    const scores = await this.scoreBatch(
      candidates.map((c) => [instruction, c] as const),
      options,
    );
    return rankScores(scores, options.topK);
  }

  /** The best candidate (multiple choice): its index and score. */
  async choose(instruction: string, candidates: readonly string[], options: CallOptions = {}): Promise<Ranked> {
    checkCandidates(instruction, candidates);
    const scores = await this.scoreBatch(
      candidates.map((c) => [instruction, c] as const),
      options,
    );
    return argmax(scores);
  }

  /**
   * Scores a stream of pairs and yields scores in input order, with bounded
   * read-ahead. Yields numbers, or `{ index, score }` with `withIndex: true`.
   */
  scoreStream(source: Iterable<Pair> | AsyncIterable<Pair>, options: StreamOptions & { withIndex: true }): AsyncGenerator<IndexedScore>;
  scoreStream(source: Iterable<Pair> | AsyncIterable<Pair>, options?: StreamOptions & { withIndex?: false }): AsyncGenerator<number>;
  async *scoreStream(
    source: Iterable<Pair> | AsyncIterable<Pair>,
    options: StreamOptions & { withIndex?: boolean } = {},
  ): AsyncGenerator<number | IndexedScore> {
    this.#checkUsable(options);
    const chunks = streamScores(source, (pairs, signal) => this.scoreBatch(pairs, { signal }), options);
    for await (const item of chunks) yield options.withIndex ? item : item.score;
  }

  /**
   * Scores pre-tokenized, pre-padded rows: `ids` and `attentionMask` are
   * row-major [rows, seqLen]. For callers that tokenize themselves, and for
   * feeding the same ids to this engine and another runtime. `tokenTypeIds`
   * (same shape) are the segment ids a BERT graph takes (HF's type ids: 0
   * through the first [SEP], 1 after); left out, the graph gets zeros. Graphs
   * without a token_type_ids input (RoBERTa) ignore them.
   */
  async scoreIds(
    ids: BigInt64Array,
    attentionMask: BigInt64Array,
    rows: number,
    seqLen: number,
    tokenTypeIds?: BigInt64Array,
  ): Promise<Float32Array> {
    if (!(ids instanceof BigInt64Array) || !(attentionMask instanceof BigInt64Array)) {
      throw new InvalidInputError('ids and attentionMask must be BigInt64Array');
    }
    if (tokenTypeIds !== undefined && !(tokenTypeIds instanceof BigInt64Array)) {
      throw new InvalidInputError('tokenTypeIds must be a BigInt64Array or undefined');
    }
    if (!Number.isInteger(rows) || !Number.isInteger(seqLen) || rows < 1 || seqLen < 1) {
      throw new InvalidInputError('rows and seqLen must be positive integers');
    }
    if (ids.length !== rows * seqLen || attentionMask.length !== rows * seqLen) {
      throw new InvalidInputError(`ids and attentionMask must each hold rows x seqLen = ${rows * seqLen} values`);
    }
    if (tokenTypeIds !== undefined) {
      if (tokenTypeIds.length !== rows * seqLen)
        throw new InvalidInputError(`tokenTypeIds must hold rows x seqLen = ${rows * seqLen} values`);
      const bad = tokenTypeIds.findIndex((t) => t < 0n || t > 0x7fffffffn);
      if (bad >= 0) throw new InvalidInputError(`tokenTypeIds[${bad}] = ${tokenTypeIds[bad]} is not a type id`);
    }
    const vocab = this.tokenizer.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0n || ids[i] >= BigInt(vocab))
        throw new InvalidInputError(`ids[${i}] = ${ids[i]} is outside the vocabulary (0..${vocab - 1})`);
    }
    this.#checkUsable({});
    return this.#pool.runIds(ids, attentionMask, rows, seqLen, tokenTypeIds);
  }

  /** Totals since load. `calls` counts native calls, after micro-batching merged requests. */
  stats(): ScorerStats {
    const s = this.#stats;
    return {
      ...s,
      queueMs: this.#batcher.queueMs,
      queuedPairs: this.#batcher.queuedPairs,
      sessions: this.#pool.sessionStats(),
      padFraction: s.computedTokens === 0 ? 0 : 1 - s.realTokens / s.computedTokens,
    };
  }

  /** Rejects new calls, waits for those in flight, then frees the ORT session. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.allSettled([...this.#inFlight]);
    this.#pool.close();
  }

  async [asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #checkUsable(options: CallOptions): void {
    if (this.#disposed) throw new DisposedError();
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
  }

  async #run(instructions: string[], responses: string[], options: CallOptions): Promise<Float32Array> {
    this.#checkUsable(options);
    const work = this.#batcher.submit(instructions, responses, options.signal);
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return work;
  }

  /** One merged call of the micro-batcher, through the pool (native calls, one per chunk). */
  async #runNative(instructions: string[], responses: string[], signal: AbortSignal): Promise<Float32Array> {
    const r = await this.#pool.run(instructions, responses, signal);
    const st = this.#stats;
    st.calls += r.stats.calls;
    st.pairs += instructions.length;
    st.realTokens += r.stats.realTokens;
    st.computedTokens += r.stats.computedTokens;
    st.batches += r.stats.batches;
    st.tokenizeMs += r.stats.tokenizeMs;
    st.runMs += r.stats.runMs;
    return r.scores;
  }
}
