// The paper's data construction (get_cappy_dataset in tanyuqian/cappy
// cappy_bigbench.py) on a small fixture whose every pair and label is written
// out by hand below, then the seed, the task grouping, train sizes, the bad
// inputs, and `cappy adapt data` on the command line (without an LLM; the LLM
// path is in adapt-data-llm.test.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildPairs, byCodePoint, type LabelledPair } from '../../lib/adapt/recipe/pairs.js';
import { parseTaskRows, type TaskRow } from '../../lib/adapt/recipe/task-rows.js';
import { makeAdaptData } from '../../lib/adapt/recipe/make-data.js';
import { registerAdaptData } from '../../lib/cli/commands/adapt-data.js';
import { InvalidInputError } from '../../lib/errors/index.js';
import { seededRandom } from '../../lib/util/seeded-random.js';

const dir = mkdtempSync(join(tmpdir(), 'cappy-adapt-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

const FIXTURE = [
  { task: 'A', instruction: 'I1', references: ['x1'], candidates: ['x1', 'x1 again', '', 'x2b'] },
  { task: 'A', instruction: 'I2', references: ['x2', 'x2b'], candidates: ['x2b x'] },
  { task: 'A', instruction: 'I3', references: ['the dogs are running'], candidates: ['dog runs'] },
  { task: 'B', instruction: 'J1', references: ['y1'], candidates: ['the y1 answers', 'nothing', '   '] },
  { task: 'B', instruction: 'J2', references: ['y2'] },
  { instruction: 'K1', references: ['z1'] },
  { task: 'A', instruction: 'I1', references: ['x1'], candidates: ['x1 again'] },
];
const fixtureText = FIXTURE.map((r) => JSON.stringify(r)).join('\n') + '\n';
const rows = (): TaskRow[] => parseTaskRows(fixtureText, 'fixture.jsonl');
const fileCandidates = (rs: TaskRow[]) => rs.map((r) => r.candidates);

/** Draws that pick the given indices of each task's sorted distinct references, then a seeded stream for the shuffle. */
function scripted(draws: [index: number, poolSize: number][]): () => number {
  const rest = seededRandom(99);
  let i = 0;
  return () => (i < draws.length ? (draws[i][0] + 0.5) / draws[i++][1] : rest());
}

const sortPairs = (ps: LabelledPair[]) => [...ps].sort((a, b) => byCodePoint(JSON.stringify(a), JSON.stringify(b)));

describe('the data construction, by hand', () => {
  // Task A's distinct references, sorted by code point: ['the dogs are running', 'x1', 'x2', 'x2b'];
  // task B's: ['y1', 'y2']; the task-less row's: ['z1']. One draw per gold pair, in file order:
  //   (I1, x1)  -> 3 'x2b'                  -> negative (I1, x2b)
  //   (I2, x2)  -> 0 'the dogs are running' -> negative
  //   (I2, x2b) -> 2 'x2': (I2, x2) is gold -> skipped
  //   (I3, the dogs are running) -> 0, its own reference -> skipped
  //   (J1, y1)  -> 1 'y2'                   -> negative
  //   (J2, y2)  -> 1, its own               -> skipped
  //   (K1, z1)  -> 0, its own (the only one) -> skipped
  // The 7th row repeats (I1, x1): kept once.
  const draws: [number, number][] = [
    [3, 4],
    [0, 4],
    [2, 4],
    [0, 4],
    [1, 2],
    [1, 2],
    [0, 1],
  ];

  it('makes exactly these pairs with these labels, each once', () => {
    const { pairs, stats } = buildPairs(rows(), fileCandidates(rows()), { random: scripted(draws) });
    const expected: LabelledPair[] = [
      { instruction: 'I1', response: 'x1', label: 1, source: 'gold' },
      { instruction: 'I2', response: 'x2', label: 1, source: 'gold' },
      { instruction: 'I2', response: 'x2b', label: 1, source: 'gold' },
      { instruction: 'I3', response: 'the dogs are running', label: 1, source: 'gold' },
      { instruction: 'J1', response: 'y1', label: 1, source: 'gold' },
      { instruction: 'J2', response: 'y2', label: 1, source: 'gold' },
      { instruction: 'K1', response: 'z1', label: 1, source: 'gold' },
      { instruction: 'I1', response: 'x2b', label: 0, source: 'negative' },
      { instruction: 'I2', response: 'the dogs are running', label: 0, source: 'negative' },
      { instruction: 'J1', response: 'y2', label: 0, source: 'negative' },
      // Rouge-L F against the row's best reference, stemmed:
      // [x1 again] vs [x1]: LCS 1, P 1/2, R 1 -> 2/3. ('x1' is gold, 'x2b' the negative, '' empty: no pair.)
      { instruction: 'I1', response: 'x1 again', label: 2 / 3, source: 'sample' },
      // [x2b x] vs [x2]: 0; vs [x2b]: P 1/2, R 1 -> 2/3.
      { instruction: 'I2', response: 'x2b x', label: 2 / 3, source: 'sample' },
      // [dog run] vs [the dog are run] (dogs -> dog, runs/running -> run): LCS 2, P 1, R 1/2 -> 2/3.
      { instruction: 'I3', response: 'dog runs', label: 2 / 3, source: 'sample' },
      // [the y1 answer] vs [y1]: P 1/3, R 1 -> 1/2.
      { instruction: 'J1', response: 'the y1 answers', label: 0.5, source: 'sample' },
      { instruction: 'J1', response: 'nothing', label: 0, source: 'sample' },
    ];
    expect(sortPairs(pairs).map((p) => ({ ...p, label: Number(p.label.toFixed(12)) }))).toEqual(
      sortPairs(expected).map((p) => ({ ...p, label: Number(p.label.toFixed(12)) })),
    );
    const keys = pairs.map((p) => JSON.stringify([p.instruction, p.response]));
    expect(new Set(keys).size).toBe(keys.length);
    expect(stats).toMatchObject({
      rows: 7,
      tasks: 3,
      gold: 7,
      goldRepeats: 1,
      negatives: 3,
      negativesSkipped: 4,
      samples: 5,
      samplesSkipped: 3,
      emptyCandidates: 2,
      distinct: 15,
      written: 15,
    });
  });

  it('labels without stemming when asked: "dog runs" then shares nothing with "the dogs are running"', () => {
    const { pairs } = buildPairs(rows(), fileCandidates(rows()), { random: scripted(draws), stem: false });
    expect(pairs.find((p) => p.response === 'dog runs')!.label).toBe(0);
  });

  it('repeats the whole shuffled set, or cuts it, to trainSize', () => {
    const once = buildPairs(rows(), fileCandidates(rows()), { seed: 5 }).pairs;
    const forty = buildPairs(rows(), fileCandidates(rows()), { seed: 5, trainSize: 40 });
    expect(forty.pairs).toHaveLength(40);
    expect(forty.stats).toMatchObject({ distinct: once.length, written: 40 });
    forty.pairs.forEach((p, i) => expect(p).toEqual(once[i % once.length]));
    expect(buildPairs(rows(), fileCandidates(rows()), { seed: 5, trainSize: 10 }).pairs).toEqual(once.slice(0, 10));
  });
});

describe('seed and task grouping', () => {
  it('the same seed gives the same list; another seed another order of the same golds and samples', () => {
    const a = buildPairs(rows(), fileCandidates(rows()), { seed: 1 }).pairs;
    expect(buildPairs(rows(), fileCandidates(rows()), { seed: 1 }).pairs).toEqual(a);
    const b = buildPairs(rows(), fileCandidates(rows()), { seed: 2 }).pairs;
    expect(b).not.toEqual(a);
    const notNegative = (ps: LabelledPair[]) => sortPairs(ps.filter((p) => p.source !== 'negative'));
    expect(notNegative(b)).toEqual(notNegative(a));
  });

  it("a negative's response is always a reference of its own task, never the instruction's own pair", () => {
    const rs = rows();
    const taskOf = new Map(rs.map((r) => [r.instruction, r.task]));
    const refsOf = new Map<string, Set<string>>();
    for (const r of rs) for (const ref of r.references) refsOf.set(r.task, (refsOf.get(r.task) ?? new Set()).add(ref));
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      for (const p of buildPairs(rs, fileCandidates(rs), { seed }).pairs.filter((q) => q.source === 'negative')) {
        const task = taskOf.get(p.instruction)!;
        expect(refsOf.get(task)!.has(p.response)).toBe(true);
        expect(rs.some((r) => r.instruction === p.instruction && r.references.includes(p.response))).toBe(false);
        seen.add(`${p.instruction}->${p.response}`);
      }
    }
    // Over 200 seeds every allowed negative turns up, and no other: A's instructions take A's other references, J1 and J2 each other's, K1 none.
    expect([...seen].sort()).toEqual(
      [
        'I1->the dogs are running',
        'I1->x2',
        'I1->x2b',
        'I2->the dogs are running',
        'I2->x1',
        'I3->x1',
        'I3->x2',
        'I3->x2b',
        'J1->y2',
        'J2->y1',
      ].sort(),
    );
  });
});

describe('bad input: typed errors that name the row', () => {
  const bad = (text: string) => () => parseTaskRows(text, 'tasks.jsonl');
  const ok = JSON.stringify({ instruction: 'q', references: ['a'] });

  it('a row without references', () => {
    expect(bad(`${ok}\n{"instruction":"q2"}\n`)).toThrow(/tasks\.jsonl: line 2: the row has no references/);
    expect(bad(`${ok}\n\n{"instruction":"q2","references":[]}`)).toThrow(/tasks\.jsonl: line 3: references must not be empty/);
  });

  it('references that are not strings', () => {
    expect(bad(`{"instruction":"q","references":["a",3]}`)).toThrow(/tasks\.jsonl: line 1: references\[1\] must be a string, got number/);
    expect(bad(`{"instruction":"q","references":"a"}`)).toThrow(/tasks\.jsonl: line 1: references must be an array of strings, got string/);
    expect(bad(`${ok}\n{"instruction":"q","references":["a"],"candidates":[null]}`)).toThrow(
      /line 2: candidates\[0\] must be a string, got null/,
    );
  });

  it('an empty tasks file', () => {
    expect(bad('')).toThrow(/tasks\.jsonl has no rows/);
    expect(bad('\n \n')).toThrow(InvalidInputError);
  });

  it('a train size of 0, a missing instruction, bad JSON', () => {
    expect(() => buildPairs(rows(), fileCandidates(rows()), { trainSize: 0 })).toThrow(/trainSize must be an integer from 1/);
    expect(bad(`{"references":["a"]}`)).toThrow(/line 1: instruction must be a string/);
    expect(bad(`${ok}\n{oops`)).toThrow(/tasks\.jsonl: line 2: not valid JSON/);
  });
});

describe('makeAdaptData and `cappy adapt data` without an LLM', () => {
  const tasks = join(dir, 'rows.jsonl');
  writeFileSync(tasks, fixtureText);

  /** `cappy adapt data ...` under a stand-in `adapt` that has flags of the same names (as `cappy adapt` will). */
  async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
    const program = new Command('cappy').exitOverride();
    let stderr = '';
    program.configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
    const adapt = program.command('adapt').option('--seed <n>', 'training seed').option('--train-size <n>', 'training rows');
    adapt.configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
    const data = registerAdaptData(adapt).exitOverride();
    data.configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
    try {
      await program.parseAsync(['adapt', 'data', ...args], { from: 'user' });
      return { code: 0, stderr };
    } catch (e) {
      stderr += String((e as Error).message);
      return { code: 1, stderr };
    } finally {
      process.stderr.write = write;
    }
  }

  const lines = (file: string) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LabelledPair);

  it('writes what buildPairs makes, as {instruction, response, label, source} lines', async () => {
    const out = join(dir, 'lib.jsonl');
    const r = await makeAdaptData({ tasks, out, candidatesFromFile: true, seed: 4 });
    const direct = buildPairs(rows(), fileCandidates(rows()), { seed: 4 }).pairs;
    expect(lines(out)).toEqual(direct);
    expect(Object.keys(lines(out)[0])).toEqual(['instruction', 'response', 'label', 'source']);
    expect(r.stats).toMatchObject({ fileCandidates: 10, llmCandidates: 0, written: direct.length });
    // Without --candidates-from-file the rows' candidates are not used.
    const plain = await makeAdaptData({ tasks, seed: 4 });
    expect(plain.pairs.every((p) => p.source !== 'sample')).toBe(true);
  });

  it('flags after `data` are its own, every flag is also a CAPPY_* variable', async () => {
    const out = join(dir, 'cli.jsonl');
    const r = await cli(['--tasks', tasks, '--out', out, '--candidates-from-file', '--seed', '4', '--train-size', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(out)).toEqual(buildPairs(rows(), fileCandidates(rows()), { seed: 4, trainSize: 20 }).pairs);
    expect(r.stderr).toMatch(/20 pairs to .*cli\.jsonl \(\d+ distinct: 7 gold, \d+ negatives, 5 samples over 3 task\(s\)/);
    process.env.CAPPY_TRAIN_SIZE = '7';
    process.env.CAPPY_CANDIDATES_FROM_FILE = 'true';
    expect((await cli(['--tasks', tasks, '--out', out])).code).toBe(0);
    expect(lines(out)).toEqual(buildPairs(rows(), fileCandidates(rows()), { seed: 0, trainSize: 7 }).pairs);
  });

  it('--no-stem and --stem false label with plain tokens, as buildPairs with stem: false', async () => {
    delete process.env.CAPPY_TRAIN_SIZE;
    delete process.env.CAPPY_CANDIDATES_FROM_FILE;
    const out = join(dir, 'plain.jsonl');
    const plain = buildPairs(rows(), fileCandidates(rows()), { seed: 4, stem: false }).pairs;
    expect(plain).not.toEqual(buildPairs(rows(), fileCandidates(rows()), { seed: 4 }).pairs); // the fixture has a pair stemming changes
    for (const flag of [['--no-stem'], ['--stem', 'false']]) {
      const r = await cli(['--tasks', tasks, '--out', out, '--candidates-from-file', '--seed', '4', ...flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(lines(out)).toEqual(plain);
    }
  });

  it('bad input fails with a typed error and writes nothing', async () => {
    const out = join(dir, 'never.jsonl');
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n');
    await expect(makeAdaptData({ tasks: empty, out })).rejects.toThrow(/empty\.jsonl has no rows/);
    const noRefs = join(dir, 'norefs.jsonl');
    writeFileSync(noRefs, `${JSON.stringify(FIXTURE[0])}\n{"instruction":"q"}\n`);
    await expect(makeAdaptData({ tasks: noRefs, out })).rejects.toThrow(/norefs\.jsonl: line 2: the row has no references/);
    await expect(makeAdaptData({ tasks, out, trainSize: 0 })).rejects.toThrow(/trainSize must be an integer from 1/);
    await expect(makeAdaptData({ tasks, out, llm: 'http://127.0.0.1:9/v1' })).rejects.toThrow(/--llm needs --llm-model/);
    const cliZero = await cli(['--tasks', tasks, '--out', out, '--train-size', '0']);
    expect(cliZero.code).toBe(1);
    expect(cliZero.stderr).toMatch(/--train-size must be an integer from 1/);
    expect(readdirSync(dir).filter((f) => f.startsWith('never'))).toEqual([]);
  });
});
