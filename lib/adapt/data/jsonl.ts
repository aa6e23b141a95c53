// Labelled pairs for `cappy adapt --data` / `--eval`: one JSON object per
// line, {"instruction": string, "response": string, "label": number}. Other
// fields (an id, a source) are ignored; blank lines are skipped. A label may
// be any finite number: the loss is a plain squared error on the raw logit,
// so nothing in the math needs [0, 1], but the paper's labels are in [0, 1]
// (gold 1, random negatives 0, Rouge-L in between), so labels outside it are
// counted and reported, never clamped. Every refusal names the file and line.
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../errors/index.js';
import { jsonlValues } from '../../eval/jsonl.js';
import { readInputFile } from '../../util/input-file.js';

export interface LabelledPair {
  instruction: string;
  response: string;
  label: number;
}

export interface LabelledData {
  path: string;
  rows: LabelledPair[];
  /** 1-based line of each row in the file. */
  lines: Uint32Array;
  /** SHA-256 of the file's bytes (hex). */
  sha256: string;
  bytes: number;
  /** Rows whose label is outside [0, 1]. */
  outsideUnit: number;
}

/** Checks one parsed line; `where` is "file:line". */
export function toLabelledPair(value: unknown, where: string): LabelledPair {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(
      `${where}: expected an object {"instruction", "response", "label"}, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
    );
  }
  const o = value as Record<string, unknown>;
  for (const key of ['instruction', 'response', 'label'] as const) {
    if (!Object.hasOwn(o, key)) throw new InvalidInputError(`${where}: missing field "${key}"`);
  }
  for (const key of ['instruction', 'response'] as const) {
    if (typeof o[key] !== 'string') throw new InvalidInputError(`${where}: "${key}" must be a string, got ${typeName(o[key])}`);
  }
  const label = o.label;
  if (typeof label !== 'number') throw new InvalidInputError(`${where}: "label" must be a number, got ${typeName(label)}`);
  // JSON has no NaN or Infinity, but 1e999 parses to Infinity.
  if (!Number.isFinite(label)) throw new InvalidInputError(`${where}: "label" must be a finite number, got ${String(label)}`);
  return { instruction: o.instruction as string, response: o.response as string, label };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}` : typeof v;
}

/** Reads and checks a whole file. `what` names the option it came from, for messages. */
export async function readLabelledPairs(path: string, what = '--data'): Promise<LabelledData> {
  return parseLabelledPairs(await readInputFile(path, what), path, what);
}

/** Checks a file's bytes, already read (readDevSet looks at the first row before it knows the kind). */
export function parseLabelledPairs(bytes: Buffer, path: string, what = '--data'): LabelledData {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  const rows: LabelledPair[] = [];
  const lines: number[] = [];
  let outsideUnit = 0;
  for (const { value, line, where } of jsonlValues(text, (n) => `${path}:${n}`)) {
    const row = toLabelledPair(value, where);
    if (row.label < 0 || row.label > 1) outsideUnit += 1;
    rows.push(row);
    lines.push(line);
  }
  if (rows.length === 0) {
    throw new InvalidInputError(
      `${what} ${path}: no rows (${bytes.length === 0 ? 'the file is empty' : 'only blank lines'}); expected one {"instruction", "response", "label"} object per line`,
    );
  }
  return { path, rows, lines: Uint32Array.from(lines), sha256, bytes: bytes.length, outsideUnit };
}
