// SentencePiece-family normalizers against HF tokenizers 0.23 as the oracle:
// Precompiled (a charsmap built here, support/charsmap.ts, read by both
// sides from the same bytes), Nmt, Replace with a repeat regex (" {2,}"), and
// T5's [WhitespaceSplit, Metaspace] pre-tokenizer. HF's normalizers are
// compared string for string (its Node binding exposes normalizeString);
// whole tokenizer.json pipelines are compared id for id on the 10k corpus.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { buildCharsmap, buildNfkcCharsmap, charsmapBase64 } from '../../support/charsmap.js';
import { makeCorpus } from '../../support/corpus.js';
import { T5_TEMPLATE, buildUnigramTokenizerJson, metaspace } from '../../support/unigram-json.js';
import { compareUnigram } from '../support/unigram-compare.js';

const require = createRequire(import.meta.url);
interface HfNormalizer {
  normalizeString(s: string): string;
}
const hf = require('tokenizers') as { precompiled(bytes: number[]): HfNormalizer; nmt(): HfNormalizer };

const corpus = makeCorpus(10_000, 777);
const texts = corpus.flatMap((x) => (typeof x === 'string' ? [x] : x)).slice(0, 4_000);

// Multi-character keys (real nmt_nfkc maps carry some), including keys that
// are prefixes of others, so "the shortest key wins" is exercised.
const EXTRA: [string, string][] = [
  ['e\u0301', '\u00e9'],
  ['a\u0308', '\u00e4'],
  ['\u00a0', ' '],
  ['o\u0302\u0301', '\u1ed1'],
  ['\u0915\u093c', '\u0958'],
];
const NFKC_BLOB = buildNfkcCharsmap(EXTRA);

/** Our normalizer for a Sequence of `steps`, through a minimal Unigram tokenizer.json. */
function ours(steps: object[]): Tokenizer {
  return Tokenizer.fromJSON({
    normalizer: { type: 'Sequence', normalizers: steps },
    pre_tokenizer: null,
    post_processor: null,
    added_tokens: [],
    model: {
      type: 'Unigram',
      unk_id: 0,
      vocab: [
        ['<unk>', 0],
        ['a', -1],
      ],
    },
  });
}
const precompiledStep = (blob: Uint8Array) => ({ type: 'Precompiled', precompiled_charsmap: charsmapBase64(blob) });

/** Contexts `group` to a string, joined by '\n' (a cluster break on both sides); a differing group is redone one by one. */
function diffNormalized(contexts: string[], a: (s: string) => string, b: (s: string) => string, group = 64): string[] {
  const bad: string[] = [];
  for (let i = 0; i < contexts.length; i += group) {
    const joined = contexts.slice(i, i + group).join('\n');
    if (a(joined) === b(joined)) continue;
    for (const c of contexts.slice(i, i + group)) {
      if (a(c) !== b(c) && bad.length < 20) bad.push(`${JSON.stringify(c)}: hf ${JSON.stringify(a(c))} ours ${JSON.stringify(b(c))}`);
    }
  }
  return bad;
}

function everyCodePoint(): string[] {
  const out: string[] = [];
  for (let cp = 1; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) out.push(String.fromCodePoint(cp));
  return out;
}

describe('Precompiled charsmap (SentencePiece) vs HF tokenizers', () => {
  it('the built charsmap says what it was built to say, as HF reads it', () => {
    const hfNorm = hf.precompiled(Array.from(NFKC_BLOB));
    expect(hfNorm.normalizeString('\uff28\uff45\uff4c\uff4c\uff4f')).toBe('Hello');
    expect(hfNorm.normalizeString('\ufb01')).toBe('fi');
    expect(hfNorm.normalizeString('a\u0007b')).toBe('ab');
    expect(hfNorm.normalizeString('\u2460')).toBe('1');
    // A cluster whose first character is a key is replaced whole by the
    // shortest key's value: HF's rule, which drops the mark here.
    expect(hfNorm.normalizeString('\ufb01\u0301')).toBe('fi');
    expect(hfNorm.normalizeString('plain ascii')).toBe('plain ascii');
  });

  it('every code point alone and in contexts normalizes as HF does (NFKC-shaped charsmap)', () => {
    const hfNorm = hf.precompiled(Array.from(NFKC_BLOB));
    const t = ours([precompiledStep(NFKC_BLOB)]);
    const contexts = everyCodePoint().flatMap((c) => [c, `a${c}`, `${c}\u0301`]);
    expect(
      diffNormalized(
        contexts,
        (s) => hfNorm.normalizeString(s),
        (s) => t.normalize(s),
      ),
    ).toEqual([]);
  });

  it('grapheme clusters are cut where HF cuts them: every code point after and before short text', () => {
    // Every lead byte and ASCII byte is a key for '#': each cluster under 6
    // bytes becomes one '#', longer ones one '#' per character, so the output
    // spells out where HF (unicode-segmentation) ends each small cluster.
    const bytes = [...Array(0x80).keys()].slice(1).concat([...Array(0xf5 - 0xc2).keys()].map((k) => 0xc2 + k));
    const blob = buildCharsmap(bytes.map((b) => [Uint8Array.of(b), '#'] as const));
    const hfNorm = hf.precompiled(Array.from(blob));
    const t = ours([precompiledStep(blob)]);
    const contexts = everyCodePoint().flatMap((c) => [`a${c}`, `${c}a`, `\u00e9${c}`, `${c}\u0301`, `${c}\u0308\u0301`]);
    expect(
      diffNormalized(
        contexts,
        (s) => hfNorm.normalizeString(s),
        (s) => t.normalize(s),
      ),
    ).toEqual([]);
    expect(hfNorm.normalizeString('e\u0301x')).toBe('##'); // a sanity check of the probe itself
  });

  it('random strings from a pool of tricky code points normalize as HF does (fuzz)', () => {
    const hfNorm = hf.precompiled(Array.from(NFKC_BLOB));
    const t = ours([precompiledStep(NFKC_BLOB)]);
    const pool = [
      'a',
      'e',
      'o',
      'x',
      ' ',
      '\t',
      '\r',
      '\n',
      '\u0007',
      '\u0000',
      '\u00a0',
      '\u0301',
      '\u0302',
      '\u0308',
      '\u093c',
      '\u094d',
      '\u0915',
      '\u0924',
      '\u0937',
      '\u093f',
      '\u0e33',
      '\u0e01',
      '\u1100',
      '\u1161',
      '\u11a8',
      '\uac00',
      '\uac01',
      '\u200d',
      '\u200c',
      '\ufe0f',
      '\ufb01',
      '\uff21',
      '\u2460',
      '\u3000',
      '\u{1f600}',
      '\u{1f3fb}',
      '\u{1f1eb}',
      '\u{1f1f7}',
      '\u{110bd}',
      '\u0600',
      '\u{11a3a}',
      '\u00e9',
      '\u0130',
      '\u2126',
      '\uffff',
      '\u{e0100}',
      '\u{e0001}',
      '\u0345',
      '\u05b0',
      '<s>',
      'e\u0301',
      'o\u0302\u0301',
    ];
    let seed = 99;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const strings = Array.from({ length: Number(process.env.CAPPY_FUZZ_STRINGS ?? 50_000) }, () =>
      Array.from({ length: 1 + rnd(12) }, () => pool[rnd(pool.length)]).join(''),
    );
    expect(
      diffNormalized(
        strings,
        (s) => hfNorm.normalizeString(s),
        (s) => t.normalize(s),
        32,
      ),
    ).toEqual([]);
  });

  it('refuses charsmaps HF refuses, with the field named', () => {
    const bad = (charsmap: string) => () => ours([{ type: 'Precompiled', precompiled_charsmap: charsmap }]);
    expect(bad('AAA')).toThrow(/precompiled_charsmap is not valid base64/);
    expect(bad('')).toThrow(/shorter than its 4-byte header/);
    expect(bad(Buffer.from([0xff, 0, 0, 0, 1]).toString('base64'))).toThrow(/runs past the end/);
    const notUtf8 = Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from([0xc3, 0x28])]);
    expect(bad(notUtf8.toString('base64'))).toThrow(/not UTF-8/);
  });

  it('a corrupt trie costs a wrong string, never a crash', () => {
    let seed = 5;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let k = 0; k < 200; k++) {
      const blob = Uint8Array.from(NFKC_BLOB.subarray(0, 4 + 4096 + 0));
      new DataView(blob.buffer).setUint32(0, 4096, true);
      for (let j = 0; j < 64; j++) blob[4 + rnd(4096)] = rnd(256);
      const t = ours([precompiledStep(Uint8Array.from([...blob, ...new TextEncoder().encode('ab\0cd\0')]))]);
      expect(typeof t.normalize('Ｈｅｌｌｏ \ufb01 e\u0301 \u0915\u094d\u0937 \u{1f600}')).toBe('string');
    }
  });
});

describe('Nmt, the Unicode normal forms and Replace-run normalizers vs HF tokenizers', () => {
  it('NFC, NFD, NFKC and NFKD: every code point among marks that reorder and compose', () => {
    const forms = require('tokenizers') as Record<string, () => HfNormalizer>;
    // Marks of several combining classes around each code point, so stable
    // runs (copied whole) and the full algorithm meet at every boundary.
    const contexts = everyCodePoint().map((c) => `a${c}\u0301b ${c}\u0334\u0345${c}\u0323e\u0302`);
    for (const [type, make] of [
      ['NFC', 'nfcNormalizer'],
      ['NFD', 'nfdNormalizer'],
      ['NFKC', 'nfkcNormalizer'],
      ['NFKD', 'nfkdNormalizer'],
    ]) {
      const hfNorm = forms[make]();
      const t = ours([{ type }]);
      expect(
        diffNormalized(
          contexts,
          (s) => hfNorm.normalizeString(s),
          (s) => t.normalize(s),
        ),
        type,
      ).toEqual([]);
    }
  });

  it('Nmt: every code point in context', () => {
    const hfNorm = hf.nmt();
    const t = ours([{ type: 'Nmt' }]);
    const contexts = everyCodePoint()
      .filter((_, i) => i < 0x3000 || i % 7 === 0)
      .map((c) => `x${c}y`);
    expect(
      diffNormalized(
        contexts,
        (s) => hfNorm.normalizeString(s),
        (s) => t.normalize(s),
      ),
    ).toEqual([]);
  });

  it('Replace {"Regex": " {2,}"} and "x+" act as HF regexes', async () => {
    const items = ['a  b', '   lead', 'trail   ', 'one space', 'a     b  c d', 'xxx-xx-x', '', '  ', ' '];
    for (const [regex, content] of [
      [' {2,}', ' '],
      ['x+', 'Y'],
      ['\\.{3,}', '\u2026'],
      [' {1,}', '\u2581'],
    ] as const) {
      const json = buildUnigramTokenizerJson({
        texts,
        normalizer: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: regex }, content }] },
      });
      expect(await compareUnigram(json, [...items, 'a.....b', 'x...y', 'xx'])).toEqual([]);
    }
    expect(() => ours([{ type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }])).toThrow(/regex "\\\\s\+" is not supported/);
    expect(() => ours([{ type: 'Replace', pattern: { Regex: 'a{0,}' }, content: ' ' }])).toThrow(/not supported/);
  });
});

describe('SentencePiece-family tokenizer.json pipelines vs HF tokenizers (ids)', () => {
  const precompiled = precompiledStep(NFKC_BLOB);
  const PIPELINES: Record<string, Record<string, unknown>> = {
    // XLM-R / bge-reranker: Precompiled then collapse space runs.
    xlmr: buildUnigramTokenizerJson({
      texts,
      normalizer: { type: 'Sequence', normalizers: [precompiled, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    }),
    // T5: Precompiled alone, words split on whitespace before Metaspace.
    t5: buildUnigramTokenizerJson({
      texts,
      byteFallback: true,
      normalizer: precompiled,
      preTokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, metaspace('always')] },
      postProcessor: T5_TEMPLATE,
    }),
    // Nmt + NFKC (what the converter writes when a model has no charsmap), Metaspace "first".
    nmt: buildUnigramTokenizerJson({
      texts,
      normalizer: {
        type: 'Sequence',
        normalizers: [{ type: 'Nmt' }, { type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }],
      },
      preTokenizer: metaspace('first'),
    }),
  };
  const tricky = [
    '\u0007lead',
    '\u200bzero width',
    'ｆｕｌｌ\u3000width',
    'e\u0301t\u00e9',
    '\ufb01\u0301ne',
    '  two  spaces  ',
    '\t\ttabs\n\nlines',
    '<s>a</s>',
  ];
  for (const [name, json] of Object.entries(PIPELINES)) {
    it(`${name}: identical ids on the 10k corpus, and at longest_first 64`, async () => {
      const items = [...tricky, ...tricky.map((t) => [t, t] as [string, string]), ...corpus];
      expect((await compareUnigram(json, items)).slice(0, 5)).toEqual([]);
      expect((await compareUnigram(json, items.slice(0, 3000), 64)).slice(0, 5)).toEqual([]);
    });
  }
});
