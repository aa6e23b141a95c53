// Best-of-N the way Cappy is used to boost an LLM: sample N candidates per
// instruction, keep the one the scorer ranks first, and measure it against
// references with Rouge-L. The baseline keeps the first candidate (what a
// caller without a scorer would return), and the oracle keeps the candidate
// with the best Rouge-L, the ceiling any selector could reach. Rouge-L is
// rouge_score's rougeL with Porter stemming by default (use_stemmer=True, as
// the Cappy paper evaluates); `stem: false` gives the unstemmed figure.
import { InvalidInputError } from '../errors/index.js';
import { argmax } from '../scorer/ranking.js';
import { rougeLBest, type RougeOptions } from './rouge.js';

export interface BonRow {
  instruction: string;
  candidates: string[];
  references: string[];
}

export interface BonResult {
  rows: number;
  candidates: number;
  /** Mean Rouge-L F of the scorer's pick (argmax; the first on ties). */
  selected: number;
  /** Mean Rouge-L F of the first candidate. */
  baseline: number;
  /** Mean Rouge-L F of the best candidate by Rouge-L itself. */
  oracle: number;
  /** selected - baseline. */
  gain: number;
  /** Rows whose pick is not the first candidate. */
  changed: number;
  /** Index picked per row, in row order. */
  picks: number[];
  /** Whether tokens were Porter-stemmed. */
  stem: boolean;
}

function stringArray(v: unknown, name: string, where: string): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new InvalidInputError(`${where}: ${name} must be a non-empty array of strings`);
  v.forEach((s, i) => {
    if (typeof s !== 'string')
      throw new InvalidInputError(`${where}: ${name}[${i}] must be a string, got ${s === null ? 'null' : typeof s}`);
  });
  return v as string[];
}

/** Parses one JSONL row: {instruction, candidates[], references[]}. */
export function parseBonRow(value: unknown, where: string): BonRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`${where}: expected an object {instruction, candidates, references}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.instruction !== 'string') throw new InvalidInputError(`${where}: instruction must be a string`);
  return {
    instruction: o.instruction,
    candidates: stringArray(o.candidates, 'candidates', where),
    references: stringArray(o.references, 'references', where),
  };
}

/** `scores` holds every row's candidates, flattened in row order. */
export function bestOfN(rows: readonly BonRow[], scores: Float32Array, options: RougeOptions = {}): BonResult {
  const stem = options.stem ?? true;
  const total = rows.reduce((s, r) => s + r.candidates.length, 0);
  if (scores.length !== total) throw new InvalidInputError(`one score per candidate is needed (${total}), got ${scores.length}`);
  let offset = 0;
  let selected = 0;
  let baseline = 0;
  let oracle = 0;
  let changed = 0;
  const picks: number[] = [];
  for (const row of rows) {
    const n = row.candidates.length;
    const pick = argmax(scores.subarray(offset, offset + n)).index; // the same rule as Scorer.choose
    offset += n;
    const rouge = row.candidates.map((c) => rougeLBest(c, row.references, { stem }));
    selected += rouge[pick];
    baseline += rouge[0];
    oracle += Math.max(...rouge);
    if (pick !== 0) changed += 1;
    picks.push(pick);
  }
  const k = rows.length || 1;
  return {
    rows: rows.length,
    candidates: total,
    selected: selected / k,
    baseline: baseline / k,
    oracle: oracle / k,
    gain: (selected - baseline) / k,
    changed,
    picks,
    stem,
  };
}
