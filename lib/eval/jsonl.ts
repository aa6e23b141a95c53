// JSONL for the eval commands: one JSON value per line, blank lines skipped,
// and every error names its line (1-based), so a bad row in a large file is
// found at once.
import { InvalidInputError } from '../errors/index.js';
import { readInputFile } from '../util/input-file.js';

/** Parses `text` line by line; `parse` checks one value and names `where` in its errors. */
export function parseJsonl<T>(text: string, parse: (value: unknown, where: string) => T, source = 'input'): T[] {
  const rows: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new InvalidInputError(`${source}: line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    rows.push(parse(v, `${source}: line ${i + 1}`));
  }
  if (rows.length === 0) throw new InvalidInputError(`${source} has no rows`);
  return rows;
}

/** Reads and parses a JSONL file that `flag` named (see readInputFile for one that cannot be read). */
export async function readJsonlFile<T>(path: string, parse: (value: unknown, where: string) => T, flag = '--data'): Promise<T[]> {
  return parseJsonl((await readInputFile(path, flag)).toString('utf8'), parse, path);
}
