// Rouge-L F1 (sentence-level LCS), written here rather than taken from npm:
// the maintained package (js-rouge 3.2.3) counts the LCS through a Set (so
// "the the the" against itself matches 1 token, not 3), computes recall over
// the candidate and precision over the reference (swapped), defaults the
// F-measure's beta to 0.5 and throws on empty text. Its numbers would not be
// comparable with the ones papers report, which come from Google's
// rouge-score package; this file follows that package's `rougeL`.
//
// Tokenization (rouge_score's tokenize.tokenize):
//   1. lowercase;
//   2. every character outside [a-z0-9] becomes a space (so punctuation and
//      non-ASCII letters separate words and are dropped);
//   3. split on whitespace, dropping empty tokens;
//   4. with `stem` (rouge_score's use_stemmer=True), every token longer than
//      3 characters is replaced by its Porter stem, NLTK's PorterStemmer in
//      its default mode (./porter-stemmer.ts).
// Score: LCS length over tokens; P = LCS/|candidate|, R = LCS/|reference|,
// F = 2PR/(P+R); 0 when either side has no tokens or nothing matches.
// With several references a candidate takes the score of the reference with
// the best F, the first on ties (rouge_score's score_multi).
//
// `stem` defaults to true everywhere: the Cappy paper labels its training
// samples and evaluates best-of-N with RougeScorer(['rougeL'],
// use_stemmer=True) (cappy_bigbench.py), so these are the comparable numbers.
import { porterStem } from './porter-stemmer.js';

export interface RougeScore {
  precision: number;
  recall: number;
  f: number;
}

export interface RougeOptions {
  /** Porter-stem tokens longer than 3 characters (rouge_score's use_stemmer). Default true. */
  stem?: boolean;
}

/** rouge_score's tokenization; see the header for the exact rules. */
export function rougeTokens(text: string, options: RougeOptions = {}): string[] {
  const tokens = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
  if (options.stem === false) return tokens;
  return tokens.map((t) => (t.length > 3 ? porterStem(t) : t));
}

/** Length of the longest common subsequence, O(|a|·|b|) time, O(|b|) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

function scoreTokens(c: readonly string[], r: readonly string[]): RougeScore {
  const lcs = lcsLength(c, r);
  if (lcs === 0) return { precision: 0, recall: 0, f: 0 };
  const precision = lcs / c.length;
  const recall = lcs / r.length;
  return { precision, recall, f: (2 * precision * recall) / (precision + recall) };
}

/** Rouge-L of one candidate against one reference. */
export function rougeL(candidate: string, reference: string, options: RougeOptions = {}): RougeScore {
  return scoreTokens(rougeTokens(candidate, options), rougeTokens(reference, options));
}

/**
 * rouge_score's score_multi: the score against the reference with the best F
 * (the first of equals). Zeros with no reference.
 */
export function rougeLMulti(candidate: string, references: readonly string[], options: RougeOptions = {}): RougeScore {
  const c = rougeTokens(candidate, options);
  let best: RougeScore = { precision: 0, recall: 0, f: 0 };
  let first = true;
  for (const ref of references) {
    const s = scoreTokens(c, rougeTokens(ref, options));
    if (first || s.f > best.f) best = s;
    first = false;
  }
  return best;
}

/** The best Rouge-L F of a candidate over its references (0 with none). */
export function rougeLBest(candidate: string, references: readonly string[], options: RougeOptions = {}): number {
  return rougeLMulti(candidate, references, options).f;
}
