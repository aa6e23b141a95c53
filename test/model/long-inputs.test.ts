// Long inputs in windows (longInputs: 'chunk') on forged models (random
// weights): a chunked score equals the aggregation of its windows scored one
// by one on an independent path. Here the windows are laid out from HF
// tokenizers' token counts by the rule docs/server.md states, each window's
// ids come from HF tokenizers (with its own longest_first truncation), and
// each is scored alone through scoreIds. Short pairs, maxChunks 1 and the
// default mode are truncation, unchanged.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { forgeModel, Scorer } from '../../lib/index.js';
import { seededRandom } from '../../lib/util/seeded-random.js';
import { hfTokenizer, type HfTokenizer } from '../../support/hf.js';
import { listening } from '../../support/serving.js';

let scratch: string;
let bertDir: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cappy-long-'));
  bertDir = join(scratch, 'bert-tiny');
  await forgeModel({ preset: 'bert-tiny', seed: 5, outDir: bertDir });
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Seeded prose with the whitespace real text has: single and double spaces, tabs, line and paragraph breaks. */
function longText(words: number, seed: number): string {
  const rand = seededRandom(seed);
  const vocab =
    "the model reads each answer , and . picks one for a question about rivers planets café naïve 東京 résumé 😀 don't (x) 42".split(' ');
  const gaps = [' ', ' ', ' ', ' ', '  ', '\t', '\n', '\n\n', ' \n '];
  let out = '';
  for (let i = 0; i < words; i++) out += (i ? gaps[Math.floor(rand() * gaps.length)] : '') + vocab[Math.floor(rand() * vocab.length)];
  return out;
}

// The rule, written again from docs/server.md ("Long inputs"), on HF's counts.
const WS = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/;
function words(text: string): { start: number; word: string }[] {
  const out: { start: number; word: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    while (i < text.length && WS.test(text[i])) i++;
    if (i === text.length) break;
    while (i < text.length && !WS.test(text[i])) i++;
    out.push({ start, word: text.slice(start, i) });
  }
  return out;
}

async function hfWindows(
  counter: HfTokenizer,
  query: string,
  doc: string,
  maxLength: number,
  pairSpecials: number,
  overlap: number,
  maxChunks: number,
) {
  const count = async (t: string) => (await counter.encode(t, null, { addSpecialTokens: false })).getIds().length;
  const a = await count(query);
  const ws = words(doc);
  const counts = await Promise.all(ws.map((w) => count(w.word)));
  const before = [0];
  for (const c of counts) before.push(before.at(-1)! + c);
  const total = before.at(-1)!;
  const budget = maxLength - pairSpecials;
  if (a + total <= budget) return [doc];
  const starts = [0];
  let w = 0;
  while (starts.length < maxChunks) {
    // A window holds what the budget leaves beside the instruction, which takes at most half.
    const end = before[w] + budget - Math.min(a, Math.floor(budget / 2));
    if (end >= total) break;
    let next = w + 1;
    while (next + 1 < ws.length && before[next + 1] <= end - overlap) next++;
    if (next >= ws.length) break;
    w = next;
    starts.push(ws[w].start);
  }
  return starts.map((s) => doc.slice(s));
}

/** Each window scored alone: HF's ids (truncated by HF at maxLength), one row through scoreIds. */
async function scoreWindowsAlone(scorer: Scorer, tok: HfTokenizer, query: string, windows: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const w of windows) {
    const e = await tok.encode(query, w, { addSpecialTokens: true });
    const ids = BigInt64Array.from(e.getIds(), BigInt);
    const types = BigInt64Array.from(e.getTypeIds(), BigInt);
    const mask = new BigInt64Array(ids.length).fill(1n);
    out.push((await scorer.scoreIds(ids, mask, 1, ids.length, types))[0]);
  }
  return out;
}

const cases = [
  { name: 'RoBERTa (forged tiny)', dir: () => inject('tinyModelDir'), pairSpecials: 4 },
  { name: 'BERT (forged bert-tiny)', dir: () => bertDir, pairSpecials: 3 },
];

describe.each(cases)('$name', ({ dir, pairSpecials }) => {
  it('a chunked score is the max (or mean) of its windows scored one by one; short pairs and maxChunks 1 are truncation', async () => {
    const overlap = 48;
    const maxChunks = 6;
    const opts = { longInputs: 'chunk' as const, chunkOverlap: overlap, maxChunks };
    const chunked = await Scorer.load(dir(), opts);
    const mean = await Scorer.load(dir(), { ...opts, chunkAggregation: 'mean' });
    const plain = await Scorer.load(dir());
    try {
      const tok = hfTokenizer(join(dir(), 'tokenizer.json'), 512);
      const counter = hfTokenizer(join(dir(), 'tokenizer.json')); // no truncation: whole counts
      const longQuery = longText(400, 99);
      const pairs: [string, string][] = [
        ['Which river is longest?', longText(900, 1)], // several windows
        ['Which river is longest?', longText(3000, 2)], // more than maxChunks windows
        [longQuery, longText(700, 3)], // both long: the instruction is cut too
        ['short question', 'a short answer'], // fits
        ['Which river is longest?', longText(200, 4)], // fits or nearly
      ];
      const got = await chunked.scoreBatch(pairs);
      const gotMean = await mean.scoreBatch(pairs);
      const truncated = await plain.scoreBatch(pairs);
      let multi = 0;
      for (const [i, [q, d]] of pairs.entries()) {
        const windows = await hfWindows(counter, q, d, 512, pairSpecials, overlap, maxChunks);
        if (windows.length > 1) multi += 1;
        if (i === 1) expect(windows).toHaveLength(maxChunks);
        const alone = await scoreWindowsAlone(plain, tok, q, windows);
        expect(got[i], `pair ${i}, max of ${windows.length}`).toBeCloseTo(Math.max(...alone), 5);
        expect(gotMean[i], `pair ${i}, mean of ${windows.length}`).toBeCloseTo(alone.reduce((s, x) => s + x, 0) / alone.length, 5);
        // Window 0 is the pair as truncation scores it.
        expect(alone[0]).toBeCloseTo(truncated[i], 5);
        if (windows.length === 1) expect(got[i]).toBeCloseTo(truncated[i], 5);
      }
      expect(multi).toBeGreaterThanOrEqual(3);
      // One call per pair through score() agrees; maxChunks 1 and longInputs 'truncate' per call are truncation.
      expect(await chunked.score(pairs[0][0], pairs[0][1])).toBeCloseTo(got[0], 5);
      const one = await chunked.scoreBatch(pairs, { maxChunks: 1 });
      const perCall = await chunked.scoreBatch(pairs, { longInputs: 'truncate' });
      for (let i = 0; i < pairs.length; i++) {
        expect(one[i]).toBeCloseTo(truncated[i], 5);
        expect(perCall[i]).toBeCloseTo(truncated[i], 5);
      }
      // And the other way round: a truncating scorer chunks when a call asks.
      const asked = await plain.scoreBatch(pairs, { longInputs: 'chunk', maxChunks });
      const defaultOverlapWindows = await hfWindows(counter, pairs[0][0], pairs[0][1], 512, pairSpecials, 64, maxChunks);
      const alone0 = await scoreWindowsAlone(plain, tok, pairs[0][0], defaultOverlapWindows);
      expect(asked[0]).toBeCloseTo(Math.max(...alone0), 5);
    } finally {
      await Promise.all([chunked.dispose(), mean.dispose(), plain.dispose()]);
    }
  });
});

describe('on the server', () => {
  it("Cohere's max_chunks_per_doc chunks a request; on a chunking server TEI's truncate: true truncates", async () => {
    const dir = inject('tinyModelDir');
    const plain = await Scorer.load(dir);
    const chunking = await Scorer.load(dir, { longInputs: 'chunk', maxChunks: 4 });
    const { app, base, post: postOf } = await listening({ plain, chunking });
    type Results = { results: { index: number; relevance_score: number }[] } & { index: number; score: number }[];
    const post = async (path: string, body: object) => (await postOf(path, body)).body as Results;
    try {
      const query = 'Which river is longest?';
      const documents = [longText(900, 1), 'a short answer', longText(1500, 7)];
      const pairs = documents.map((d) => [query, d] as const);
      const chunked3 = await plain.scoreBatch(pairs, { longInputs: 'chunk', maxChunks: 3 });
      const truncated = await plain.scoreBatch(pairs);
      const cohere = await post('/v1/rerank', { model: 'plain', query, documents, max_chunks_per_doc: 3 });
      for (const r of cohere.results) expect(r.relevance_score).toBeCloseTo(chunked3[r.index], 5);
      const plainCohere = await post('/v1/rerank', { model: 'plain', query, documents });
      for (const r of plainCohere.results) expect(r.relevance_score).toBeCloseTo(truncated[r.index], 5);
      // The chunking model chunks by default and truncates when asked.
      const chunked4 = await chunking.scoreBatch(pairs);
      const dflt = await post('/rerank', { model: 'chunking', query, texts: documents, raw_scores: true });
      for (const r of dflt) expect(r.score).toBeCloseTo(chunked4[r.index], 5);
      const asked = await post('/rerank', { model: 'chunking', query, texts: documents, raw_scores: true, truncate: true });
      for (const r of asked) expect(r.score).toBeCloseTo(truncated[r.index], 5);
      // The windows changed something here (else this test could not tell chunking from truncation).
      expect([0, 2].some((i) => Math.abs(chunked4[i] - truncated[i]) > 1e-5)).toBe(true);
      const info = (await (await fetch(`${base}/info?model=chunking`)).json()) as { cappy: { long_inputs: unknown } };
      expect(info.cappy.long_inputs).toEqual({ mode: 'chunk', max_chunks: 4, chunk_overlap: 64, aggregation: 'max' });
    } finally {
      await app.cappy.drain();
      await Promise.all([plain.dispose(), chunking.dispose()]);
    }
  });
});

describe('options', () => {
  it('are checked like every Scorer option', async () => {
    const dir = inject('tinyModelDir');
    await expect(Scorer.load(dir, { longInputs: 'split' as never })).rejects.toThrow(/longInputs must be one of truncate, chunk/);
    await expect(Scorer.load(dir, { maxChunks: 0 })).rejects.toThrow(/maxChunks must be an integer from 1 to 1024/);
    const s = await Scorer.load(dir);
    try {
      await expect(s.scoreBatch([['a', 'b']], { maxChunks: 2.5 })).rejects.toThrow(/maxChunks/);
      await expect(s.scoreBatch([['a', 'b']], { longInputs: 'x' as never })).rejects.toThrow(/longInputs/);
    } finally {
      await s.dispose();
    }
  });
});
