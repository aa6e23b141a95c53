// Unigram (SentencePiece) parity with HF tokenizers 0.23, on tokenizer.json
// files built here (support/unigram-json.ts: GPT-2's pieces as text,
// scores in quarter steps so ties are common), in four pipeline shapes:
//   xlmr   NFKC, Metaspace(always), XLM-R template
//   t5     Strip + Replace + Lowercase + NFC, Metaspace(first), T5 template, byte fallback
//   llama  NFKD + Prepend('▁') + Replace(' ' -> '▁'), no pre-tokenizer, byte fallback, a two-id special
//   plain  NFD + Lowercase + left Strip, Metaspace(never, no split), no post-processor
// against the 10k parity corpus (singles and pairs), with truncation at
// several lengths (odd budgets included) and all three strategies, plus code
// points in context through NFKC.
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { makeCorpus } from '../../support/corpus.js';
import { MULTI_TEMPLATE, T5_TEMPLATE, buildUnigramTokenizerJson, metaspace } from '../../support/unigram-json.js';
import { Hf } from '../../support/hf.js';
import { compareUnigram } from '../support/unigram-compare.js';
import { sameIds as same } from '../support/same-ids.js';

const corpus = makeCorpus(10_000, 4242);
// CI compares all code points below U+3400 (where marks and compatibility
// forms crowd) and every 13th above; CAPPY_UNIGRAM_ALL_CODE_POINTS=1 takes
// all 1.1M (about a minute of CPU).
const ALL_CODE_POINTS = process.env.CAPPY_UNIGRAM_ALL_CODE_POINTS === '1';
const texts = corpus.flatMap((x) => (typeof x === 'string' ? [x] : x)).slice(0, 4_000);

export const CONFIGS: Record<string, Record<string, unknown>> = {
  xlmr: buildUnigramTokenizerJson({ texts, normalizer: { type: 'NFKC' } }),
  t5: buildUnigramTokenizerJson({
    texts,
    byteFallback: true,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Strip', strip_left: true, strip_right: true },
        { type: 'Replace', pattern: { String: '``' }, content: '"' },
        { type: 'Lowercase' },
        { type: 'NFC' },
      ],
    },
    preTokenizer: metaspace('first'),
    postProcessor: T5_TEMPLATE,
  }),
  llama: buildUnigramTokenizerJson({
    texts,
    byteFallback: true,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKD' },
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
      ],
    },
    preTokenizer: null,
    postProcessor: MULTI_TEMPLATE,
  }),
  plain: buildUnigramTokenizerJson({
    texts,
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'Strip', strip_left: true, strip_right: false }],
    },
    preTokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'never', add_prefix_space: false, split: false },
    postProcessor: null,
  }),
};

describe('Unigram parity with HF tokenizers 0.23', () => {
  it('builds realistic vocabularies', () => {
    const vocab = (CONFIGS.t5.model as { vocab: [string, number][] }).vocab;
    expect(vocab.length).toBeGreaterThan(45_000);
    expect(vocab.some(([p]) => p === '<0xFF>')).toBe(true);
    expect(vocab.filter(([p]) => p.startsWith('\u2581')).length).toBeGreaterThan(10_000);
    // Equal scores are common, so ties decide many segmentations.
    expect(new Set(vocab.map(([, s]) => s)).size).toBeLessThan(200);
  });

  for (const name of Object.keys(CONFIGS)) {
    it(`${name}: identical ids on the 10k corpus untruncated, and on 5k at longest_first 512 or 23`, async () => {
      for (const maxLength of [undefined, name === 'xlmr' || name === 'llama' ? 23 : 512]) {
        // Truncated: the first 5k items (its pairs are what truncation tests).
        const items = maxLength ? corpus.slice(0, 5_000) : corpus;
        const bad = await compareUnigram(CONFIGS[name], items, maxLength);
        console.log(`unigram ${name} max ${maxLength ?? 'none'}: ${items.length} items compared, ${bad.length} mismatches`);
        expect(bad.slice(0, 5)).toEqual([]);
      }
    });
  }

  it('only_first and only_second at several lengths, errors where HF errors (xlmr, t5)', async () => {
    const pairs = corpus.filter((x) => typeof x !== 'string').slice(0, 800);
    for (const name of ['xlmr', 't5']) {
      for (const [maxLength, strategy] of [
        [64, 'only_first'],
        [64, 'only_second'],
        [17, 'only_first'],
        [200, 'only_second'],
        [23, 'longest_first'],
      ] as const) {
        const bad = await compareUnigram(CONFIGS[name], pairs, maxLength, strategy);
        console.log(`unigram ${name} ${strategy} ${maxLength}: ${pairs.length} pairs compared, ${bad.length} mismatches`);
        expect(bad.slice(0, 5)).toEqual([]);
      }
    }
  });

  it(`${ALL_CODE_POINTS ? 'every code point' : 'code points below U+3400 and every 13th above'} in context: NFKC + Lowercase + byte fallback, marks around it to reorder and compose`, async () => {
    const json = structuredClone(CONFIGS.t5);
    json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] };
    const items: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff && cp % 64 !== 0) continue; // lone surrogates: a sample
      if (!ALL_CODE_POINTS && cp >= 0x3400 && cp % 13 !== 0) continue;
      const c = String.fromCodePoint(cp);
      items.push(`a${c}\u0301b ${c}\u0334\u0345${c}`);
    }
    const text = JSON.stringify(json);
    const hf = Hf.fromString(text);
    const ours = Tokenizer.fromJSON(text);
    const badCodePoints: string[] = [];
    for (let i = 0; i < items.length; i += 65_536) {
      const chunk = items.slice(i, i + 65_536);
      const [want, got] = await Promise.all([hf.encodeBatch(chunk), ours.encodeBatchPacked(chunk)]);
      for (let k = 0; k < chunk.length; k++) {
        if (!same(want[k].getIds(), got.ids.subarray(got.offsets[k], got.offsets[k + 1]))) {
          badCodePoints.push('U+' + chunk[k].codePointAt(1)!.toString(16).toUpperCase());
        }
      }
    }
    console.log(`unigram code points: ${items.length} strings compared, ${badCodePoints.length} differ`);
    expect(badCodePoints.slice(0, 20)).toEqual([]);
  }, 300_000);
});
