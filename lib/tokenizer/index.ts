// The public Tokenizer: the native core reads tokenizer.json (every refusal
// names the field) and encodes with HF tokenizers' ids, exactly. TypeScript
// checks the options and hands over the file's path or text.
import { InvalidInputError, fromNative } from '../errors/index.js';
import { loadAddon, type NativeTokenizer, type NativeTokenizerInfo, type NativeTokenizerOptions } from '../native.js';
import { resolveOptions, type GivenOptions } from '../options/spec.js';
import { TOKENIZER_OPTIONS, type TruncationStrategy } from '../options/tokenizer.js';

export type { TruncationStrategy };

/** maxLength and truncation, declared in lib/options/tokenizer.ts with the Scorer's specs. */
export type TokenizerOptions = GivenOptions<typeof TOKENIZER_OPTIONS>;

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

// The options checked here, by the table; merging them with the file's
// truncation is the core's (a strategy with no length anywhere comes back as
// InvalidInputError).
function nativeOptions(opts: TokenizerOptions): NativeTokenizerOptions {
  const { maxLength, truncation } = resolveOptions(TOKENIZER_OPTIONS, opts, 'Tokenizer options', { strict: true });
  return { maxLength: maxLength ?? 0, truncation: truncation ?? '' };
}

function toEncoding(ids: Int32Array): Encoding {
  return { ids, attentionMask: new Uint8Array(ids.length).fill(1) };
}

export class Tokenizer {
  /** The addon object; the scorer shares it so both use one core tokenizer. */
  readonly native: NativeTokenizer;
  /** Truncation in force, or null. */
  readonly truncation: { maxLength: number; strategy: TruncationStrategy } | null;
  readonly #info: NativeTokenizerInfo;

  private constructor(native: NativeTokenizer) {
    this.native = native;
    this.#info = native.info;
    this.truncation = this.#info.truncation;
  }

  /** Reads tokenizer.json (on a native worker thread: a large file never blocks the event loop). */
  static async fromFile(path: string, opts: TokenizerOptions = {}): Promise<Tokenizer> {
    if (typeof path !== 'string' || path.length === 0) throw new InvalidInputError('fromFile needs a tokenizer.json path');
    const options = nativeOptions(opts);
    try {
      return new Tokenizer(await loadAddon().loadTokenizer({ path }, options));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Builds a tokenizer from tokenizer.json text (or its bytes, or a parsed object, which is serialized first). */
  static fromJSON(json: string | Uint8Array | object, opts: TokenizerOptions = {}): Tokenizer {
    if (typeof json !== 'string' && (typeof json !== 'object' || json === null)) {
      throw new InvalidInputError('fromJSON needs tokenizer.json text or an object');
    }
    const options = nativeOptions(opts);
    let text: string | Uint8Array;
    if (typeof json === 'string' || json instanceof Uint8Array) {
      text = json;
    } else {
      try {
        text = JSON.stringify(json);
      } catch (e) {
        throw new InvalidInputError(`fromJSON: the object cannot be written as JSON: ${(e as Error).message}`, { cause: e });
      }
    }
    try {
      return new Tokenizer(new (loadAddon().Tokenizer)({ json: text }, options));
    } catch (e) {
      throw fromNative(e);
    }
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
    return this.#info.padId;
  }

  /** Max id + 1 over the vocab and added tokens. */
  get vocabSize(): number {
    return this.#info.vocabSize;
  }
}
