// Parity with HF tokenizers (npm `tokenizers`, the official Rust binding) on
// the same full-size RoBERTa tokenizer.json: a 10k-item seeded corpus with and
// without truncation, both merge forms, and every code point in context.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer, type TruncationStrategy } from '../../lib/tokenizer/index.js';
import { TokenizerError } from '../../lib/errors/index.js';
import { diffContexts, type CodePointContext, type EncodeBoth } from '../support/code-points.js';
import { makeCorpus, type CorpusItem } from '../../support/corpus.js';
import { buildRobertaTokenizerJson } from '../support/roberta-tokenizer-json.js';
import { Hf, type HfTokenizer } from '../../support/hf.js';
import { sameIds as same } from '../support/same-ids.js';

const HF_STRATEGY: Record<TruncationStrategy, string> = {
  longest_first: 'LongestFirst',
  only_first: 'OnlyFirst',
  only_second: 'OnlySecond',
};

const jsonText = JSON.stringify(buildRobertaTokenizerJson());
const corpus = makeCorpus(10_000);

function hf(maxLength?: number, strategy?: TruncationStrategy): HfTokenizer {
  const t = Hf.fromString(jsonText);
  if (maxLength !== undefined && strategy) t.setTruncation(maxLength, { strategy: HF_STRATEGY[strategy] });
  return t;
}

/** HF ids per item, null where HF raised. Its Node encodeBatch takes no pairs, so pairs go one by one. */
async function hfIds(t: HfTokenizer, items: CorpusItem[]): Promise<(number[] | null)[]> {
  const out: (number[] | null)[] = [];
  for (let i = 0; i < items.length; i += 512) {
    const chunk = items.slice(i, i + 512);
    const done = await Promise.all(
      chunk.map((x) =>
        (typeof x === 'string' ? t.encode(x, null, { addSpecialTokens: true }) : t.encode(x[0], x[1], { addSpecialTokens: true })).then(
          (e) => e.getIds(),
          () => null,
        ),
      ),
    );
    out.push(...done);
  }
  return out;
}

/** Our ids per item, null where ours raised a TokenizerError. */
function oursOneByOne(t: Tokenizer, items: CorpusItem[]): (Int32Array | null)[] {
  return items.map((x) => {
    try {
      return typeof x === 'string' ? t.encode(x).ids : t.encode(x[0], x[1]).ids;
    } catch (e) {
      if (!(e instanceof TokenizerError)) throw e;
      return null;
    }
  });
}

function mismatches(items: CorpusItem[], want: (ArrayLike<number> | null)[], got: (ArrayLike<number> | null)[]): string[] {
  const bad: string[] = [];
  for (let i = 0; i < items.length; i++) {
    if (!same(want[i], got[i])) {
      bad.push(
        `#${i} ${JSON.stringify(items[i]).slice(0, 120)}\n  hf   ${want[i] && Array.from(want[i]!).slice(0, 24)}\n  ours ${got[i] && Array.from(got[i]!).slice(0, 24)}`,
      );
    }
  }
  return bad;
}

describe('tokenizer parity with HF tokenizers 0.23', () => {
  let untruncated: (number[] | null)[];
  beforeAll(async () => {
    untruncated = await hfIds(hf(), corpus);
  });

  it('uses a corpus of at least 10,000 items with pairs and long texts', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(10_000);
    expect(corpus.filter((x) => typeof x !== 'string').length).toBeGreaterThan(2_000);
    expect(untruncated.filter((ids) => ids !== null && ids.length > 512).length).toBeGreaterThan(200);
  });

  it('gives identical ids without truncation (encodeBatch)', async () => {
    const ours = await Tokenizer.fromJSON(jsonText).encodeBatch(corpus, { threads: 2 });
    const bad = mismatches(
      corpus,
      untruncated,
      ours.map((e) => e.ids),
    );
    console.log(`no truncation: ${corpus.length} items compared, ${bad.length} mismatches`);
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('gives identical ids with longest_first at 512 (encodeBatch)', async () => {
    const want = await hfIds(hf(512, 'longest_first'), corpus);
    const ours = await Tokenizer.fromJSON(jsonText, { maxLength: 512 }).encodeBatch(corpus);
    const bad = mismatches(
      corpus,
      want,
      ours.map((e) => e.ids),
    );
    console.log(`longest_first 512: ${corpus.length} items compared, ${bad.length} mismatches`);
    expect(bad.slice(0, 5)).toEqual([]);
    expect(ours.every((e) => e.ids.length <= 512)).toBe(true);
  });

  for (const strategy of ['only_first', 'only_second'] as const) {
    it(`gives identical ids and the same errors with ${strategy} at 512`, async () => {
      const want = await hfIds(hf(512, strategy), corpus);
      const got = oursOneByOne(Tokenizer.fromJSON(jsonText, { maxLength: 512, truncation: strategy }), corpus);
      const bad = mismatches(corpus, want, got);
      const errors = want.filter((x) => x === null).length;
      console.log(`${strategy} 512: ${corpus.length} items compared, ${errors} HF errors, ${bad.length} mismatches`);
      expect(errors).toBeGreaterThan(0); // the error path really is exercised
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }

  it('loads merges in both the "a b" and ["a", "b"] forms, with the same ids', async () => {
    const asStrings = JSON.stringify(buildRobertaTokenizerJson({ mergesAsStrings: true }));
    const sample = corpus.slice(0, 3_000);
    const ours = await Tokenizer.fromJSON(asStrings).encodeBatch(sample);
    const hfStrings = await hfIds(Hf.fromString(asStrings), sample);
    expect(
      mismatches(
        sample,
        hfStrings,
        ours.map((e) => e.ids),
      ).slice(0, 5),
    ).toEqual([]);
    expect(
      mismatches(
        sample,
        untruncated.slice(0, 3_000),
        ours.map((e) => e.ids),
      ).slice(0, 5),
    ).toEqual([]);
  });

  it('agrees with add_prefix_space, single_word/rstrip/lstrip tokens and ids HF assigns itself', async () => {
    const j = buildRobertaTokenizerJson() as { pre_tokenizer: { add_prefix_space: boolean }; added_tokens: object[] };
    j.pre_tokenizer.add_prefix_space = true;
    const token = (content: string, o: object) => ({
      id: 7,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: false,
      ...o,
    });
    // The ids written here are wrong on purpose: HF numbers tokens missing from the vocab itself.
    j.added_tokens.unshift(token('firstnew', {}));
    // Only two new tokens: a third would get 50264, <mask>'s id, in this gapped layout.
    j.added_tokens.push(
      token('zzzword', { single_word: true, rstrip: true }),
      token('hello', { lstrip: true, normalized: false, special: true }),
    );
    const text = JSON.stringify(j);
    const extra = [
      'a zzzword b',
      'azzzword b',
      'zzzword_',
      'x zzzword  \t y',
      'zzzwordé',
      'é zzzword',
      'q  hello firstnew',
      'sayhello  hello',
      '<s>x',
      'x<mask>y',
    ];
    const sample: CorpusItem[] = [...extra, ...corpus.slice(0, 2_500)];
    const want = await hfIds(Hf.fromString(text), sample);
    const got = await Tokenizer.fromJSON(text).encodeBatch(sample);
    const bad = mismatches(
      sample,
      want,
      got.map((e) => e.ids),
    );
    console.log(`add_prefix_space + extra added tokens: ${sample.length} items compared, ${bad.length} mismatches`);
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it("tokenizes every code point identically, in `a${c}b`, `${c}${c} x` and `${c}'s`", async () => {
    const hfTok = hf();
    const ours = Tokenizer.fromJSON(jsonText);
    const badCodePoints = new Set<string>();
    let compared = 0;
    const STEP = 0x8000;
    const encodeBoth: EncodeBoth = (strs) =>
      Promise.all([hfTok.encodeBatch(strs), ours.native.encodeBatch(strs, new Array(strs.length), 0)]);
    for (let base = 0; base <= 0x10ffff; base += STEP) {
      const contexts: CodePointContext[] = [];
      for (let cp = base; cp < base + STEP && cp <= 0x10ffff; cp++) {
        const c = String.fromCodePoint(cp); // lone surrogates included: both sides see U+FFFD
        // `${c}'s` tells letters and numbers from "other": only after other
        // characters does the apostrophe join the run and split the contraction.
        for (const text of [`a${c}b`, `${c}${c} x`, `${c}'s`]) contexts.push({ text, cp });
      }
      await diffContexts(contexts, encodeBoth, badCodePoints);
      compared += contexts.length;
    }
    console.log(`code points: ${compared} contexts compared, ${badCodePoints.size} code points differ`);
    expect([...badCodePoints].slice(0, 20)).toEqual([]);
  }, 600_000);
});
