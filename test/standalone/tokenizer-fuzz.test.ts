// Differential fuzzing against HF tokenizers: seeded random strings glued
// from a pool of tricky pieces (support/corpus.ts FUZZ_POOL), singles
// without truncation and pairs under longest_first at a small max length, so
// truncation and the pair template are fuzzed too, for byte-level BPE, for
// WordPiece and for Unigram (two pipelines). CI runs 20k strings each; the long run is the same test with more:
//
//   CAPPY_FUZZ_STRINGS=1000000 npx vitest run test/standalone/tokenizer-fuzz.test.ts
//
// (CAPPY_FUZZ_SEED picks another seed.) Any mismatch prints the string as
// JSON, so it can go straight into EDGE_STRINGS.
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { buildBertTokenizerJson } from '../../lib/forge/tokenizer-json.js';
import { fuzzString, makeCorpus, rng } from '../../support/corpus.js';
import { buildRobertaTokenizerJson } from '../support/roberta-tokenizer-json.js';
import { T5_TEMPLATE, buildUnigramTokenizerJson, metaspace } from '../../support/unigram-json.js';
import { Hf } from '../../support/hf.js';
import { sameIds as same } from '../support/same-ids.js';

const TOTAL = Number(process.env.CAPPY_FUZZ_STRINGS ?? 20_000);
const SEED = Number(process.env.CAPPY_FUZZ_SEED ?? 1);
const CHUNK = 20_000;
const PAIR_MAX = 24;

/** Fuzzes one tokenizer.json; returns [strings compared, mismatch reports]. */
export async function fuzzAgainstHf(jsonText: string, total: number, seed: number, pairMax = PAIR_MAX): Promise<[number, string[]]> {
  const r = rng(seed);
  const hf = Hf.fromString(jsonText);
  const hfPairs = Hf.fromString(jsonText);
  hfPairs.setTruncation(pairMax, { strategy: 'LongestFirst' });
  const ours = Tokenizer.fromJSON(jsonText);
  const oursPairs = Tokenizer.fromJSON(jsonText, { maxLength: pairMax });
  const bad: string[] = [];
  let compared = 0;
  for (let done = 0; done < total; done += CHUNK) {
    const n = Math.min(CHUNK, total - done);
    const singles: string[] = [];
    const pairs: [string, string][] = [];
    // One pair (two strings) for every ten singles.
    while (singles.length + 2 * pairs.length < n) {
      if (r() < 0.1 && singles.length + 2 * pairs.length + 2 <= n) pairs.push([fuzzString(r), fuzzString(r)]);
      else singles.push(fuzzString(r));
    }
    const [want, got] = await Promise.all([hf.encodeBatch(singles, { addSpecialTokens: true }), ours.encodeBatchPacked(singles)]);
    for (let i = 0; i < singles.length; i++) {
      const ids = got.ids.subarray(got.offsets[i], got.offsets[i + 1]);
      if (!same(want[i].getIds(), ids)) bad.push(`single ${JSON.stringify(singles[i])}: hf ${want[i].getIds()} ours ${Array.from(ids)}`);
    }
    const wantPairs = await Promise.all(pairs.map(([a, b]) => hfPairs.encode(a, b, { addSpecialTokens: true })));
    const gotPairs = await oursPairs.encodeBatchPacked(pairs);
    for (let i = 0; i < pairs.length; i++) {
      const ids = gotPairs.ids.subarray(gotPairs.offsets[i], gotPairs.offsets[i + 1]);
      if (!same(wantPairs[i].getIds(), ids))
        bad.push(`pair ${JSON.stringify(pairs[i])}: hf ${wantPairs[i].getIds()} ours ${Array.from(ids)}`);
    }
    compared += singles.length + 2 * pairs.length;
  }
  return [compared, bad];
}

describe('differential fuzzing against HF tokenizers', () => {
  it(
    `RoBERTa byte-level BPE: ${TOTAL} strings (seed ${SEED}), 0 mismatches`,
    async () => {
      // 23 - 4 = an odd budget (see the WordPiece case below).
      const [compared, bad] = await fuzzAgainstHf(JSON.stringify(buildRobertaTokenizerJson()), TOTAL, SEED, 23);
      console.log(`fuzz BPE: ${compared} strings compared (seed ${SEED}), ${bad.length} mismatches`);
      expect(compared).toBe(TOTAL);
      expect(bad.slice(0, 5)).toEqual([]);
    },
    Math.max(120_000, TOTAL * 2),
  );

  it(
    `BERT WordPiece: ${TOTAL} strings (seed ${SEED}), 0 mismatches`,
    async () => {
      const texts = makeCorpus(6_000, 777).flatMap((x) => (typeof x === 'string' ? [x] : x));
      // 24 - 3 = an odd budget: which side of a long pair keeps the odd token
      // depends on where each text stopped being encoded (docs/tokenizer.md).
      const [compared, bad] = await fuzzAgainstHf(JSON.stringify(buildBertTokenizerJson(texts)), TOTAL, SEED, 24);
      console.log(`fuzz WordPiece: ${compared} strings compared (seed ${SEED}), ${bad.length} mismatches`);
      expect(compared).toBe(TOTAL);
      expect(bad.slice(0, 5)).toEqual([]);
    },
    Math.max(120_000, TOTAL * 2),
  );

  it(
    `Unigram, two pipelines: ${TOTAL} strings each (seed ${SEED}), 0 mismatches`,
    async () => {
      const texts = makeCorpus(6_000, 777).flatMap((x) => (typeof x === 'string' ? [x] : x));
      const configs = {
        // XLM-R's shape: NFKC, Metaspace(always), <s> A </s></s> B </s>; 23 - 4 = an odd budget.
        xlmr: buildUnigramTokenizerJson({ texts, normalizer: { type: 'NFKC' } }),
        // T5's shape plus byte fallback and more normalizers.
        t5: buildUnigramTokenizerJson({
          texts,
          byteFallback: true,
          normalizer: {
            type: 'Sequence',
            normalizers: [{ type: 'Strip', strip_left: true, strip_right: true }, { type: 'NFKD' }, { type: 'Lowercase' }],
          },
          preTokenizer: metaspace('first'),
          postProcessor: T5_TEMPLATE,
        }),
      };
      for (const [name, json] of Object.entries(configs)) {
        const [compared, bad] = await fuzzAgainstHf(JSON.stringify(json), TOTAL, SEED, 23);
        console.log(`fuzz Unigram ${name}: ${compared} strings compared (seed ${SEED}), ${bad.length} mismatches`);
        expect(compared).toBe(TOTAL);
        expect(bad.slice(0, 5)).toEqual([]);
      }
    },
    Math.max(120_000, TOTAL * 4),
  );
});
