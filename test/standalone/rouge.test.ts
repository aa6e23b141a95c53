// Rouge-L and its Porter stemming against published truth:
// - google-research rouge_score's own tests (rouge/tokenize_test.py and
//   rouge/rouge_scorer_test.py; each case names its test), whose
//   "AgainstRouge155" figures come from runs of the original ROUGE-1.5.5 perl
//   script (-m for the stemming ones);
// - Martin Porter's reference vocabulary, every word with NLTK's stem
//   (test/fixtures/adapt-data/porter-vocabulary.md says how the table was made).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { porterStem } from '../../lib/eval/porter-stemmer.js';
import { lcsLength, rougeL, rougeLBest, rougeLMulti, rougeTokens } from '../../lib/eval/rouge.js';

// rouge/testdata/target.txt and prediction.txt, lines 1 and 2 (google-research,
// commit 10bf941a): random strings built to exercise suffixes (-ing, -tion, -er).
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
];
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
];

/** Rouge-1 the way rouge_scorer._score_ngrams counts it (clipped unigram counts), over our tokens. */
function rouge1(target: string, prediction: string, stem: boolean) {
  const t = rougeTokens(target, { stem });
  const p = rougeTokens(prediction, { stem });
  const counts = new Map<string, number>();
  for (const tok of p) counts.set(tok, (counts.get(tok) ?? 0) + 1);
  const targetCounts = new Map<string, number>();
  for (const tok of t) targetCounts.set(tok, (targetCounts.get(tok) ?? 0) + 1);
  let hits = 0;
  for (const [tok, n] of targetCounts) hits += Math.min(n, counts.get(tok) ?? 0);
  const precision = hits / Math.max(p.length, 1);
  const recall = hits / Math.max(t.length, 1);
  return { precision, recall, f: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

const five = (x: number) => Math.round(x * 1e5) / 1e5;

describe("rouge_score's tokenizer", () => {
  it('tokenize_test.py test_give_me_a_name: lower-cases and splits on any whitespace', () => {
    for (const stem of [false, true]) {
      expect(rougeTokens('one Two three', { stem })).toEqual(['one', 'two', 'three']);
      expect(rougeTokens('one\n Two \nthree', { stem })).toEqual(['one', 'two', 'three']);
    }
  });

  it('stems only tokens longer than 3 characters (tokenize.py: "Only stem words more than 3 characters long")', () => {
    // NLTK stems 'was' to 'wa' and 'has' to 'ha', but rouge_score never asks it: they are 3 letters long.
    expect([porterStem('was'), porterStem('has')]).toEqual(['wa', 'ha']);
    expect(rougeTokens('Ties, dies; it was, it has caresses', { stem: true })).toEqual(['tie', 'die', 'it', 'was', 'it', 'has', 'caress']);
    expect(rougeTokens('Ties, dies; it was, it has caresses', { stem: false })).toEqual([
      'ties',
      'dies',
      'it',
      'was',
      'it',
      'has',
      'caresses',
    ]);
  });
});

describe("rouge_score's rougeL (rouge_scorer_test.py)", () => {
  // rouge_score's score(target, prediction) is our rougeL(prediction, target).
  it.each([false, true])('testRougeLConsecutive and testRougeLNonConsecutive (stem %s)', (stem) => {
    for (const prediction of ['testing one', 'testing two']) {
      const s = rougeL(prediction, 'testing one two', { stem });
      expect(s.precision).toBeCloseTo(1, 12);
      expect(s.recall).toBeCloseTo(2 / 3, 12);
      expect(s.f).toBeCloseTo(4 / 5, 12);
    }
  });

  it('testRougeEmpty (rougeL): an empty prediction scores 0', () => {
    expect(rougeL('', 'testing one two')).toEqual({ precision: 0, recall: 0, f: 0 });
  });

  it('testLcsTable: LCS lengths 3 and 0', () => {
    expect(lcsLength(['1', '2', '3', '4', '5'], ['2', '5', '3', '4'])).toBe(3);
    expect(lcsLength(['1', '2', '3', '4', '5'], ['8', '9'])).toBe(0);
  });

  it('testRougeLAgainstRouge155: both lines to 5 places (no stemming)', () => {
    const want = [
      { recall: 0.40741, precision: 0.6875, f: 0.51163 },
      { recall: 0.40476, precision: 0.65385, f: 0.5 },
    ];
    want.forEach((w, i) => {
      const s = rougeL(PREDICTIONS[i], TARGETS[i], { stem: false });
      expect({ recall: five(s.recall), precision: five(s.precision), f: five(s.f) }).toEqual(w);
    });
  });

  it('testRouge1AgainstRouge155 and ...WithStemming: the stemmer changes line 2 exactly as ROUGE-1.5.5 -m does', () => {
    // Line 1 is the same either way; line 2 gains matches only with stemming.
    const plain = [rouge1(TARGETS[0], PREDICTIONS[0], false), rouge1(TARGETS[1], PREDICTIONS[1], false)];
    const stemmed = [rouge1(TARGETS[0], PREDICTIONS[0], true), rouge1(TARGETS[1], PREDICTIONS[1], true)];
    const round = (s: { recall: number; precision: number; f: number }) => ({
      recall: five(s.recall),
      precision: five(s.precision),
      f: five(s.f),
    });
    expect(round(plain[0])).toEqual({ recall: 0.40741, precision: 0.6875, f: 0.51163 });
    expect(round(plain[1])).toEqual({ recall: 0.40476, precision: 0.65385, f: 0.5 });
    expect(round(stemmed[0])).toEqual({ recall: 0.40741, precision: 0.6875, f: 0.51163 });
    expect(round(stemmed[1])).toEqual({ recall: 0.42857, precision: 0.69231, f: 0.52941 });
  });

  it('score_multi keeps the whole score of the reference with the best F, the first of equals (np.argmax)', () => {
    // "a b c d" vs "a b": LCS 2, P 1/2, R 1, F 2/3; vs "a b c d x y z w": LCS 4, P 1, R 1/2, F 2/3.
    expect(rougeLMulti('a b c d', ['a b', 'a b c d x y z w'])).toEqual({ precision: 0.5, recall: 1, f: 2 / 3 });
    expect(rougeLMulti('a b c d', ['a b c d x y z w', 'a b'])).toEqual({ precision: 1, recall: 0.5, f: 2 / 3 });
    expect(rougeLMulti('a b c d', ['x', 'a b c'])).toEqual({ precision: 0.75, recall: 1, f: 6 / 7 });
    expect(rougeLBest('a b c d', [])).toBe(0);
  });

  it('stemming is the default and changes a score by the rules of Porter steps 1a and 1b', () => {
    // Unstemmed [the cats are running] vs [the cat runs]: LCS 1 (the), P 1/4, R 1/3.
    // Stemmed: cats -> cat (1a: s), running -> runn -> run (1b: ing, then a double n), runs -> run: LCS 3, P 3/4, R 1.
    expect(rougeL('The cats are running', 'the cat runs', { stem: false }).f).toBeCloseTo((2 * (1 / 4) * (1 / 3)) / (1 / 4 + 1 / 3), 12);
    expect(rougeL('The cats are running', 'the cat runs').f).toBeCloseTo((2 * 0.75) / 1.75, 12);
  });
});

describe('Porter stemmer = NLTK PorterStemmer() (rouge_score use_stemmer=True)', () => {
  const table = gunzipSync(readFileSync(new URL('../fixtures/adapt-data/porter-vocabulary.tsv.gz', import.meta.url)))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t') as [string, string, string]);

  it("gives NLTK's stem for every word of Martin Porter's voc.txt", () => {
    expect(table).toHaveLength(23531);
    const wrong = table.filter(([word, , nltk]) => porterStem(word) !== nltk).map(([w, , n]) => `${w}: want ${n}, got ${porterStem(w)}`);
    expect(wrong).toEqual([]);
  });

  it("the table is not Porter's own output: NLTK departs from it on 443 words, and so do we", () => {
    const departures = table.filter(([, martin, nltk]) => martin !== nltk);
    expect(departures).toHaveLength(443);
    expect(departures.filter(([word, martin]) => porterStem(word) === martin)).toEqual([]);
  });

  it("NLTK's documented departures (nltk/stem/porter.py docstrings and comments)", () => {
    const cases: [string, string][] = [
      ['flies', 'fli'], // step 1a: 'flies'->'fli' but 'dies'->'die'
      ['dies', 'die'],
      ['spied', 'spi'], // step 1b: 'spied'->'spi' but 'died'->'die'
      ['died', 'die'],
      ['happy', 'happi'], // step 1c: y -> i only after a consonant: 'happy' -> 'happi', 'enjoy' -> 'enjoy'
      ['enjoy', 'enjoy'],
      ['spy', 'spi'], // "'spy', 'fly', 'try' ... stem to 'spi', 'fli', 'tri'"
      ['try', 'tri'],
      ['dying', 'die'], // the irregular forms table
      ['skies', 'sky'],
      ['proceed', 'proceed'],
      ['oing', 'o'], // NLTK issue #1614 (IndexError once, 'o' since 3.2.5)
      ['aed', 'a'], // NLTK issue #1874
      ['geology', 'geolog'], // 'logi' keeps its l in the measured stem
      ['caresses', 'caress'], // Porter 1980 step 1a examples
      ['ponies', 'poni'],
      ['feed', 'feed'], // step 1b: EED refused, ED not tried
      ['agreed', 'agre'], // agree, then step 5a drops the e (m = 1, not *o)
      ['hopping', 'hop'],
      ['filing', 'file'],
      ['relational', 'relat'],
      ['controll', 'control'], // step 5b
    ];
    expect(cases.map(([w]) => [w, porterStem(w)])).toEqual(cases);
  });
});
