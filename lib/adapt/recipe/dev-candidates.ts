// `cappy adapt --tasks --llm --eval dev.jsonl` where the dev task rows carry
// no candidates: the LLM answers them with the same decoding mix as the
// training rows (the greedy answer first, then the four sampling settings in
// the paper's order, as the paper's validation set holds its 17 samples),
// and the rows are written, candidates included, to a file beside --out.
// That file is what the run evaluates on, and what `cappy eval best-of-n
// --data` takes afterwards, so every figure is measured on the same
// candidates. Rows that bring their own candidates keep them.
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../../errors/index.js';
import { llmCandidates, type LlmCandidateOptions, type LlmProgress } from './llm-candidates.js';
import { writeAtomically } from './make-data.js';
import { parseTaskRows, type TaskRow } from './task-rows.js';

/** The dev rows when they are task rows of which some have no candidates; otherwise undefined. */
export async function devRowsNeedingCandidates(evalPath: string): Promise<TaskRow[] | undefined> {
  let text: string;
  try {
    text = await readFile(evalPath, 'utf8');
  } catch {
    return undefined; // readDevSet names the problem
  }
  const first = text.split('\n').find((l) => l.trim() !== '');
  let value: unknown;
  try {
    value = first === undefined ? undefined : JSON.parse(first);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('references' in value) || 'label' in value) return undefined;
  const rows = parseTaskRows(text, `--eval ${evalPath}`);
  return rows.some((r) => r.candidates.length === 0) ? rows : undefined;
}

/** Asks the LLM for the rows without candidates and writes every row to `out` (atomically). */
export async function writeDevRowsWithCandidates(
  rows: readonly TaskRow[],
  out: string,
  llm: LlmCandidateOptions,
): Promise<{ drawn: number; progress: LlmProgress }> {
  const lacking = [...new Set(rows.filter((r) => r.candidates.length === 0).map((r) => r.instruction))];
  const got = await llmCandidates(lacking, llm);
  const answers = new Map(lacking.map((instruction, i) => [instruction, got.candidates[i]]));
  const lines = rows.map((r) => {
    const candidates = r.candidates.length > 0 ? r.candidates : answers.get(r.instruction)!;
    if (candidates.length === 0)
      throw new InvalidInputError(`${r.where}: the LLM gave no candidates for this dev row (--samples 0 and --greedy false?)`);
    return JSON.stringify({ ...(r.task ? { task: r.task } : {}), instruction: r.instruction, references: r.references, candidates }) + '\n';
  });
  await writeAtomically(out, lines);
  return { drawn: lacking.length, progress: got.progress };
}
