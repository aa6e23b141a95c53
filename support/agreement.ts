// How far a cheaper dtype's scores are from fp32's on the same weights and
// pairs: absolute differences, and for rank() over candidate sets, top-1
// agreement and Kendall's tau. Shared by the int8 test and bench/score-dtypes.
import { seededRandom as mulberry32 } from '../lib/util/seeded-random.js';

export interface CandidateSet {
  instruction: string;
  candidates: string[];
}

const WORDS = (
  'the model scores each candidate answer and picks the best one for a question about planets rivers ' +
  'mountains code review tests engines weights layers tokens batches français café 東京 数据 résumé ' +
  'function(x) { return x * 2; } 1234 why how when where because therefore however'
).split(' ');

/**
 * `count` sets of `k` candidates. Random weights give no notion of relevance,
 * so what spreads a set's scores is the input itself: candidates differ in
 * length (1 to 60 words), vocabulary and script, and one repeats the
 * instruction. Sets whose fp32 top-1 and top-2 are closer than int8's error
 * are counted as contested (see rankAgreement), so a reader can tell whether
 * agreement was earned or given.
 */
export function candidateSets(count: number, k: number, seed = 11): CandidateSet[] {
  const rand = mulberry32(seed);
  const text = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  return Array.from({ length: count }, () => {
    const instruction = text(3 + Math.floor(rand() * 20));
    const candidates = Array.from({ length: k }, (_, j) => {
      if (j === 0) return instruction; // an echo of the instruction
      const lengths = [1 + Math.floor(rand() * 4), 5 + Math.floor(rand() * 20), 25 + Math.floor(rand() * 36)];
      return text(lengths[j % 3]);
    });
    return { instruction, candidates };
  });
}

export interface Diffs {
  max: number;
  mean: number;
  /** Mean of (other - ref): a shift common to all scores, which no ranking sees. */
  offset: number;
  /** Standard deviation of (other - ref) around that offset: the part that can reorder. */
  residualStd: number;
  /** Largest |(other - ref) - offset|. */
  maxResidual: number;
}

/** `b` against `a`: absolute differences, and their split into a common offset and the rest. */
export function absDiffs(a: ArrayLike<number>, b: ArrayLike<number>): Diffs {
  let max = 0;
  let sum = 0;
  let signed = 0;
  for (let i = 0; i < a.length; i++) {
    const d = b[i] - a[i];
    max = Math.max(max, Math.abs(d));
    sum += Math.abs(d);
    signed += d;
  }
  const n = a.length || 1;
  const offset = signed / n;
  let sq = 0;
  let maxResidual = 0;
  for (let i = 0; i < a.length; i++) {
    const r = b[i] - a[i] - offset;
    sq += r * r;
    maxResidual = Math.max(maxResidual, Math.abs(r));
  }
  return { max, mean: sum / n, offset, residualStd: Math.sqrt(sq / n), maxResidual };
}

/** Standard deviation of one set of scores. */
export function std(x: ArrayLike<number>): number {
  const n = x.length || 1;
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i] / n;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2 / n;
  return Math.sqrt(v);
}

/** Kendall's tau-b between two score lists over the same items (ties count for neither side). */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const x = Math.sign(a[i] - a[j]);
      const y = Math.sign(b[i] - b[j]);
      if (x === 0 && y === 0) continue;
      if (x === 0) tiesA++;
      else if (y === 0) tiesB++;
      else if (x === y) concordant++;
      else discordant++;
    }
  }
  const n0 = concordant + discordant;
  const denom = Math.sqrt((n0 + tiesA) * (n0 + tiesB));
  return denom === 0 ? 1 : (concordant - discordant) / denom;
}

export interface RankAgreement {
  sets: number;
  /** Share of sets whose best candidate is the same under both. */
  top1: number;
  meanTau: number;
  minTau: number;
  /**
   * Share of sets whose fp32 top-1/top-2 gap is under `margin`: the ones int8
   * error could flip. Callers pass the largest residual (error minus the
   * common offset, which moves every candidate alike and flips nothing).
   */
  contested: number;
  /** top-1 agreement over the contested sets only (NaN when none). */
  top1Contested: number;
  /** Median over sets of the fp32 gap between the best and second-best candidate. */
  medianTopGap: number;
}

/** Index of the largest score (the first of equal ones). */
function argmax(s: ArrayLike<number>): number {
  return Array.from(s).reduce((best, v, i, all) => (v > all[best] ? i : best), 0);
}

/** `ref` and `other` hold each set's scores, candidate order. */
export function rankAgreement(ref: ArrayLike<number>[], other: ArrayLike<number>[], margin: number): RankAgreement {
  let agree = 0;
  let contested = 0;
  let agreeContested = 0;
  const taus: number[] = [];
  const gaps: number[] = [];
  ref.forEach((r, i) => {
    const sorted = Array.from(r).sort((x, y) => y - x);
    if (sorted.length > 1) gaps.push(sorted[0] - sorted[1]);
    const same = argmax(r) === argmax(other[i]);
    agree += same ? 1 : 0;
    if (sorted.length > 1 && sorted[0] - sorted[1] < margin) {
      contested++;
      agreeContested += same ? 1 : 0;
    }
    taus.push(kendallTau(r, other[i]));
  });
  return {
    sets: ref.length,
    top1: agree / ref.length,
    meanTau: taus.reduce((s, t) => s + t, 0) / taus.length,
    minTau: Math.min(...taus),
    contested: contested / ref.length,
    top1Contested: contested ? agreeContested / contested : NaN,
    medianTopGap: gaps.sort((x, y) => x - y)[Math.floor(gaps.length / 2)] ?? NaN,
  };
}

export interface OrderCheck {
  /**
   * The int8 error that can reorder a set: the largest residual, where a
   * residual is a score's error minus its set's mean error (a shift common to
   * a set moves all its candidates alike and reorders nothing).
   */
  margin: number;
  sets: number;
  /** Sets whose fp32 best beats every other candidate by at least `margin`. */
  decidedSets: number;
  /** Decided sets whose best candidate differs under int8. */
  flips: number;
  /** Flips the measured residuals predict for those sets, and the largest count they allow. */
  expectedFlips: number;
  flipBound: number;
  /** Candidate pairs (within a set) whose fp32 scores differ by at least `margin`. */
  decidedPairs: number;
  /** Decided pairs that int8 puts in the other order. */
  discordant: number;
  expectedDiscordant: number;
  discordantBound: number;
}

/**
 * Whether `other` reorders the decided sets and pairs of `ref` more than its
 * own measured error predicts. The prediction is distribution-free: the
 * chance that two candidates `g` apart trade places is the share of
 * within-set residual differences (r_b - r_a, over every ordered pair in
 * every set) greater than `g`; a decided set flips if any candidate
 * overtakes its best (chances summed, capped at 1). Reorderings are then
 * counted against mean + 3 standard deviations + 1 of that count (a sum of
 * independent Bernoulli trials): an error that reorders the clear cases
 * more than its size explains (one that favours long inputs, say) fails it,
 * while a single flip never crosses the bound on its own.
 */
export function orderAgainstNoise(ref: ArrayLike<number>[], other: ArrayLike<number>[]): OrderCheck {
  const residuals = ref.map((r, s) => {
    const d = Array.from(r, (v, i) => other[s][i] - v);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    return d.map((x) => x - mean);
  });
  const margin = Math.max(...residuals.flat().map(Math.abs));
  const differences = residuals.flatMap((r) => r.flatMap((a, i) => r.filter((_, j) => j !== i).map((b) => b - a))).sort((x, y) => x - y);
  /** Share of residual differences above g (binary search on the sorted list). */
  const tail = (g: number) => {
    let lo = 0;
    let hi = differences.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (differences[mid] > g) hi = mid;
      else lo = mid + 1;
    }
    return (differences.length - lo) / differences.length;
  };
  let decidedSets = 0;
  let flips = 0;
  let decidedPairs = 0;
  let discordant = 0;
  const flipChances: number[] = [];
  const pairChances: number[] = [];
  ref.forEach((r, s) => {
    const best = argmax(r);
    const gaps = Array.from(r, (v) => r[best] - v).filter((_, i) => i !== best);
    if (gaps.every((g) => g >= margin)) {
      decidedSets++;
      flipChances.push(
        Math.min(
          1,
          gaps.reduce((sum, g) => sum + tail(g), 0),
        ),
      );
      if (argmax(other[s]) !== best) flips++;
    }
    for (let i = 0; i < r.length; i++) {
      for (let j = i + 1; j < r.length; j++) {
        const gap = Math.abs(r[i] - r[j]);
        if (gap < margin) continue;
        decidedPairs++;
        pairChances.push(tail(gap));
        if (Math.sign(r[i] - r[j]) !== Math.sign(other[s][i] - other[s][j])) discordant++;
      }
    }
  });
  const bound = (p: number[]) => {
    const mean = p.reduce((a, b) => a + b, 0);
    const variance = p.reduce((a, b) => a + b * (1 - b), 0);
    return { mean, bound: Math.floor(mean + 3 * Math.sqrt(variance) + 1) };
  };
  const f = bound(flipChances);
  const d = bound(pairChances);
  return {
    margin,
    sets: ref.length,
    decidedSets,
    flips,
    expectedFlips: f.mean,
    flipBound: f.bound,
    decidedPairs,
    discordant,
    expectedDiscordant: d.mean,
    discordantBound: d.bound,
  };
}
