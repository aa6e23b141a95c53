// WordPiece parity with HF tokenizers 0.23: BERT normalizer, BERT
// pre-tokenizer, WordPiece and the BERT pair template, on tokenizer.json files
// built here from text (lib/forge buildBertTokenizerJson), uncased and cased,
// against the 10k parity corpus, every code point, and fuzz strings.
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { buildBertTokenizerJson } from '../../lib/forge/tokenizer-json.js';
import { diffContexts, type CodePointContext, type EncodeBoth } from '../support/code-points.js';
import { fuzzString, makeCorpus, rng, type CorpusItem } from '../../support/corpus.js';
import { Hf } from '../../support/hf.js';
import { sameIds as same } from '../support/same-ids.js';

const corpus = makeCorpus(10_000, 777);
const trainTexts = corpus.flatMap((x) => (typeof x === 'string' ? [x] : x)).slice(0, 6_000);
const uncased = buildBertTokenizerJson(trainTexts);
const cased = buildBertTokenizerJson(trainTexts, { lowercase: false, bertProcessing: true });

/** Items where ours and HF differ, as printable reports (`sameLength` collects those with equal lengths). */
async function compare(json: object, items: CorpusItem[], maxLength?: number, sameLength: string[] = []): Promise<string[]> {
  const text = JSON.stringify(json);
  const hf = Hf.fromString(text);
  if (maxLength) hf.setTruncation(maxLength, { strategy: 'LongestFirst' });
  const ours = Tokenizer.fromJSON(text, maxLength ? { maxLength } : {});
  const got = await ours.encodeBatchPacked(items);
  const bad: string[] = [];
  for (let i = 0; i < items.length; i += 256) {
    const chunk = items.slice(i, i + 256);
    const want = await Promise.all(chunk.map((x) => (typeof x === 'string' ? hf.encode(x) : hf.encode(x[0], x[1]))));
    for (let k = 0; k < chunk.length; k++) {
      const ids = got.ids.subarray(got.offsets[i + k], got.offsets[i + k + 1]);
      if (!same(want[k].getIds(), ids)) {
        if (want[k].getIds().length === ids.length) sameLength.push(String(i + k));
        bad.push(
          `#${i + k} ${JSON.stringify(chunk[k]).slice(0, 160)}\n  hf   ${want[k].getIds().slice(0, 30)}\n  ours ${Array.from(ids).slice(0, 30)}`,
        );
      }
    }
  }
  return bad;
}

describe('WordPiece (BERT) parity with HF tokenizers 0.23', () => {
  it('builds real vocabularies from text', () => {
    const vocab = (uncased.model as { vocab: Record<string, number> }).vocab;
    expect(Object.keys(vocab).length).toBeGreaterThan(3_000);
    expect(vocab['[UNK]']).toBe(1);
    expect(Object.keys(vocab).some((t) => t.startsWith('##') && t.length > 4)).toBe(true);
  });

  for (const [name, json] of [
    ['uncased, template', uncased],
    ['cased, BertProcessing', cased],
  ] as const) {
    it(`${name}: identical ids on the 10k corpus, without truncation and with longest_first 512`, async () => {
      const bad = await compare(json, corpus);
      console.log(`wordpiece ${name}: ${corpus.length} items compared, ${bad.length} mismatches`);
      expect(bad.slice(0, 5)).toEqual([]);
      // The budget is odd (512 - 3): which side of a long pair keeps the odd
      // token depends on where HF stopped encoding each text (after the
      // pre-token reaching max_length), which the core now mirrors.
      const badTrunc = await compare(json, corpus, 512);
      console.log(`wordpiece ${name} longest_first 512: ${corpus.length} items compared, ${badTrunc.length} mismatches`);
      expect(badTrunc.slice(0, 5)).toEqual([]);
    });

    it(`${name}: identical ids for every code point in context`, async () => {
      const contexts: CodePointContext[] = [];
      for (let cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff && cp % 64 !== 0) continue; // lone surrogates: a sample
        const c = String.fromCodePoint(cp);
        contexts.push({ text: `a${c}b ${c}`, cp }, { text: `Hi${c}.${c}${c}`, cp });
      }
      const text = JSON.stringify(json);
      const hf = Hf.fromString(text);
      const ours = Tokenizer.fromJSON(text);
      const badCodePoints = new Set<string>();
      const encodeBoth: EncodeBoth = (strs) => Promise.all([hf.encodeBatch(strs), ours.encodeBatchPacked(strs)]);
      for (let i = 0; i < contexts.length; i += 65_536) await diffContexts(contexts.slice(i, i + 65_536), encodeBoth, badCodePoints);
      console.log(`wordpiece ${name}: ${contexts.length} code-point contexts compared, ${badCodePoints.size} code points differ`);
      expect([...badCodePoints].slice(0, 20)).toEqual([]);
    }, 600_000);

    it(`${name}: 20k fuzz strings, 0 mismatches`, async () => {
      const r = rng(99);
      const items: CorpusItem[] = [];
      for (let i = 0; i < 20_000; i++) items.push(r() < 0.2 ? [fuzzString(r), fuzzString(r)] : fuzzString(r));
      const bad = await compare(json, items, 64);
      console.log(`wordpiece ${name} fuzz: ${items.length} items compared, ${bad.length} mismatches`);
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }

  it('normalized added tokens match on normalized text; long words become [UNK]', async () => {
    const j = structuredClone(uncased) as { added_tokens: object[]; model: { max_input_chars_per_word: number } };
    j.model.max_input_chars_per_word = 12;
    j.added_tokens.push({ id: 0, content: 'HeLLo', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
    const items = ['hello HELLO Héllo hello!', '[CLS] x [SEP]', 'internationalization is long', 'ＨＥＬＬＯ', 'say hello'];
    expect(await compare(j, items)).toEqual([]);
  });
});
