// Rouge-L F1 (sentence-level LCS), written here rather than taken from npm:
// the maintained package (js-rouge 3.2.3) counts the LCS through a Set (so
// "the the the" against itself matches 1 token, not 3), computes recall over
// the candidate and precision over the reference (swapped), defaults the
// F-measure's beta to 0.5 and throws on empty text. Its numbers would not be
// comparable with the ones papers report, which come from Google's
// rouge-score package; this file follows that package's `rougeL` defaults.
//
// Tokenization (rouge-score's default tokenizer, without stemming):
//   1. lowercase;
//   2. every character outside [a-z0-9] becomes a space (so punctuation and
//      non-ASCII letters separate words and are dropped);
//   3. split on whitespace, dropping empty tokens.
// Score: LCS length over tokens; P = LCS/|candidate|, R = LCS/|reference|,
// F = 2PR/(P+R); 0 when either side has no tokens or nothing matches.
// With several references a candidate takes its best F (rouge-score's
// score_multi does the same).

export interface RougeScore {
  precision: number;
  recall: number;
  f: number;
}

/** rouge-score's default tokenization; see the header for the exact rules. */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
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

/** Rouge-L of one candidate against one reference. */
export function rougeL(candidate: string, reference: string): RougeScore {
  const c = rougeTokens(candidate);
  const r = rougeTokens(reference);
  const lcs = lcsLength(c, r);
  if (lcs === 0) return { precision: 0, recall: 0, f: 0 };
  const precision = lcs / c.length;
  const recall = lcs / r.length;
  return { precision, recall, f: (2 * precision * recall) / (precision + recall) };
}

/** The best Rouge-L F of a candidate over its references (0 with none). */
export function rougeLBest(candidate: string, references: readonly string[]): number {
  let best = 0;
  for (const ref of references) best = Math.max(best, rougeL(candidate, ref).f);
  return best;
}
