// `cappy adapt --eval` with dev task rows (lib/adapt/recipe/dev-set.ts):
// told apart from labelled pairs by the first row, each candidate labelled
// by its Rouge-L against the row's references (worked by hand below), and
// best-of-N figures from predictions, checked against hand-picked argmaxes.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devBestOfN, readDevSet } from '../../lib/adapt/recipe/dev-set.js';
import { InvalidInputError } from '../../lib/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cappy-dev-set-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const ROWS = [
  // Stemmed, "dog running" is [dog, run], as in the reference [the, dog, run]; unstemmed it shares nothing with [the, dogs, run].
  { task: 'a', instruction: 'What do dogs do?', references: ['the dogs run'], candidates: ['dogs run', 'dog running', 'cats'] },
  { instruction: 'Say hi', references: ['hi', 'hello there'], candidates: ['hello', 'hi'] },
];

describe('readDevSet', () => {
  it('reads labelled pairs as --eval always did', async () => {
    const p = file('pairs.jsonl', '{"instruction":"q","response":"r","label":0.5}\n\n{"instruction":"q2","response":"r2","label":1}\n');
    const d = await readDevSet(p, true);
    expect(d.bestOfNRows).toBeUndefined();
    expect(d.rows).toEqual([
      { instruction: 'q', response: 'r', label: 0.5 },
      { instruction: 'q2', response: 'r2', label: 1 },
    ]);
    expect([...d.lines]).toEqual([1, 3]);
  });

  it('reads task rows: one dev pair per candidate, labelled by Rouge-L F against the best reference', async () => {
    const text = ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const p = file('tasks.jsonl', text);
    const d = await readDevSet(p, true);
    expect(d.bestOfNRows).toEqual(ROWS.map(({ instruction, references, candidates }) => ({ instruction, references, candidates })));
    expect(d.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect([...d.lines]).toEqual([1, 1, 1, 2, 2]);
    // [dog, run] vs [the, dog, run]: P 1, R 2/3, F 0.8, for both of the first two.
    // [hello] vs [hi] 0, vs [hello, there]: P 1, R 1/2, F 2/3. [hi] vs [hi]: 1.
    const labels = d.rows.map((r) => r.label);
    [0.8, 0.8, 0, 2 / 3, 1].forEach((x, i) => expect(labels[i]).toBeCloseTo(x, 12));
    expect(d.rows.map((r) => r.response)).toEqual(['dogs run', 'dog running', 'cats', 'hello', 'hi']);
    // Unstemmed: [dogs, run] still 0.8; [dog, running] vs [the, dogs, run] has no common token: 0.
    const plain = await readDevSet(p, false);
    expect(plain.rows.map((r) => r.label).slice(0, 2)).toEqual([0.8, 0]);
  });

  it('refuses a dev task row without candidates, naming the line; task rows as --data point to --tasks', async () => {
    const p = file('no-cands.jsonl', `${JSON.stringify(ROWS[0])}\n{"instruction":"q","references":["a"]}\n`);
    await expect(readDevSet(p, true)).rejects.toThrow(/--eval .*no-cands\.jsonl: line 2: a dev task row needs candidates/);
    await expect(readDevSet(p, true)).rejects.toThrow(InvalidInputError);
    const bad = file('bad-ref.jsonl', '{"instruction":"q","references":[1],"candidates":["a"]}\n');
    await expect(readDevSet(bad, true)).rejects.toThrow(/line 1: references\[0\] must be a string, got number/);
    await expect(readDevSet(file('t.jsonl', JSON.stringify(ROWS[0])), true, '--data')).rejects.toThrow(
      /--data .*t\.jsonl holds task rows .*give them as --tasks/,
    );
    await expect(readDevSet(file('empty.jsonl', ''), true)).rejects.toThrow(/--eval .*empty\.jsonl: no rows/);
  });
});

describe('devBestOfN', () => {
  it('the argmax per row (first on ties), the first candidate and the oracle, from predictions in row order', () => {
    const rows = ROWS.map(({ instruction, references, candidates }) => ({ instruction, references, candidates }));
    // Row 1 picks "cats" (0), row 2 picks "hi" (1): mean 0.5. First: (0.8 + 2/3) / 2. Oracle: (0.8 + 1) / 2.
    const r = devBestOfN(rows, Float32Array.from([0.1, 0.2, 0.9, -1, 3]), true);
    expect(r.selected).toBeCloseTo(0.5, 12);
    expect(r.firstCandidate).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
    expect(r.oracle).toBeCloseTo(0.9, 12);
    expect(r).toMatchObject({ rows: 2, candidates: 5, changed: 2, stem: true });
    // A tie keeps the first candidate.
    expect(devBestOfN(rows, Float32Array.from([1, 1, 1, 2, 2]), true).changed).toBe(0);
  });
});
