// The public Tokenizer: tokenizer.json parsed and checked in TypeScript, then
// encoded by the native byte-level BPE (HF tokenizers' ids, exactly).
import { readFile } from 'node:fs/promises';
import { InvalidInputError, TokenizerError, fromNative } from '../errors/index.js';
import { loadAddon, type NativeTokenizer, type NativeTokenizerSpec } from '../native.js';
import { parseTokenizerJson, type TruncationStrategy } from './spec.js';

export type { TruncationStrategy } from './spec.js';
export { parseTokenizerJson } from './spec.js';

export interface TokenizerOptions {
  /** Longest encoding, special tokens included. Alone it implies truncation (the file's strategy, else longest_first). */
  maxLength?: number;
  /** Default: what tokenizer.json's own `truncation` says, else no truncation. */
  truncation?: TruncationStrategy;
}

export interface Encoding {
  ids: Int32Array;
  attentionMask: Uint8Array;
}

export type BatchItem = string | [string, string];

/** Many encodings in one array: item i is ids[offsets[i] .. offsets[i + 1]). */
export interface PackedEncodings {
  ids: Int32Array;
  offsets: Uint32Array;
}

const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

function resolveTruncation(
  opts: TokenizerOptions,
  file: { maxLength: number; strategy: TruncationStrategy } | null,
): NativeTokenizerSpec['truncation'] {
  if (opts === null || typeof opts !== 'object') throw new InvalidInputError('tokenizer options must be an object');
  const { maxLength, truncation } = opts;
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 0xffffffff)) {
    throw new InvalidInputError(`maxLength must be a positive integer (got ${String(maxLength)})`);
  }
  if (truncation !== undefined && !STRATEGIES.includes(truncation)) {
    throw new InvalidInputError(`truncation must be one of ${STRATEGIES.join(', ')} (got ${String(truncation)})`);
  }
  const length = maxLength ?? file?.maxLength;
  if (length === undefined) {
    if (truncation !== undefined) {
      throw new InvalidInputError(`truncation '${truncation}' needs maxLength (tokenizer.json sets none)`);
    }
    return { enabled: false, maxLength: 0, strategy: 'longest_first' };
  }
  return { enabled: true, maxLength: length, strategy: truncation ?? file?.strategy ?? 'longest_first' };
}

function toEncoding(ids: Int32Array): Encoding {
  return { ids, attentionMask: new Uint8Array(ids.length).fill(1) };
}

export class Tokenizer {
  /** The addon object; the scorer shares it so both use one core tokenizer. */
  readonly native: NativeTokenizer;
  /** Truncation in force, or null. */
  readonly truncation: { maxLength: number; strategy: TruncationStrategy } | null;

  private constructor(native: NativeTokenizer, truncation: NativeTokenizerSpec['truncation']) {
    this.native = native;
    this.truncation = truncation.enabled ? { maxLength: truncation.maxLength, strategy: truncation.strategy } : null;
  }

  /** Reads and validates tokenizer.json. */
  static async fromFile(path: string, opts: TokenizerOptions = {}): Promise<Tokenizer> {
    if (typeof path !== 'string' || path.length === 0) throw new InvalidInputError('fromFile needs a tokenizer.json path');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new TokenizerError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    return Tokenizer.fromJSON(text, opts);
  }

  /** Builds a tokenizer from tokenizer.json text or its parsed object. */
  static fromJSON(json: string | object, opts: TokenizerOptions = {}): Tokenizer {
    if (typeof json !== 'string' && (typeof json !== 'object' || json === null)) {
      throw new InvalidInputError('fromJSON needs tokenizer.json text or an object');
    }
    const { spec, fileTruncation } = parseTokenizerJson(json);
    const truncation = resolveTruncation(opts, fileTruncation);
    let native: NativeTokenizer;
    try {
      native = new (loadAddon().Tokenizer)({ ...spec, truncation });
    } catch (e) {
      throw fromNative(e);
    }
    return new Tokenizer(native, truncation);
  }

  /** Encodes one text, or a pair, with special tokens and truncation. */
  encode(text: string, pair?: string): Encoding {
    if (typeof text !== 'string') throw new InvalidInputError('encode: text must be a string');
    if (pair !== undefined && typeof pair !== 'string') throw new InvalidInputError('encode: pair must be a string or undefined');
    try {
      return toEncoding(pair === undefined ? this.native.encode(text) : this.native.encode(text, pair));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * The tokenizer.json normalizer alone, on the whole text (added tokens are
   * not split out first), like HF's `normalizer.normalize_str`: what the
   * model's pre-tokenizer would see. Text with no normalizer comes back as is.
   */
  normalize(text: string): string {
    if (typeof text !== 'string') throw new InvalidInputError('normalize: text must be a string');
    try {
      return this.native.normalize(text);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Encodes many items on native threads and returns them packed: item i is
   * `ids.subarray(offsets[i], offsets[i + 1])`. The strings cross the native
   * boundary once per call and the ids come back in one typed array, so a
   * batch costs no per-item JS objects. `threads`: 0 (default) = all cores.
   */
  async encodeBatchPacked(items: BatchItem[], opts: { threads?: number } = {}): Promise<PackedEncodings> {
    if (!Array.isArray(items)) throw new InvalidInputError('encodeBatch: items must be an array');
    const threads = opts?.threads ?? 0;
    if (!Number.isInteger(threads) || threads < 0 || threads > 1024) {
      throw new InvalidInputError(`encodeBatch: threads must be an integer in 0..1024 (got ${String(threads)})`);
    }
    if (items.length === 0) return { ids: new Int32Array(0), offsets: new Uint32Array(1) };
    // All singles (the common case) pass no seconds array at all.
    let seconds: (string | undefined)[] | undefined;
    let firsts: string[] = items as string[];
    for (let i = 0; i < items.length; i++) {
      const item: unknown = items[i];
      if (typeof item === 'string') {
        if (seconds) {
          firsts[i] = item;
          seconds[i] = undefined;
        }
      } else if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && typeof item[1] === 'string') {
        if (!seconds) {
          firsts = (items as unknown[]).slice(0, i) as string[];
          firsts.length = items.length;
          seconds = new Array(items.length).fill(undefined);
        }
        firsts[i] = item[0];
        seconds[i] = item[1];
      } else {
        throw new InvalidInputError(`encodeBatch: items[${i}] must be a string or a [string, string] pair`);
      }
    }
    try {
      return await this.native.encodeBatch(firsts, seconds, threads);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Encodes many items on native threads; one call across the native boundary, one object per item. */
  async encodeBatch(items: BatchItem[], opts: { threads?: number } = {}): Promise<Encoding[]> {
    const packed = await this.encodeBatchPacked(items, opts);
    const out: Encoding[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      out[i] = toEncoding(packed.ids.slice(packed.offsets[i], packed.offsets[i + 1]));
    }
    return out;
  }

  get padId(): number {
    return this.native.padId;
  }

  /** Max id + 1 over the vocab and added tokens. */
  get vocabSize(): number {
    return this.native.vocabSize;
  }
}
