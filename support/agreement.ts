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

/** `ref` and `other` hold each set's scores, candidate order. */
export function rankAgreement(ref: ArrayLike<number>[], other: ArrayLike<number>[], margin: number): RankAgreement {
  const argmax = (s: ArrayLike<number>) => Array.from(s).reduce((best, v, i, all) => (v > all[best] ? i : best), 0);
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
