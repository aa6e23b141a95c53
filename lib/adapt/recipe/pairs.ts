// The Cappy paper's training set, built as `get_cappy_dataset` in
// tanyuqian/cappy cappy_bigbench.py builds it:
//   1. gold: every (instruction, reference) of every row, label 1.0;
//   2. negatives: for each gold pair, one reference drawn uniformly from the
//      distinct references of the task, sorted, label 0.0, unless that pair
//      already exists (then no negative: the draw is not repeated);
//   3. samples: every candidate not already a pair, labelled by its Rouge-L F
//      against the row's references (the best of them: score_multi);
//   4. shuffle, then repeat the whole shuffled list or cut it to trainSize.
// Where we differ from that code, and why:
//   - Grouping: the paper runs one BIG-bench subset at a time, so its draws
//     range over one task; here rows carry `task` and a negative's reference
//     comes from its own task only (rows without `task` are one task).
//   - The issue's wording, "the reference of a random other row of the same
//     task", is not what the code does: the code draws among distinct
//     reference strings (a reference shared by many rows is not favoured) and
//     may draw the row's own reference, which then yields no negative. We
//     keep the code's behaviour, since that is the set the paper trained on.
//   - Duplicates: the code dedups negatives and samples on the key
//     "instruction|||response" but appends a repeated gold pair again. We keep
//     every pair once, golds included, and key on the (instruction, response)
//     pair itself, which "|||" inside a text cannot confuse.
//   - Randomness: one seeded mulberry32 stream (lib/util/seeded-random.ts) for
//     the draws, then the shuffle, in the code's order; a seed reproduces a
//     set exactly, though not Python's `random` sequence.
import { InvalidInputError } from '../../errors/index.js';
import { rougeLBest } from '../../eval/rouge.js';
import { checkInteger } from '../../options/spec.js';
import { seededRandom } from '../../util/seeded-random.js';
import type { TaskRow } from './task-rows.js';

export type PairSource = 'gold' | 'negative' | 'sample';

export interface LabelledPair {
  instruction: string;
  response: string;
  label: number;
  source: PairSource;
}

export interface PairStats {
  rows: number;
  tasks: number;
  gold: number;
  /** Gold pairs repeated in the rows (kept once). */
  goldRepeats: number;
  negatives: number;
  /** Draws that hit a pair already present (the paper's code skips them too). */
  negativesSkipped: number;
  samples: number;
  /** Candidates equal to a pair already present. */
  samplesSkipped: number;
  /** Empty or blank candidates, never a pair. */
  emptyCandidates: number;
  /** Distinct pairs before repeating or cutting. */
  distinct: number;
  /** Pairs in the result. */
  written: number;
}

export interface BuildPairsOptions {
  seed?: number;
  /** Repeat or cut the shuffled set to this many pairs; unset: the set once. */
  trainSize?: number;
  /** Porter stemming in the Rouge-L labels (default true, as the paper). */
  stem?: boolean;
  /** For tests: the draws and the shuffle from this source instead of the seed's. */
  random?: () => number;
}

/** Orders strings by Unicode code point, as Python's sorted() does (JS's default sort compares UTF-16 units). */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Fisher-Yates, from the last element down, as Python's random.shuffle. */
function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/**
 * Labelled pairs from task rows. `candidates[i]` are row i's samples (from
 * the file, an LLM, or both), in the order they should be considered.
 */
export function buildPairs(
  rows: readonly TaskRow[],
  candidates: readonly (readonly string[])[],
  options: BuildPairsOptions = {},
): { pairs: LabelledPair[]; stats: PairStats } {
  if (rows.length === 0) throw new InvalidInputError('there are no task rows');
  if (candidates.length !== rows.length)
    throw new InvalidInputError(`one candidate list per row is needed (${rows.length}), got ${candidates.length}`);
  const seed = checkInteger('seed', options.seed ?? 0, 0, 0xffffffff);
  const trainSize = options.trainSize === undefined ? undefined : checkInteger('trainSize', options.trainSize, 1);
  const stem = options.stem ?? true;
  const random = options.random ?? seededRandom(seed);

  const present = new Set<string>();
  const keyOf = (instruction: string, response: string) => JSON.stringify([instruction, response]);
  const stats: PairStats = {
    rows: rows.length,
    tasks: 0,
    gold: 0,
    goldRepeats: 0,
    negatives: 0,
    negativesSkipped: 0,
    samples: 0,
    samplesSkipped: 0,
    emptyCandidates: 0,
    distinct: 0,
    written: 0,
  };

  const gold: (LabelledPair & { task: string })[] = [];
  const referencesOf = new Map<string, Set<string>>();
  for (const row of rows) {
    for (const reference of row.references) {
      const key = keyOf(row.instruction, reference);
      if (present.has(key)) {
        stats.goldRepeats += 1;
        continue;
      }
      present.add(key);
      gold.push({ instruction: row.instruction, response: reference, label: 1, source: 'gold', task: row.task });
      if (!referencesOf.has(row.task)) referencesOf.set(row.task, new Set());
      referencesOf.get(row.task)!.add(reference);
    }
  }
  stats.tasks = referencesOf.size;
  const pool = new Map([...referencesOf].map(([task, refs]) => [task, [...refs].sort(byCodePoint)]));

  const negatives: LabelledPair[] = [];
  for (const g of gold) {
    const refs = pool.get(g.task)!;
    const drawn = refs[Math.floor(random() * refs.length)];
    const key = keyOf(g.instruction, drawn);
    if (present.has(key)) {
      stats.negativesSkipped += 1;
      continue;
    }
    present.add(key);
    negatives.push({ instruction: g.instruction, response: drawn, label: 0, source: 'negative' });
  }

  const samples: LabelledPair[] = [];
  rows.forEach((row, i) => {
    for (const candidate of candidates[i]) {
      if (candidate.trim() === '') {
        stats.emptyCandidates += 1;
        continue;
      }
      const key = keyOf(row.instruction, candidate);
      if (present.has(key)) {
        stats.samplesSkipped += 1;
        continue;
      }
      present.add(key);
      samples.push({
        instruction: row.instruction,
        response: candidate,
        label: rougeLBest(candidate, row.references, { stem }),
        source: 'sample',
      });
    }
  });

  const all: LabelledPair[] = [...gold.map(({ task: _task, ...pair }) => pair), ...negatives, ...samples];
  stats.gold = gold.length;
  stats.negatives = negatives.length;
  stats.samples = samples.length;
  stats.distinct = all.length;
  shuffle(all, random);
  let pairs = all;
  if (trainSize !== undefined) {
    pairs = [];
    while (pairs.length < trainSize) pairs.push(...all.slice(0, trainSize - pairs.length));
  }
  stats.written = pairs.length;
  return { pairs, stats };
}

/** One output line: {instruction, response, label, source}. */
export function pairLine(pair: LabelledPair): string {
  return JSON.stringify({ instruction: pair.instruction, response: pair.response, label: pair.label, source: pair.source }) + '\n';
}
