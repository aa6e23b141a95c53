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
  const r = spawnSync(process.execPath, [bin, 'adapt', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
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
    [
      '--epochs with --train-size',
      ['--epochs', '2', '--train-size', '9'],
      {},
      /InvalidInputError \[INVALID_INPUT\]: give --epochs or --train-size, not both/,
      2,
    ],
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

describe('cappy adapt --tasks (the data step, then training)', () => {
  const rows = [
    { task: 't', instruction: 'apple: say it', references: ['apple'], candidates: ['apple', 'river please', 'apple please'] },
    { task: 't', instruction: 'river: say it', references: ['river'], candidates: ['stone', 'river'] },
  ];
  const write = async (name: string, text: string) => {
    const p = join(root, name);
    await writeFile(p, text);
    return p;
  };
  const jsonl = (r: object[]) => r.map((x) => JSON.stringify(x)).join('\n') + '\n';
  const short = ['--batch-size', '2', '--grad-accum', '1', '--epochs', '1', '--lr', '1e-3', '--threads', '1'];

  it('with --candidates-from-file: pairs kept beside --out, then trained; dev task rows give best-of-N before and after', async () => {
    const tasks = await write('tasks-ok.jsonl', jsonl(rows));
    const out = join(root, 'from-tasks');
    const r = cappy(['--model', tinyDir, '--tasks', tasks, '--candidates-from-file', '--eval', tasks, '--out', out, ...short]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    // 2 gold, at most 2 negatives, 3 samples ("apple" and "river" repeat gold pairs).
    expect(r.stderr).toMatch(
      /data step: \d+ pairs to .*from-tasks\.pairs\.jsonl \(\d+ distinct: 2 gold, \d negatives, 3 samples over 1 task\(s\)/,
    );
    // First candidates "apple" (Rouge-L 1) and "stone" (0): 50; the oracle finds "river": 100.
    expect(r.stderr).toMatch(/eval before: best-of-N Rouge-L F x100 [\d.]+ \(first candidate 50\.00, oracle 100\.00\)/);
    expect(r.stdout).toMatch(
      /dev best-of-N Rouge-L F x100 \(2 rows, 5 candidates, stemmed\): first candidate 50\.00, base model [\d.]+, adapted [\d.]+, oracle 100\.00/,
    );
    expect(existsSync(`${out}.pairs.jsonl`)).toBe(true);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  });

  const refusals: [string, () => Promise<string[]>, RegExp][] = [
    [
      '--data with --tasks',
      async () => ['--data', data, '--tasks', await write('t1.jsonl', jsonl(rows))],
      /give --data \(labelled pairs\) or --tasks \(task rows to make them from\), not both/,
    ],
    [
      'a data-step flag without --tasks',
      async () => ['--data', data, '--llm', 'http://127.0.0.1:9/v1', '--samples', '4'],
      /--llm, --samples belong to the data step, which runs with --tasks/,
    ],
    [
      'a task row without references',
      async () => ['--tasks', await write('t2.jsonl', `${JSON.stringify(rows[0])}\n{"instruction":"q"}\n`)],
      /t2\.jsonl: line 2: the row has no references/,
    ],
    [
      'references that are not strings',
      async () => ['--tasks', await write('t3.jsonl', '{"instruction":"q","references":["a",3]}\n')],
      /t3\.jsonl: line 1: references\[1\] must be a string, got number/,
    ],
    ['an empty tasks file', async () => ['--tasks', await write('t4.jsonl', '')], /t4\.jsonl has no rows/],
    [
      '--pairs inside --out',
      async () => ['--tasks', await write('t5.jsonl', jsonl(rows)), '--pairs', join(root, 'out-pairs', 'p.jsonl')],
      /--pairs .*p\.jsonl is inside --out/,
    ],
    [
      'dev task rows without candidates',
      async () => [
        '--tasks',
        await write('t6.jsonl', jsonl(rows)),
        '--eval',
        await write('dev6.jsonl', '{"instruction":"q","references":["a"]}\n'),
      ],
      /--eval .*dev6\.jsonl: line 1: a dev task row needs candidates/,
    ],
    [
      'task rows given as --data',
      async () => ['--data', await write('t7.jsonl', jsonl(rows))],
      /--data .*t7\.jsonl holds task rows \(references, no label\); give them as --tasks/,
    ],
  ];
  it.each(refusals)('refuses %s with a typed error, writing neither --out nor the pairs', async (_what, args, message) => {
    const out = join(root, 'out-pairs');
    const r = cappy(['--model', tinyDir, '--out', out, ...(await args())]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/InvalidInputError \[INVALID_INPUT\]/);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.pairs.jsonl`)).toBe(false);
  });

  it('refuses an occupied --out before the data step runs', async () => {
    const occupied = join(root, 'occupied-tasks');
    await mkdir(occupied);
    await writeFile(join(occupied, 'config.json'), '{}');
    const r = cappy(['--model', tinyDir, '--tasks', await write('t8.jsonl', jsonl(rows)), '--candidates-from-file', '--out', occupied]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/occupied-tasks already holds another model/);
    expect(existsSync(`${occupied}.pairs.jsonl`)).toBe(false);
  });
});
