// Shards and part files without a model: which shard a process scores (flag,
// Indexed Job environment), and what `cappy merge` accepts and refuses. The
// parts here are written by hand, so the merge is checked against rows built
// independently of the scoring code.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, MissingPartError, ShardError } from '../../lib/index.js';
import { mergeParts, rowsOfShard } from '../../lib/shard/merge.js';
import { partPath, trailerLine, type InputIdentity } from '../../lib/shard/part-file.js';
import { inShard, parseShard, resolveShard } from '../../lib/shard/spec.js';

describe('shard selection', () => {
  it('parses i/N and refuses what is not a shard', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    for (const bad of ['8/8', '1/0', '-1/4', '2', 'a/b', '1/2/3', '']) expect(() => parseShard(bad)).toThrow(InvalidInputError);
  });

  it('takes the index from JOB_COMPLETION_INDEX when only a count is given', () => {
    expect(resolveShard({ shardCount: 4 }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(resolveShard({ shard: '1/4' }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 1, count: 4 });
    expect(() => resolveShard({ shardCount: 4 }, {})).toThrow(/JOB_COMPLETION_INDEX/);
    expect(() => resolveShard({ shardCount: 4 }, { JOB_COMPLETION_INDEX: '4' })).toThrow(/below the shard count 4/);
    expect(() => resolveShard({ shard: '1/4', shardCount: 5 }, {})).toThrow(/disagree/);
    const warnings: string[] = [];
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '2' }, (m) => warnings.push(m))).toBeUndefined();
    expect(warnings[0]).toMatch(/no shard count/);
    expect(resolveShard({}, {})).toBeUndefined();
  });

  it('splits rows k mod N: every row in exactly one shard, sizes within one of each other', () => {
    for (const [rows, count] of [
      [0, 3],
      [5, 8],
      [100, 7],
      [10, 1],
    ]) {
      const owners = Array.from({ length: rows }, (_, k) =>
        Array.from({ length: count }, (_, i) => i).filter((i) => inShard({ index: i, count }, k)),
      );
      expect(owners.every((o) => o.length === 1)).toBe(true);
      const sizes = Array.from({ length: count }, (_, i) => owners.filter((o) => o[0] === i).length);
      expect(sizes).toEqual(Array.from({ length: count }, (_, i) => rowsOfShard(rows, i, count)));
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(rows === 0 ? 0 : 1);
    }
  });

  it('names parts so they sort in shard order', () => {
    expect(partPath('/x/out.jsonl', { index: 2, count: 4 })).toBe('/x/out.jsonl.part-00002-of-00004');
    expect(partPath('o', { index: 123456, count: 200000 })).toBe('o.part-123456-of-200000');
  });
});

/** Writes hand-made parts of `rows` rows split `count` ways; returns the unsharded text. */
function writeParts(dir: string, rows: number, count: number, input: Partial<InputIdentity> = {}): string {
  const output = join(dir, 'out.jsonl');
  const line = (k: number) => JSON.stringify({ index: k, score: k / 8, id: `id-${k}` }) + '\n';
  const identity: InputIdentity = { bytes: 1000, sha256: 'a'.repeat(64), rows, ...input };
  for (let i = 0; i < count; i++) {
    let text = '';
    for (let k = i; k < rows; k += count) text += line(k);
    const shardRows = Math.ceil(Math.max(0, rows - i) / count);
    text += trailerLine({ version: 1, shard: i, count, rows: shardRows, input: identity });
    writeFileSync(partPath(output, { index: i, count }), text);
  }
  return Array.from({ length: rows }, (_, k) => line(k)).join('');
}

describe('cappy merge (mergeParts)', () => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'cappy-shard-'));

  it('interleaves the parts into the unsharded rows, for N below, at and above the row count', async () => {
    for (const [rows, count] of [
      [10, 3],
      [4, 4],
      [3, 8],
      [0, 2],
      [1000, 7],
    ]) {
      const dir = fresh();
      const whole = writeParts(dir, rows, count);
      const r = await mergeParts(join(dir, 'out.jsonl'));
      expect(r).toMatchObject({ rows, count });
      expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toBe(whole);
    }
  });

  it('names the missing part, and writes nothing', async () => {
    const dir = fresh();
    writeParts(dir, 10, 4);
    const gone = partPath(join(dir, 'out.jsonl'), { index: 2, count: 4 });
    writeFileSync(gone + '.tmp-1-abc', 'unfinished'); // a shard still running does not count
    const { rmSync } = await import('node:fs');
    rmSync(gone);
    const err = await mergeParts(join(dir, 'out.jsonl')).catch((e) => e);
    expect(err).toBeInstanceOf(MissingPartError);
    expect(err.code).toBe('SHARD');
    expect(err.missing).toEqual([gone]);
    expect(err.message).toContain(gone);
    expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
  });

  it('with --shard-count, expects that many parts even when none of them is there', async () => {
    const dir = fresh();
    writeParts(dir, 10, 2);
    const err = await mergeParts(join(dir, 'out.jsonl'), { shardCount: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(MissingPartError);
    expect(err.missing).toHaveLength(3);
  });

  it('refuses parts of different inputs, of different counts, and parts that lost rows', async () => {
    const a = fresh();
    writeParts(a, 10, 2);
    // Part 1 replaced by one cut from another input.
    const other = fresh();
    writeParts(other, 10, 2, { sha256: 'b'.repeat(64) });
    writeFileSync(
      partPath(join(a, 'out.jsonl'), { index: 1, count: 2 }),
      readFileSync(partPath(join(other, 'out.jsonl'), { index: 1, count: 2 })),
    );
    await expect(mergeParts(join(a, 'out.jsonl'))).rejects.toThrow(ShardError);
    await expect(mergeParts(join(a, 'out.jsonl'))).rejects.toThrow(/different inputs/);

    const b = fresh();
    writeParts(b, 10, 2);
    writeParts(b, 10, 3);
    await expect(mergeParts(join(b, 'out.jsonl'))).rejects.toThrow(/different shard counts \(2, 3\)/);
    await mergeParts(join(b, 'out.jsonl'), { shardCount: 3 });

    const c = fresh();
    writeParts(c, 10, 2);
    const p0 = partPath(join(c, 'out.jsonl'), { index: 0, count: 2 });
    const lines = readFileSync(p0, 'utf8').split('\n');
    writeFileSync(p0, [...lines.slice(1)].join('\n')); // first row gone, trailer kept
    await expect(mergeParts(join(c, 'out.jsonl'))).rejects.toThrow(/expected the row with index 0/);

    const d = fresh();
    writeParts(d, 10, 2);
    const p1 = partPath(join(d, 'out.jsonl'), { index: 1, count: 2 });
    writeFileSync(p1, readFileSync(p1, 'utf8').split('\n').slice(0, -2).join('\n') + '\n'); // trailer gone
    await expect(mergeParts(join(d, 'out.jsonl'))).rejects.toThrow(/not a complete cappy part file/);
  });
});
