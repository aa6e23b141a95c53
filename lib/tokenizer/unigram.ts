// tokenizer.json parts of the SentencePiece family (XLM-R, T5, mMiniLM):
// the Unigram model, the Metaspace pre-tokenizer and the simple normalizers
// those files chain in a Sequence. Every rejection names the field.
import type { NativeNormalizerSpec, NativeNormalizerStep, NativeTokenizerSpec } from '../native.js';
import { fail, isObject, optBool, type Json } from './json-checks.js';

export interface ParsedUnigram {
  model: 'unigram';
  vocab: string[];
  vocabIds: Int32Array;
  scores: Float64Array;
  unkId: number;
  byteFallback: boolean;
  /** token -> id as HF's model sees it (a repeated piece keeps its last id). */
  vocabObj: Record<string, unknown>;
}

/** Unigram: `vocab` is [[piece, score], ...] and a piece's id is its position. */
export function parseUnigram(model: Json): ParsedUnigram {
  const list = model.vocab;
  if (!Array.isArray(list)) fail('model.vocab must be an array of [piece, score] pairs for a Unigram model');
  const vocab: string[] = new Array(list.length);
  const scores = new Float64Array(list.length);
  const vocabIds = new Int32Array(list.length);
  // Null prototype: a piece named "__proto__" is just a key.
  const vocabObj = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < list.length; i++) {
    const e: unknown = list[i];
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || typeof e[1] !== 'number' || !Number.isFinite(e[1])) {
      fail(`model.vocab[${i}] must be [piece, finite score]`);
    }
    vocab[i] = e[0];
    scores[i] = e[1];
    vocabIds[i] = i;
    vocabObj[e[0]] = i;
  }
  const unk = model.unk_id;
  let unkId = -1;
  if (unk !== undefined && unk !== null) {
    if (typeof unk !== 'number' || !Number.isInteger(unk) || unk < 0 || unk >= list.length) {
      fail(`model.unk_id must be null or an index into model.vocab (0..${list.length - 1})`);
    }
    unkId = unk;
  }
  return { model: 'unigram', vocab, vocabIds, scores, unkId, byteFallback: optBool(model, 'byte_fallback', 'model', false), vocabObj };
}

type Metaspace = NonNullable<NativeTokenizerSpec['metaspace']>;

function parseMetaspace(p: Json, where: string): Metaspace {
  const replacement = p.replacement ?? '\u2581';
  if (typeof replacement !== 'string' || [...replacement].length !== 1) fail(`${where}.replacement must be one character`);
  let prependScheme: Metaspace['prependScheme'] = 'always';
  if (p.prepend_scheme === 'always' || p.prepend_scheme === 'first' || p.prepend_scheme === 'never') {
    prependScheme = p.prepend_scheme;
  } else if (p.prepend_scheme !== undefined && p.prepend_scheme !== null) {
    fail(`${where}.prepend_scheme must be "always", "first" or "never"`);
  }
  // Older files say add_prefix_space; HF 0.23 reads a missing prepend_scheme
  // as "always" and rejects an add_prefix_space that contradicts it.
  const legacy = p.add_prefix_space;
  if (legacy !== undefined && legacy !== null) {
    if (typeof legacy !== 'boolean') fail(`${where}.add_prefix_space must be a boolean`);
    if (legacy !== (prependScheme !== 'never')) fail(`${where}.add_prefix_space does not match prepend_scheme ${JSON.stringify(prependScheme)}`);
  }
  return { replacement, prependScheme, split: optBool(p, 'split', where, true) };
}

/** A Unigram model's pre-tokenizer: Metaspace (alone or as a one-member Sequence), or none. */
export function parseUnigramPreTokenizer(p: unknown): Pick<NativeTokenizerSpec, 'preTokenizer' | 'metaspace'> {
  if (p === undefined || p === null) return { preTokenizer: 'none' };
  if (!isObject(p)) fail('pre_tokenizer must be an object or null');
  if (p.type === 'Metaspace') return { preTokenizer: 'metaspace', metaspace: parseMetaspace(p, 'pre_tokenizer') };
  if (p.type === 'Sequence' && Array.isArray(p.pretokenizers)) {
    const list = p.pretokenizers;
    if (list.length === 0) return { preTokenizer: 'none' };
    if (list.length === 1 && isObject(list[0]) && list[0].type === 'Metaspace') {
      return { preTokenizer: 'metaspace', metaspace: parseMetaspace(list[0], 'pre_tokenizer.pretokenizers[0]') };
    }
    // T5's files: split on whitespace, then Metaspace each word.
    if (list.length === 2 && isObject(list[0]) && list[0].type === 'WhitespaceSplit' && isObject(list[1]) && list[1].type === 'Metaspace') {
      const metaspace = parseMetaspace(list[1], 'pre_tokenizer.pretokenizers[1]');
      return { preTokenizer: 'metaspace', metaspace: { ...metaspace, whitespaceSplit: true } };
    }
  }
  const kind = isObject(p) && p.type === 'Sequence' ? 'a Sequence other than [Metaspace] or [WhitespaceSplit, Metaspace]' : JSON.stringify(p.type);
  fail(`pre_tokenizer of a Unigram model must be Metaspace, [WhitespaceSplit, Metaspace] or null (got ${kind})`);
}

function parseStep(n: unknown, where: string, out: NativeNormalizerStep[]): void {
  if (!isObject(n)) fail(`${where} must be an object`);
  switch (n.type) {
    case 'Sequence': {
      if (!Array.isArray(n.normalizers)) fail(`${where}.normalizers must be an array`);
      n.normalizers.forEach((m: unknown, i: number) => parseStep(m, `${where}.normalizers[${i}]`, out));
      return;
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      out.push({ kind: n.type.toLowerCase() as 'nfc' | 'nfd' | 'nfkc' | 'nfkd' });
      return;
    case 'Lowercase':
      out.push({ kind: 'lowercase' });
      return;
    case 'Strip':
      out.push({ kind: 'strip', left: optBool(n, 'strip_left', where, true), right: optBool(n, 'strip_right', where, true) });
      return;
    case 'Prepend':
      if (typeof n.prepend !== 'string') fail(`${where}.prepend must be a string`);
      out.push({ kind: 'prepend', content: n.prepend });
      return;
    case 'Replace': {
      if (typeof n.content !== 'string') fail(`${where}.content must be a string`);
      const pattern = isObject(n.pattern) ? n.pattern : {};
      if (typeof pattern.String === 'string') {
        if (pattern.String === '') fail(`${where}.pattern must be {"String": non-empty text}`);
        out.push({ kind: 'replace', pattern: pattern.String, content: n.content });
      } else if (typeof pattern.Regex === 'string') {
        out.push({ kind: 'replace', ...parseReplaceRegex(pattern.Regex, where), content: n.content });
      } else {
        fail(`${where}.pattern must be {"String": text} or {"Regex": text}`);
      }
      return;
    }
    case 'Nmt':
      out.push({ kind: 'nmt' });
      return;
    case 'Precompiled':
      out.push({ kind: 'precompiled', charsmap: decodeCharsmap(n.precompiled_charsmap, where) });
      return;
    default:
      fail(`${where}.type ${JSON.stringify(n.type)} is not supported with a Unigram model (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, Replace, Prepend, Nmt, Precompiled)`);
  }
}

const REGEX_META = /[\\^$.|?*+()[\]{}]/;

/**
 * The regexes Replace steps use in SentencePiece-family files, without a
 * regex engine: a literal (no metacharacters), or one character repeated,
 * "x+" or "x{n,}" (the converter's " {2,}"), with the character possibly
 * escaped ("\\.{2,}"). Greedy leftmost matching of those is exactly "each run
 * of n or more x becomes one replacement". Anything else is refused by name.
 */
function parseReplaceRegex(re: string, where: string): { pattern: string; minRepeat?: number } {
  if (re !== '' && !REGEX_META.test(re)) return { pattern: re };
  const m = /^(?:\\([^A-Za-z0-9])|([^\\^$.|?*+()[\]{}]))(?:\{(\d{1,4}),\}|(\+))$/u.exec(re);
  if (m) {
    const min = m[4] ? 1 : Number(m[3]);
    if (min >= 1) return { pattern: m[1] ?? m[2], minRepeat: min };
  }
  fail(`${where}: Replace with the regex ${JSON.stringify(re)} is not supported; supported are literals and one character repeated ("x+", "x{n,}")`);
}

/** SentencePiece's precompiled_charsmap: standard base64, decoded as strictly as HF does. */
function decodeCharsmap(v: unknown, where: string): Uint8Array {
  if (typeof v !== 'string') fail(`${where}.precompiled_charsmap must be a base64 string`);
  if (v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) fail(`${where}.precompiled_charsmap is not valid base64`);
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length < 4) fail(`${where}.precompiled_charsmap is shorter than its 4-byte header`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** A Unigram model's normalizer, flattened to one list of steps. */
export function parseSequenceNormalizer(n: unknown): NativeNormalizerSpec {
  if (n === undefined || n === null) return { kind: 'none' };
  const steps: NativeNormalizerStep[] = [];
  parseStep(n, 'normalizer', steps);
  return steps.length === 0 ? { kind: 'none' } : { kind: 'sequence', steps };
}
