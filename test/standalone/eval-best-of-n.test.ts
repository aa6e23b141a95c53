// Rouge-L, best-of-N selection, JSONL parsing and plain progress lines: all
// checked against values worked out by hand in the comments.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors/index.js';
import { bestOfN, parseBonRow } from '../../lib/eval/best-of-n.js';
import { parseJsonl } from '../../lib/eval/jsonl.js';
import { parseMcRow } from '../../lib/eval/multiple-choice.js';
import { lcsLength, rougeL, rougeLBest, rougeTokens } from '../../lib/eval/rouge.js';
import { startProgress } from '../../lib/cli/progress.js';
import { drawLengths, LOGNORMAL_8_512, parseLengthMix, seededRandom } from '../../lib/bench/workload.js';

describe('Rouge-L', () => {
  it('tokenizes like rouge-score: lowercase, non [a-z0-9] splits, empty tokens dropped', () => {
    expect(rougeTokens("The cat's mat, 2024!  Café")).toEqual(['the', 'cat', 's', 'mat', '2024', 'caf']);
    expect(rougeTokens('  ...  ')).toEqual([]);
  });

  it('LCS counts repeated tokens (a Set would count "the" once)', () => {
    expect(lcsLength(['the', 'the', 'the'], ['the', 'the', 'the'])).toBe(3);
    expect(lcsLength(['a', 'b', 'c', 'd'], ['b', 'd', 'a'])).toBe(2);
    expect(lcsLength([], ['a'])).toBe(0);
  });

  it('matches hand-computed precision, recall and F1', () => {
    // cand [foo bar the cat sat on the mat] (8), ref [the cat sat on the mat] (6): LCS 6.
    const a = rougeL('foo bar. The cat sat on the mat.', 'the cat sat on the mat');
    expect(a.precision).toBeCloseTo(6 / 8, 12);
    expect(a.recall).toBe(1);
    expect(a.f).toBeCloseTo((2 * 0.75) / 1.75, 12); // 0.857142...
    // cand [venus is hot] vs ref [mars is known as the red planet]: LCS 1 -> P 1/3, R 1/7, F 0.2.
    expect(rougeL('Venus is hot.', 'Mars is known as the red planet.').f).toBeCloseTo(0.2, 12);
    expect(rougeL('identical text', 'Identical  TEXT').f).toBe(1);
    expect(rougeL('', 'anything').f).toBe(0);
    expect(rougeL('nothing shared', 'at all').f).toBe(0);
  });

  it('takes the best reference', () => {
    expect(rougeLBest('four', ['4', 'four'])).toBe(1);
    expect(rougeLBest('four', [])).toBe(0);
  });
});

describe('best-of-N', () => {
  const rows = [
    // Rouge-L per candidate: 0.2, 0.8333 (5 of [mars is known as the red planet] in order, P 1), 0.
    {
      instruction: 'Name the red planet.',
      candidates: ['Venus is hot.', 'Mars is the red planet.', 'Jupiter'],
      references: ['Mars is known as the red planet.'],
    },
    // 1, 1, 0
    { instruction: '2+2?', candidates: ['four', '4', 'five'], references: ['4', 'four'] },
  ];

  it('scores the argmax (first on ties) against the first candidate and the oracle', () => {
    const r = bestOfN(rows, Float32Array.from([0.1, 0.9, 0.5, 2, 2, 1]));
    expect(r.picks).toEqual([1, 0]);
    expect(r.selected).toBeCloseTo((10 / 12 + 1) / 2, 6);
    expect(r.baseline).toBeCloseTo((0.2 + 1) / 2, 6);
    expect(r.oracle).toBeCloseTo((10 / 12 + 1) / 2, 6);
    expect(r.gain).toBeCloseTo(r.selected - r.baseline, 12);
    expect(r.changed).toBe(1);
    expect(r.candidates).toBe(6);
  });

  it('a bad pick can lose to the baseline', () => {
    const r = bestOfN(rows, Float32Array.from([0, 0, 1, 0, 0, 1]));
    expect(r.picks).toEqual([2, 2]);
    expect(r.selected).toBe(0);
    expect(r.gain).toBeCloseTo(-0.6, 6);
  });

  it("stems by default, as the paper's RougeScorer(['rougeL'], use_stemmer=True); stem: false is the plain figure", () => {
    // [the cats are running] vs [the cat runs]: unstemmed LCS 1, P 1/4, R 1/3, F 2/7;
    // stemmed (cat, run, run) LCS 3, P 3/4, R 1, F 6/7. 'dogs bark' shares nothing either way.
    const r = [{ instruction: 'q', candidates: ['dogs bark', 'The cats are running'], references: ['the cat runs'] }];
    const scores = Float32Array.from([0, 1]);
    const stemmed = bestOfN(r, scores);
    expect(stemmed.stem).toBe(true);
    expect(stemmed.selected).toBeCloseTo(6 / 7, 12);
    expect(stemmed.oracle).toBeCloseTo(6 / 7, 12);
    expect(stemmed.baseline).toBe(0);
    const plain = bestOfN(r, scores, { stem: false });
    expect(plain.stem).toBe(false);
    expect(plain.selected).toBeCloseTo(2 / 7, 12);
  });

  it('needs one score per candidate', () => {
    expect(() => bestOfN(rows, new Float32Array(5))).toThrow(/one score per candidate is needed \(6\)/);
  });

  it('parses rows and says what is wrong', () => {
    expect(parseBonRow({ instruction: 'q', candidates: ['a'], references: ['r'] }, 'x')).toEqual({
      instruction: 'q',
      candidates: ['a'],
      references: ['r'],
    });
    expect(() => parseBonRow({ instruction: 'q', candidates: [], references: ['r'] }, 'line 3')).toThrow(
      /line 3: candidates must be a non-empty array/,
    );
    expect(() => parseBonRow({ instruction: 'q', candidates: ['a', 7], references: ['r'] }, 'line 4')).toThrow(
      /line 4: candidates\[1\] must be a string, got number/,
    );
    expect(() => parseBonRow({ candidates: ['a'], references: ['r'] }, 'line 5')).toThrow(/line 5: instruction must be a string/);
    expect(() => parseBonRow(['q'], 'line 6')).toThrow(InvalidInputError);
  });
});

describe('JSONL for eval', () => {
  const good = JSON.stringify({ instruction: 'q', candidates: ['a'], references: ['r'] });

  it('skips blank lines and names the failing line (1-based, blank lines counted)', () => {
    expect(parseJsonl(`${good}\n\n${good}\n`, parseBonRow, 'f.jsonl')).toHaveLength(2);
    expect(() => parseJsonl(`${good}\n\n{oops`, parseBonRow, 'f.jsonl')).toThrow(/f\.jsonl: line 3: not valid JSON/);
    expect(() => parseJsonl(`${good}\n{"instruction":1}`, parseBonRow, 'f.jsonl')).toThrow(
      /f\.jsonl: line 2: instruction must be a string/,
    );
    expect(() => parseJsonl('{"group":1}', parseMcRow, 'mc.jsonl')).toThrow(/mc\.jsonl: line 1: instruction/);
  });

  it('an empty or blank file is an error, not a zero score', () => {
    expect(() => parseJsonl('', parseBonRow, 'e.jsonl')).toThrow(/e\.jsonl has no rows/);
    expect(() => parseJsonl('\n  \n', parseMcRow, 'e.jsonl')).toThrow(InvalidInputError);
  });
});

describe('progress without a TTY', () => {
  it('writes one plain line per tenth and the last one, never twice', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const p = startProgress('eval mc', 1000, 'pairs', out as unknown as NodeJS.WriteStream);
    for (let done = 256; done < 1000; done += 256) p.update(done);
    p.update(1000);
    p.update(1000);
    p.stop();
    expect(text.trim().split('\n')).toEqual([
      'eval mc: 256/1000 pairs (25%)',
      'eval mc: 512/1000 pairs (51%)',
      'eval mc: 768/1000 pairs (76%)',
      'eval mc: 1000/1000 pairs (100%)',
    ]);
  });
});

describe('bench length mixes', () => {
  it('lognormal stays within 8..512 with a median near 96; fixed:N is N', () => {
    const l = drawLengths(LOGNORMAL_8_512, 20000, seededRandom(3));
    expect(Math.min(...l)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...l)).toBeLessThanOrEqual(512);
    const sorted = [...l].sort((a, b) => a - b);
    expect(sorted[10000]).toBeGreaterThan(85);
    expect(sorted[10000]).toBeLessThan(108);
    expect(drawLengths(parseLengthMix('fixed:64'), 3, seededRandom(1))).toEqual([64, 64, 64]);
    expect(() => parseLengthMix('fixed:600')).toThrow(/5 to 512/);
    expect(() => parseLengthMix('uniform')).toThrow(InvalidInputError);
  });
});
