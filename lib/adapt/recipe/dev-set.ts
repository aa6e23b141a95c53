// `cappy adapt --eval FILE`: dev pairs as before ({instruction, response,
// label} lines), or dev task rows ({instruction, references[],
// candidates[]}, the rows `cappy eval best-of-n` reads). Task rows are told
// apart by their first row: it has `references` and no `label`. Each of
// their candidates becomes a dev pair labelled by its Rouge-L against the
// row's references (the same label the recipe gives a sample), so the MSE
// and Spearman are measured as for pairs, and the rows are kept for
// best-of-N: which candidate the model ranks first, before and after.
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../errors/index.js';
import { bestOfN, type BonRow } from '../../eval/best-of-n.js';
import { jsonlValues } from '../../eval/jsonl.js';
import { rougeLBest } from '../../eval/rouge.js';
import { readInputFile } from '../../util/input-file.js';
import { parseLabelledPairs, type LabelledData, type LabelledPair } from '../data/jsonl.js';
import { parseTaskRow } from './task-rows.js';

export interface DevSet extends LabelledData {
  /** Present when the file held task rows: the rows, their pairs in row and candidate order. */
  bestOfNRows?: BonRow[];
}

/** Best-of-N Rouge-L F (0 to 1) on a dev set of task rows, from one model's predictions. */
export interface DevBestOfN {
  rows: number;
  candidates: number;
  /** The model's pick (argmax of its scores; the first on ties). */
  selected: number;
  /** The first candidate of each row, what a caller without a scorer returns. */
  firstCandidate: number;
  /** The best candidate by Rouge-L itself: the ceiling of any selector. */
  oracle: number;
  /** Rows whose pick is not the first candidate. */
  changed: number;
  stem: boolean;
}

function firstValue(text: string): unknown {
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      return JSON.parse(line);
    } catch {
      return undefined; // parseLabelledPairs names the line
    }
  }
  return undefined;
}

function isTaskRow(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'references' in v && !('label' in v);
}

/**
 * Reads an --eval file of either kind (`stem`: the Rouge-L labels'
 * stemming). With `what: '--data'` task rows are refused with a pointer to
 * --tasks, which labels them first.
 */
export async function readDevSet(path: string, stem: boolean, what: '--eval' | '--data' = '--eval'): Promise<DevSet> {
  const bytes = await readInputFile(path, what);
  const text = bytes.toString('utf8');
  if (!isTaskRow(firstValue(text))) return parseLabelledPairs(bytes, path, what);
  if (what === '--data') {
    throw new InvalidInputError(
      `--data ${path} holds task rows (references, no label); give them as --tasks, which makes the labelled pairs first (or run \`cappy adapt data\`)`,
    );
  }

  const bestOfNRows: BonRow[] = [];
  const rows: LabelledPair[] = [];
  const lines: number[] = [];
  for (const { value, line, where } of jsonlValues(text, (n) => `--eval ${path}: line ${n}`)) {
    const row = parseTaskRow(value, where);
    if (row.candidates.length === 0) {
      throw new InvalidInputError(
        `${where}: a dev task row needs candidates (the answers best-of-N chooses among), e.g. {"instruction", "references": [...], "candidates": [...]}`,
      );
    }
    bestOfNRows.push({ instruction: row.instruction, candidates: row.candidates, references: row.references });
    for (const candidate of row.candidates) {
      rows.push({ instruction: row.instruction, response: candidate, label: rougeLBest(candidate, row.references, { stem }) });
      lines.push(line);
    }
  }
  return {
    path,
    rows,
    lines: Uint32Array.from(lines),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    outsideUnit: 0,
    bestOfNRows,
  };
}

/** Best-of-N on the dev rows from predictions over their pairs (in DevSet order). */
export function devBestOfN(rows: readonly BonRow[], predictions: Float32Array, stem: boolean): DevBestOfN {
  const r = bestOfN(rows, predictions, { stem });
  return {
    rows: r.rows,
    candidates: r.candidates,
    selected: r.selected,
    firstCandidate: r.baseline,
    oracle: r.oracle,
    changed: r.changed,
    stem,
  };
}
