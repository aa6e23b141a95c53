// Scorer: the public face of the pipeline. The JS thread validates, hands two
// string arrays to native code, and resolves with a Float32Array; tokenizing,
// batching and inference all run on native threads.
import { DisposedError, AbortError, InvalidInputError, fromNative } from '../errors/index.js';
import { loadAddon, type NativeScorer, type NativeSessionInfo, type NativeTensorInfo } from '../native.js';
import { readModelDir, type ForgedLabel } from '../model/model-dir.js';
import { resolveOrtLibrary } from '../runtime/ort-library.js';
import { Tokenizer, type TruncationStrategy } from '../tokenizer/index.js';
import { resolveScorerOptions, type ResolvedScorerOptions, type ScorerOptions } from './options.js';
import { splitPairs, type Pair } from './pairs.js';

export interface CallOptions {
  /** Aborting rejects the call with an AbortError and drops batches not yet started. */
  signal?: AbortSignal;
}

export interface ScorerInfo {
  model: {
    dir: string;
    onnxPath: string;
    /** Present when the weights are random (a forged model): its scores mean nothing. */
    forged?: ForgedLabel;
    /** One line a person can read, e.g. "forged tiny, seed 0: random weights, not Cappy". */
    description: string;
  };
  ort: { version: string; libraryPath: string };
  executionProvider: string;
  inputs: NativeTensorInfo[];
  outputs: NativeTensorInfo[];
  maxLength: number;
  truncation: TruncationStrategy;
  options: ResolvedScorerOptions;
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
}

const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for('nodejs.asyncDispose') as typeof Symbol.asyncDispose);

export class Scorer {
  readonly info: ScorerInfo;
  readonly tokenizer: Tokenizer;
  #native: NativeScorer;
  #disposed = false;
  #inFlight = new Set<Promise<unknown>>();
  #stats = { calls: 0, pairs: 0, realTokens: 0, computedTokens: 0, batches: 0, tokenizeMs: 0, runMs: 0 };

  private constructor(native: NativeScorer, tokenizer: Tokenizer, info: ScorerInfo) {
    this.#native = native;
    this.tokenizer = tokenizer;
    this.info = info;
  }

  /** Loads a model folder (config.json, tokenizer.json, onnx/model.onnx). */
  static async load(dir: string, options: ScorerOptions = {}): Promise<Scorer> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidInputError('Scorer.load needs a model folder path');
    const opts = resolveScorerOptions(options);
    const model = await readModelDir(dir, opts.onnxFile);
    const ortLibraryPath = resolveOrtLibrary();
    const tokenizer = await Tokenizer.fromFile(model.tokenizerPath, {
      maxLength: opts.maxLength,
      truncation: opts.truncation,
    });
    let native: NativeScorer;
    try {
      native = await loadAddon().loadScorer(tokenizer.native, {
        ortLibraryPath,
        modelPath: model.onnxPath,
        intraOpThreads: opts.intraOpThreads,
        executionProvider: opts.device,
        tokenizerThreads: opts.tokenizerThreads,
        maxBatchTokens: opts.maxBatchTokens,
        maxBatchSize: opts.maxBatchSize,
        padMultiple: opts.padMultiple,
        sortWindow: 0,
      });
    } catch (e) {
      throw fromNative(e);
    }
    const s: NativeSessionInfo = native.info;
    const description = model.forged
      ? `forged ${model.forged.preset}, seed ${model.forged.seed}: ${model.forged.note}`
      : `${model.dir} (trained weights)`;
    const info: ScorerInfo = {
      model: { dir: model.dir, onnxPath: model.onnxPath, forged: model.forged, description },
      ort: { version: s.ortVersion, libraryPath: s.ortLibraryPath },
      executionProvider: s.executionProvider,
      inputs: s.inputs,
      outputs: s.outputs,
      maxLength: opts.maxLength,
      truncation: opts.truncation,
      options: opts,
    };
    return new Scorer(native, tokenizer, Object.freeze(info));
  }

  /** Scores one (instruction, response) pair: Cappy's raw logit (no sigmoid). */
  async score(instruction: string, response: string, options: CallOptions = {}): Promise<number> {
    if (typeof instruction !== 'string') throw new InvalidInputError('instruction must be a string');
    if (typeof response !== 'string') throw new InvalidInputError('response must be a string');
    const scores = await this.#run([instruction], [response], options);
    return scores[0];
  }

  /** Scores many pairs; the result is in input order. An empty batch gives an empty array. */
  async scoreBatch(pairs: readonly Pair[], options: CallOptions = {}): Promise<Float32Array> {
    const { instructions, responses } = splitPairs(pairs);
    if (instructions.length === 0) {
      this.#checkUsable(options);
      return new Float32Array(0);
    }
    return this.#run(instructions, responses, options);
  }

  /**
   * Scores pre-tokenized, pre-padded rows: `ids` and `attentionMask` are
   * row-major [rows, seqLen]. For callers that tokenize themselves, and for
   * feeding the same ids to this engine and another runtime.
   */
  async scoreIds(ids: BigInt64Array, attentionMask: BigInt64Array, rows: number, seqLen: number): Promise<Float32Array> {
    if (!(ids instanceof BigInt64Array) || !(attentionMask instanceof BigInt64Array)) {
      throw new InvalidInputError('ids and attentionMask must be BigInt64Array');
    }
    if (!Number.isInteger(rows) || !Number.isInteger(seqLen) || rows < 1 || seqLen < 1) {
      throw new InvalidInputError('rows and seqLen must be positive integers');
    }
    if (ids.length !== rows * seqLen || attentionMask.length !== rows * seqLen) {
      throw new InvalidInputError(`ids and attentionMask must each hold rows x seqLen = ${rows * seqLen} values`);
    }
    const vocab = this.tokenizer.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0n || ids[i] >= BigInt(vocab)) throw new InvalidInputError(`ids[${i}] = ${ids[i]} is outside the vocabulary (0..${vocab - 1})`);
    }
    this.#checkUsable({});
    try {
      return await this.#native.runIds(ids, attentionMask, rows, seqLen);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Totals since load. */
  stats(): ScorerStats {
    const s = this.#stats;
    return { ...s, padFraction: s.computedTokens === 0 ? 0 : 1 - s.realTokens / s.computedTokens };
  }

  /** Rejects new calls, waits for those in flight, then frees the ORT session. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.allSettled([...this.#inFlight]);
    this.#native.close();
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
    const addon = loadAddon();
    const signal = options.signal;
    const cancel = signal ? new addon.CancelToken() : undefined;
    const work = this.#native.score(instructions, responses, cancel);
    const tracked = work.then(
      (r) => {
        const st = this.#stats;
        st.calls += 1;
        st.pairs += instructions.length;
        st.realTokens += r.stats.realTokens;
        st.computedTokens += r.stats.computedTokens;
        st.batches += r.stats.batches;
        st.tokenizeMs += r.stats.tokenizeMs;
        st.runMs += r.stats.runMs;
        return r.scores;
      },
      (e: unknown) => {
        throw fromNative(e);
      },
    );
    const settled = tracked.catch(() => undefined);
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
    if (!signal || !cancel) return tracked;

    // Abort rejects at once; the native worker sees the flag between batches
    // and drops what has not started.
    return new Promise<Float32Array>((resolve, reject) => {
      const onAbort = () => {
        cancel.cancel();
        reject(new AbortError(undefined, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      tracked.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }
}
