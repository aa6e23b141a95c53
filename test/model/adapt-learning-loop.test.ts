// The learning loop end to end, as a user runs it (the built bin in child
// processes): task rows -> `cappy adapt --tasks --llm` (the paper's data
// step on a fake OpenAI-compatible LLM on loopback, then training on the
// real ONNX Runtime training graph) -> `cappy eval best-of-n` with the base
// and the adapted model on the same dev candidates.
//
// The task is learnable and the forged tiny model (random weights, not
// Cappy) knows nothing of it: an instruction names a key word ("apple: say
// the key word 3"), its reference is that word, and a candidate is good when
// it repeats it ("apple" Rouge-L 1, "apple please" 2/3, "river please" 0).
// The candidates' shapes are drawn alike for good and bad ones, so only the
// word's identity tells them apart. Each dev row has four candidates, one
// good at a random place: a selector at chance gets a quarter of the oracle.
//
// What is asserted, derived from the numbers rather than fitted to one run:
// - the adapted model closes at least half the gap from the better of the
//   first candidate and the base model to the oracle. By chance (picking the
//   good candidate with probability 1/4 per row, 8 of 32 expected) that
//   needs 18 to 20 good picks: a binomial tail of 1e-4 to 1e-5, so the
//   assertion does not pass without learning (--lr 1e-7 fails it), while
//   every run of the seed sweep in docs/adapt.md reached the oracle;
// - the base model did not already do it (the same half-gap bound, the
//   other way), so the rise is the training's;
// - `cappy adapt --eval` (the trainer's eval-mode forward) and `cappy eval
//   best-of-n` (the Scorer on the written model) report the same figures:
//   first candidate and oracle exactly, the picks' mean within one row (the
//   two forwards agree to 1e-5, adapt-e2e.test.ts, so only a closer tie can
//   flip a pick);
// - the pairs are kept beside --out, adapt.json says what they were made
//   from, and a second run with the same cache asks the LLM nothing and
//   makes the same pairs byte for byte.
// CAPPY_TEST_LOOP_SEED picks another seed (the data, the fake LLM's draws,
// the shuffles); docs/adapt.md gives the spread over seeds.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '../../lib/util/seeded-random.js';
import { startFakeLlm, type FakeLlm } from '../standalone/adapt-data-fake-llm.js';

const repo = resolve(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'cappy.js');
const SEED = Number(process.env.CAPPY_TEST_LOOP_SEED ?? 1);
// Words that are one token each, with the same id at the start of either text.
const KEY_WORDS = ['apple', 'river', 'stone', 'cloud'];
const OTHER_WORDS = ['horse', 'bread', 'chair', 'light', 'green', 'music', 'paper', 'water', 'north', 'glass', 'train'];
const POOL = [...KEY_WORDS, ...OTHER_WORDS];

const root = mkdtempSync(join(tmpdir(), 'cappy-adapt-loop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    // Asynchronous: the fake LLM answers from this process's event loop.
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo, env: { ...process.env, CAPPY_HOME: inject('cappyHome'), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
const otherThan = (word: string) => {
  for (;;) {
    const w = pick(POOL);
    if (w !== word) return w;
  }
};
const shaped = (word: string) => (random() < 0.5 ? word : `${word} please`);

// 32 training instructions: 4 key words x 8 wordings; their candidates come from the LLM.
const trainRows = KEY_WORDS.flatMap((word) =>
  Array.from({ length: 8 }, (_, t) => ({ task: 'key word', instruction: `${word}: say the key word ${t}`, references: [word] })),
);
// 32 dev rows, wordings unseen in training, four candidates each, one good.
const devRows = Array.from({ length: 32 }, (_, i) => {
  const word = KEY_WORDS[i % KEY_WORDS.length];
  const candidates = [otherThan(word), otherThan(word), otherThan(word)].map(shaped);
  candidates.splice(Math.floor(random() * 4), 0, shaped(word));
  return { instruction: `${word}: say the key word ${100 + Math.floor(random() * 8)}`, references: [word], candidates };
});

/**
 * The fake LLM's answer: the key word or another, plain or with "please",
 * each half the time, from a hash of (seed, prompt, settings, how many
 * answers were asked with them before). Not of the server's global answer
 * count: instructions are asked concurrently, and the data must not depend
 * on the order their requests arrive in.
 */
const asked = new Map<string, number>();
function answer(prompt: string, body: Record<string, unknown>): string {
  const { n: _n, ...settings } = body;
  const key = JSON.stringify(settings);
  const index = asked.get(key) ?? 0;
  asked.set(key, index + 1);
  const word = prompt.split(':')[0];
  const h = createHash('sha256').update(`${SEED}|${key}|${index}`).digest();
  const good = h[0] < 128;
  const chosen = good ? word : POOL.filter((w) => w !== word)[h[1] % (POOL.length - 1)];
  return h[2] < 128 ? chosen : `${chosen} please`;
}

interface BestOfNJson {
  rows: number;
  baseline: number;
  oracle: number;
  models: { name: string; selected: number; changed: number }[];
}

describe(`the learning loop: cappy adapt --tasks --llm, then cappy eval best-of-n (seed ${SEED})`, () => {
  let fake: FakeLlm;
  const tasks = join(root, 'tasks.jsonl');
  const dev = join(root, 'dev.jsonl');
  const cache = join(root, 'llm-cache');
  const out = join(root, 'adapted');
  const flags = () => ['--llm', fake.url, '--llm-model', 'fake-model', '--samples', '8', '--cache', cache];
  const training = (epochs: number) => [
    '--batch-size',
    '8',
    '--grad-accum',
    '1',
    '--epochs',
    String(epochs),
    '--lr',
    '1e-3',
    '--warmup-ratio',
    '0.1',
    '--dropout',
    '0',
    '--seed',
    String(SEED),
    '--threads',
    '2',
  ];
  let adaptRun: Awaited<ReturnType<typeof run>>;
  let requestsFirstRun = 0;

  beforeAll(async () => {
    writeFileSync(tasks, jsonl(trainRows));
    writeFileSync(dev, jsonl(devRows));
    fake = await startFakeLlm();
    fake.text = (prompt, body) => answer(prompt, body);
    adaptRun = await run([
      'adapt',
      '--model',
      inject('tinyModelDir'),
      '--tasks',
      tasks,
      ...flags(),
      '--eval',
      dev,
      '--out',
      out,
      ...training(20),
    ]);
    requestsFirstRun = fake.requests.length;
  }, 300_000);
  afterAll(() => fake?.close());

  it('adapt --tasks runs the data step on the LLM, trains, and keeps the pairs beside --out', () => {
    expect(adaptRun.stderr).not.toMatch(/Error/);
    expect(adaptRun.code).toBe(0);
    // 32 instructions x (greedy + 4 sampling settings), n honoured.
    expect(requestsFirstRun).toBe(32 * 5);
    const pairsPath = `${out}.pairs.jsonl`;
    const pairs = readFileSync(pairsPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; label: number });
    expect(new Set(pairs.map((p) => p.source))).toEqual(new Set(['gold', 'negative', 'sample']));
    const meta = JSON.parse(readFileSync(join(out, 'adapt.json'), 'utf8'));
    expect(meta.data.path).toBe(pairsPath);
    expect(meta.data.sha256).toBe(createHash('sha256').update(readFileSync(pairsPath)).digest('hex'));
    expect(meta.madeFrom.tasks.sha256).toBe(createHash('sha256').update(readFileSync(tasks)).digest('hex'));
    expect(meta.madeFrom.settings).toMatchObject({ llm: fake.url, llmModel: 'fake-model', samples: 8, seed: SEED, stem: true });
    expect(meta.madeFrom.stats.written).toBe(pairs.length);
    expect(meta.evalBefore.bestOfN.rows).toBe(32);
    expect(adaptRun.stdout).toMatch(
      /dev best-of-N Rouge-L F x100 \(32 rows, 128 candidates, stemmed\): first candidate [\d.]+, base model [\d.]+, adapted [\d.]+, oracle [\d.]+/,
    );
  });

  it('best-of-N Rouge-L rises from about the first candidate to near the oracle; adapt --eval and eval best-of-n agree', async () => {
    const r = await run([
      'eval',
      'best-of-n',
      '--data',
      dev,
      '--model',
      `base=${inject('tinyModelDir')}`,
      '--model',
      `adapted=${out}`,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as BestOfNJson;
    const [base, adapted] = res.models;
    const first = res.baseline;
    const oracle = res.oracle;
    const gap = (from: number) => (oracle - from) / 2;
    const floor = Math.max(first, base.selected);
    console.log(
      `learning loop (seed ${SEED}), best-of-N Rouge-L F x100 on 32 dev rows: first candidate ${(100 * first).toFixed(2)}, ` +
        `base model ${(100 * base.selected).toFixed(2)}, adapted ${(100 * adapted.selected).toFixed(2)}, oracle ${(100 * oracle).toFixed(2)} ` +
        `(gap closed: ${((100 * (adapted.selected - floor)) / (oracle - floor)).toFixed(0)}%)`,
    );
    expect(res.rows).toBe(32);
    expect(adapted.selected).toBeGreaterThanOrEqual(floor + gap(floor));
    expect(base.selected).toBeLessThan(first + gap(first));

    // The table a user reads: one line per model between the first candidate and the oracle.
    const table = await run(['eval', 'best-of-n', '--data', dev, '--model', `base=${inject('tinyModelDir')}`, '--model', `adapted=${out}`]);
    console.log(table.stdout);
    expect(table.stdout).toMatch(new RegExp(`best-of-n: adapted +${(100 * adapted.selected).toFixed(2)} `));

    // The trainer's own figures (adapt.json) are the same measurement.
    const meta = JSON.parse(readFileSync(join(out, 'adapt.json'), 'utf8'));
    const [before, after] = [meta.evalBefore.bestOfN, meta.evalAfter.bestOfN];
    expect(after.firstCandidate).toBe(first);
    expect(after.oracle).toBe(oracle);
    expect(Math.abs(before.selected - base.selected)).toBeLessThanOrEqual(1 / 32 + 1e-12);
    expect(Math.abs(after.selected - adapted.selected)).toBeLessThanOrEqual(1 / 32 + 1e-12);
  }, 120_000);

  it('a second run with the same cache asks the LLM nothing and makes the same pairs', async () => {
    const again = join(root, 'again');
    fake.requests.length = 0;
    const r = await run(['adapt', '--model', inject('tinyModelDir'), '--tasks', tasks, ...flags(), '--out', again, ...training(1)]);
    expect(r.code).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(r.stderr).toMatch(/LLM: 0 answers asked in 0 requests, 288 from the cache/); // 32 x (greedy + 8)
    expect(readFileSync(`${again}.pairs.jsonl`)).toEqual(readFileSync(`${out}.pairs.jsonl`));
    expect(existsSync(join(again, 'model.safetensors'))).toBe(true);
  }, 120_000);
});
