// Task rows, what a user of the recipe has: an instruction, its gold answers
// and optionally candidates already drawn from an LLM.
//   {"task"?: string, "instruction": string, "references": [string, ...], "candidates"?: [string, ...]}
// Every error names the file and the line (1-based, blank lines counted).
import { InvalidInputError } from '../../errors/index.js';
import { parseJsonl } from '../../eval/jsonl.js';
import { readInputFile } from '../../util/input-file.js';

export interface TaskRow {
  /** Groups rows for the negatives; rows without one share the task ''. */
  task: string;
  instruction: string;
  references: string[];
  /** Candidates from the file (absent: none). */
  candidates: string[];
  /** Where the row came from, e.g. "rows.jsonl: line 3", for messages. */
  where: string;
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function strings(v: unknown, name: string, where: string, required: boolean): string[] {
  if (v === undefined && !required) return [];
  if (!Array.isArray(v)) throw new InvalidInputError(`${where}: ${name} must be an array of strings, got ${kind(v)}`);
  if (required && v.length === 0)
    throw new InvalidInputError(`${where}: ${name} must not be empty: a task row needs at least one gold answer`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw new InvalidInputError(`${where}: ${name}[${i}] must be a string, got ${kind(s)}`);
  });
  return v as string[];
}

/** Checks one parsed JSONL value. */
export function parseTaskRow(value: unknown, where: string): TaskRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`${where}: expected an object {task?, instruction, references, candidates?}, got ${kind(value)}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.instruction !== 'string') throw new InvalidInputError(`${where}: instruction must be a string, got ${kind(o.instruction)}`);
  if (o.instruction.trim() === '') throw new InvalidInputError(`${where}: instruction is empty`);
  if (o.references === undefined) throw new InvalidInputError(`${where}: the row has no references (its gold answers)`);
  const references = strings(o.references, 'references', where, true);
  references.forEach((r, i) => {
    if (r.trim() === '') throw new InvalidInputError(`${where}: references[${i}] is empty`);
  });
  let task = '';
  if (o.task !== undefined && o.task !== null) {
    if (typeof o.task !== 'string' && typeof o.task !== 'number')
      throw new InvalidInputError(`${where}: task must be a string, got ${kind(o.task)}`);
    task = String(o.task);
  }
  return { task, instruction: o.instruction, references, candidates: strings(o.candidates, 'candidates', where, false), where };
}

/** Parses JSONL text; `source` (the file name) starts every message. */
export function parseTaskRows(text: string, source: string): TaskRow[] {
  return parseJsonl(text, parseTaskRow, source);
}

export async function readTaskRows(file: string): Promise<TaskRow[]> {
  return parseTaskRows((await readInputFile(file, '--tasks')).toString('utf8'), file);
}
