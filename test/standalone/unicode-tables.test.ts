// The Unicode and grapheme tables the core compiles are committed (so the
// core builds without Node, scripts/install-core.sh), and generated from
// Node's ICU data by scripts/gen-*-tables.mjs, never by hand. Regenerating
// them must give the committed bytes. Tables come from the ICU that runs the
// generator; a Node with another ICU makes other tables, so that case skips
// and names both versions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const tables = join(root, 'native', 'core', 'tokenizer', 'unicode', 'tables');
const work = mkdtempSync(join(tmpdir(), 'cappy-tables-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cases = [
  { script: 'gen-unicode-tables.mjs', file: 'cappy_unicode_tables.inc' },
  { script: 'gen-grapheme-tables.mjs', file: 'cappy_grapheme_tables.inc' },
];

describe.each(cases)('$file', ({ script, file }) => {
  const committed = readFileSync(join(tables, file));
  const madeWith = /ICU ([\d.]+)/.exec(committed.toString('utf8', 0, 300))?.[1];
  const here = process.versions.icu;
  it.skipIf(madeWith !== here)(
    madeWith === here
      ? `regenerating with scripts/${script} gives the committed bytes`
      : `skipped: committed from ICU ${madeWith}, this Node has ICU ${here}`,
    () => {
      const out = join(work, file);
      const r = spawnSync(process.execPath, [join(root, 'scripts', script), out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const fresh = readFileSync(out);
      expect(fresh.length).toBe(committed.length);
      expect(fresh.equals(committed)).toBe(true);
    },
    60_000,
  );
});
