// `cappy adapt` as a user runs it (the built bin in a child process): every
// option of the table is a flag with its CAPPY_* variable, unknown flags and
// bad values are refused before any work, and a refusal leaves --out as it
// was. Training runs themselves (and SIGTERM) are in adapt-e2e.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADAPT_OPTIONS } from '../../lib/options/adapt.js';
import { envOf, flagOf } from '../../lib/options/spec.js';

const repo = resolve(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'cappy.js');
const tinyDir = inject('tinyModelDir');
let root: string;
let data: string;

function cappy(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, 'adapt', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-adapt-cli-'));
  data = join(root, 'train.jsonl');
  await writeFile(data, '{"instruction":"a","response":"b","label":1}\n{"instruction":"c","response":"d","label":0}\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('cappy adapt', () => {
  it('--help lists every option of the table with its CAPPY_* variable, and --no-shuffle', () => {
    const r = cappy(['--help']);
    expect(r.code).toBe(0);
    for (const [key, spec] of Object.entries(ADAPT_OPTIONS)) {
      const flag = flagOf(key, spec);
      expect(r.stdout).toContain(`--${flag} `);
      expect(r.stdout).toContain(envOf(flag));
    }
    expect(r.stdout).toContain('--no-shuffle');
  });

  const refusals: [string, string[], Record<string, string>, RegExp, number][] = [
    ['an unknown flag', ['--bogus', '1'], {}, /unknown option '--bogus'/, 1],
    ['a non-numeric --lr', ['--lr', 'abc'], {}, /--lr must be a number above 0 to 1 \(e\.g\. 2e-5\), got 'abc'/, 1],
    ['a non-numeric CAPPY_LR', [], { CAPPY_LR: '2e-5x' }, /--lr must be a number .*got '2e-5x'/, 1],
    ['--epochs with --train-size', ['--epochs', '2', '--train-size', '9'], {}, /InvalidInputError \[INVALID_INPUT\]: give --epochs or --train-size, not both/, 2],
  ];
  it.each(refusals)('refuses %s, writing nothing', (_what, args, env, message, code) => {
    const out = join(root, `out-${code}-${args.length}`);
    const r = cappy(['--model', tinyDir, '--data', data, '--out', out, ...args], env);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an empty data file and an --out holding another model, with typed errors (exit 2)', async () => {
    const empty = join(root, 'empty.jsonl');
    await writeFile(empty, '');
    const out = join(root, 'fresh');
    const r = cappy(['--model', tinyDir, '--data', empty, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cappy: InvalidInputError \[INVALID_INPUT\]: --data .*empty\.jsonl: no rows \(the file is empty\)/);
    expect(existsSync(out)).toBe(false);

    const occupied = join(root, 'occupied');
    await mkdir(occupied);
    await writeFile(join(occupied, 'config.json'), '{}');
    const r2 = cappy(['--model', tinyDir, '--data', data, '--out', occupied]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--out .*occupied already holds another model; choose another folder or pass --overwrite/);
    expect(await readdir(occupied)).toEqual(['config.json']);
  });

  it('says which required option is missing, also through the environment', () => {
    const r = cappy(['--model', tinyDir, '--out', join(root, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--data is required \(or CAPPY_DATA\)/);
    const viaEnv = cappy([], { CAPPY_MODEL: tinyDir, CAPPY_DATA: join(root, 'none.jsonl'), CAPPY_OUT: join(root, 'y') });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toMatch(/--data .*none\.jsonl: cannot read it \(ENOENT\)/);
  });
});
