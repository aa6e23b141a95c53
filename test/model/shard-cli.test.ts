// Sharded `cappy score` end to end, with the built CLI and a forged tiny model
// (random weights, not Cappy): for several shard counts, scoring every shard
// and merging must give the unsharded output byte for byte; a finished shard
// is not scored again; a missing part is named.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'cappy.js');

function cappy(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `rows` rows, ids on every other one, blank lines between some (blank lines are not rows). */
function inputText(rows: number): { text: string; pairs: [string, string][] } {
  const pairs: [string, string][] = Array.from({ length: rows }, (_, i) => [
    `question ${i}?`,
    `answer ${'word '.repeat((i * 7) % 40)}${i}`,
  ]);
  const lines = pairs.map((p, i) => (i % 2 ? JSON.stringify({ id: `row-${i}`, instruction: p[0], response: p[1] }) : JSON.stringify(p)));
  return { text: lines.map((l, i) => (i % 10 === 3 ? `\n${l}` : l)).join('\n') + '\n', pairs };
}

describe('cappy score --shard / cappy merge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cappy-shard-cli-'));
  const model = () => inject('tinyModelDir');
  const input = join(dir, 'in.jsonl');
  const whole = join(dir, 'whole.jsonl');
  const { text, pairs } = inputText(61);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    writeFileSync(input, text);
    const r = cappy(['score', '--model', model(), '--input', input, '--output', whole]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('the unsharded output is the in-process Scorer, in order, with ids', async () => {
    const rows = readFileSync(whole, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const scorer = await Scorer.load(model());
    const expected = await scorer.scoreBatch(pairs);
    await scorer.dispose();
    expect(rows.map((r) => r.index)).toEqual(pairs.map((_, i) => i));
    expect(rows.map((r) => r.score)).toEqual(Array.from(expected));
    expect(rows.map((r) => r.id)).toEqual(pairs.map((_, i) => (i % 2 ? `row-${i}` : undefined)));
  });

  /** Scores every shard (odd ones through the Indexed Job environment), merges, and returns the merged file. */
  function shardAndMerge(from: string, out: string, count: number): string {
    for (let i = 0; i < count; i++) {
      const r =
        i % 2
          ? cappy(['score', '--model', model(), '--input', from, '--output', out], {
              JOB_COMPLETION_INDEX: String(i),
              CAPPY_SHARD_COUNT: String(count),
            })
          : cappy(['score', '--model', model(), '--input', from, '--output', out, '--shard', `${i}/${count}`]);
      expect(r.code, r.stderr).toBe(0);
    }
    const m = cappy(['merge', '--output', out]);
    expect(m.code, m.stderr).toBe(0);
    return out;
  }

  for (const count of [1, 3, 8]) {
    it(`merging ${count} shard(s) gives the unsharded output byte for byte`, () => {
      expect(readFileSync(shardAndMerge(input, join(dir, `out-${count}.jsonl`), count))).toEqual(readFileSync(whole));
    });
  }

  it('more shards than rows: the empty shards still write parts, and the merge is the unsharded output', () => {
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, inputText(3).text);
    const smallWhole = join(dir, 'small-whole.jsonl');
    expect(cappy(['score', '--model', model(), '--input', small, '--output', smallWhole]).code).toBe(0);
    expect(readFileSync(smallWhole, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readFileSync(shardAndMerge(small, join(dir, 'small-out.jsonl'), 7))).toEqual(readFileSync(smallWhole));
  });

  it('re-running a finished shard does nothing and says so; a changed input is refused', () => {
    const out = join(dir, 'again.jsonl');
    const args = ['score', '--model', model(), '--input', input, '--output', out, '--shard', '1/2'];
    expect(cappy(args).code).toBe(0);
    const part = `${out}.part-00001-of-00002`;
    const before = statSync(part).mtimeMs;
    const bytes = readFileSync(part);
    const again = cappy(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already complete/);
    expect(statSync(part).mtimeMs).toBe(before);
    expect(readFileSync(part)).toEqual(bytes);

    const changed = join(dir, 'changed.jsonl');
    writeFileSync(changed, text + JSON.stringify(['one', 'more']) + '\n');
    const refused = cappy(['score', '--model', model(), '--input', changed, '--output', out, '--shard', '1/2']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/ShardError .*another input/);
  });

  it('merge names a missing part; an empty input merges to an empty file', () => {
    const out = join(dir, 'gap.jsonl');
    for (const i of [0, 2])
      expect(cappy(['score', '--model', model(), '--input', input, '--output', out, '--shard', `${i}/3`]).code).toBe(0);
    const m = cappy(['merge', '--output', out]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/MissingPartError \[SHARD\]: 1 of 3 part files missing: .*gap\.jsonl\.part-00001-of-00003/);
    expect(existsSync(out)).toBe(false);

    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const emptyWhole = join(dir, 'empty-whole.jsonl');
    expect(cappy(['score', '--model', model(), '--input', empty, '--output', emptyWhole]).code).toBe(0);
    const emptyOut = join(dir, 'empty-out.jsonl');
    for (const i of [0, 1])
      expect(cappy(['score', '--model', model(), '--input', empty, '--output', emptyOut, '--shard', `${i}/2`]).code).toBe(0);
    expect(cappy(['merge', '--output', emptyOut]).code).toBe(0);
    expect(readFileSync(emptyOut)).toEqual(readFileSync(emptyWhole));
    expect(readFileSync(emptyOut).length).toBe(0);
  });
});
