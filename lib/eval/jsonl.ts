// JSONL for the eval commands: one JSON value per line, blank lines skipped,
// and every error names its line (1-based), so a bad row in a large file is
// found at once.
import { InvalidInputError } from '../errors/index.js';
import { readInputFile } from '../util/input-file.js';

/**
 * Each non-blank line of JSONL text, parsed, with its 1-based number and how
 * messages name it (`where`); a line that is not JSON is an InvalidInputError
 * naming it. A CRLF file reads as its LF twin.
 */
export function* jsonlValues(text: string, where: (line: number) => string): Generator<{ value: unknown; line: number; where: string }> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    const at = where(i + 1);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new InvalidInputError(`${at}: not valid JSON (${(e as Error).message})`, { cause: e });
    }
    yield { value, line: i + 1, where: at };
  }
}

/** Parses `text` line by line; `parse` checks one value and names `where` in its errors. */
export function parseJsonl<T>(text: string, parse: (value: unknown, where: string) => T, source = 'input'): T[] {
  const rows: T[] = [];
  for (const { value, where } of jsonlValues(text, (line) => `${source}: line ${line}`)) rows.push(parse(value, where));
  if (rows.length === 0) throw new InvalidInputError(`${source} has no rows`);
  return rows;
}

/** Reads and parses a JSONL file that `flag` named (see readInputFile for one that cannot be read). */
export async function readJsonlFile<T>(path: string, parse: (value: unknown, where: string) => T, flag = '--data'): Promise<T[]> {
  return parseJsonl((await readInputFile(path, flag)).toString('utf8'), parse, path);
}
