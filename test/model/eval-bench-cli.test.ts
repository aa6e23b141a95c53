// `cappy eval mc`, `cappy eval best-of-n` and `cappy bench` as a user runs
// them (the built bin in a child process) on the forged tiny model. Picks are
// checked against Scorer.choose row by row, not against the command itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { forgeModel } from '../../lib/forge/index.js';
import { Scorer } from '../../lib/index.js';
import { drawLengths, LOGNORMAL_8_512, seededRandom, synthesizePairs } from '../../lib/bench/workload.js';
import { rougeLBest } from '../../lib/eval/rouge.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'cappy.js');
const tmp = mkdtempSync(join(tmpdir(), 'cappy-usage-'));

function cappy(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

let scorer: Scorer;
const dir = () => inject('tinyModelDir');
beforeAll(async () => {
  scorer = await Scorer.load(dir());
});
afterAll(async () => {
  await scorer.dispose();
});

describe('cappy eval best-of-n', () => {
  // 600 rows x 3 candidates: enough pairs that progress has several steps.
  const rows = Array.from({ length: 600 }, (_, i) => ({
    instruction: `Question ${i}: what is ${i} plus one?`,
    candidates: [`maybe ${i}`, `It is ${i + 1}.`, `${'long answer '.repeat(i % 7)}${i + 2}`],
    references: [`It is ${i + 1}.`],
  }));

  it('reports the argmax pick per row (as Scorer.choose picks) and the first-candidate baseline', async () => {
    const data = file('bon.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = cappy(['eval', 'best-of-n', '--model', dir(), '--data', data, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.forged).toMatch(/random weights/);
    expect(out.rows).toBe(600);
    expect(out.candidates).toBe(1800);
    let selected = 0;
    let baseline = 0;
    for (let i = 0; i < rows.length; i++) {
      const { index } = await scorer.choose(rows[i].instruction, rows[i].candidates);
      expect(out.picks[i]).toBe(index);
      selected += rougeLBest(rows[i].candidates[index], rows[i].references);
      baseline += rougeLBest(rows[i].candidates[0], rows[i].references);
    }
    expect(out.selected).toBeCloseTo(selected / rows.length, 9);
    expect(out.baseline).toBeCloseTo(baseline / rows.length, 9);
    expect(out.oracle).toBe(1); // candidate 1 equals the reference in every row
    // Not a TTY here: plain progress lines on stderr, ending at 100%.
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('eval best-of-n:'));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.at(-1)).toBe('eval best-of-n: 1800/1800 pairs (100%)');
  });

  it('prints a readable table', () => {
    const data = file(
      'bon-small.jsonl',
      rows
        .slice(0, 5)
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const r = cappy(['eval', 'best-of-n', '--model', dir(), '--data', data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/random weights/);
    expect(r.stdout).toMatch(/best-of-n \(scorer argmax\)\s+\d+\.\d\d/);
    expect(r.stdout).toMatch(/first candidate \(baseline\)\s+\d+\.\d\d/);
  });

  it('a bad row fails with its line number; an empty file fails clearly', () => {
    const bad = file('bad.jsonl', `${JSON.stringify(rows[0])}\n\n{"instruction":"q","candidates":"a","references":["r"]}\n`);
    const r = cappy(['eval', 'best-of-n', '--model', dir(), '--data', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.jsonl: line 3: candidates must be a non-empty array of strings/);
    const empty = cappy(['eval', 'best-of-n', '--model', dir(), '--data', file('empty.jsonl', '\n')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty\.jsonl has no rows/);
  });

  it('a --data that cannot be read is a typed error naming it; CAPPY_DATA stands in for the flag', () => {
    const missing = join(tmp, 'no-such-rows.jsonl');
    for (const r of [
      cappy(['eval', 'best-of-n', '--model', dir(), '--data', missing]),
      cappy(['eval', 'mc', '--model', dir()], { CAPPY_DATA: missing }),
    ]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`InvalidInputError [INVALID_INPUT]: --data ${missing}: cannot read it (ENOENT)`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const folder = cappy(['eval', 'best-of-n', '--model', dir(), '--data', tmp]);
    expect([folder.code, folder.stderr.includes(`--data ${tmp}: cannot read it (EISDIR)`)]).toEqual([2, true]);
  });
});

describe('cappy eval best-of-n with two models and --stem', () => {
  // Stemming matters here: "dogs running" stems to "dog run", as the reference does.
  const rows = Array.from({ length: 40 }, (_, i) => ({
    instruction: `Row ${i}: what do the dogs do?`,
    candidates: [`the dogs running ${i}`, `dog run ${i}`, `cats sleep ${i % 3}`],
    references: [`dog run ${i}`],
  }));
  const candidatesFile = () => file('bon-two.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

  it("--model base=DIR --model other=DIR2: each model's picks as its Scorer.choose, on the same candidates; one first-candidate and oracle figure", async () => {
    const other = join(tmp, 'tiny-seed8');
    await forgeModel({ preset: 'tiny', seed: 8, outDir: other });
    const data = candidatesFile();
    const r = cappy(['eval', 'best-of-n', '--model', `base=${dir()}`, '--model', `other=${other}`, '--data', data, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stem).toBe(true);
    expect(out.models.map((m: { name: string }) => m.name)).toEqual(['base', 'other']);
    expect(out.picks).toBeUndefined(); // per model only when there are several
    const otherScorer = await Scorer.load(other);
    try {
      for (const [k, s] of [scorer, otherScorer].entries()) {
        let selected = 0;
        for (let i = 0; i < rows.length; i++) {
          const { index } = await s.choose(rows[i].instruction, rows[i].candidates);
          expect(out.models[k].picks[i]).toBe(index);
          selected += rougeLBest(rows[i].candidates[index], rows[i].references);
        }
        expect(out.models[k].selected).toBeCloseTo(selected / rows.length, 9);
      }
    } finally {
      await otherScorer.dispose();
    }
    const first = rows.reduce((a, r) => a + rougeLBest(r.candidates[0], r.references), 0) / rows.length;
    expect(out.baseline).toBeCloseTo(first, 12);
    expect(out.oracle).toBe(1);
    const text = cappy(['eval', 'best-of-n', '--model', `base=${dir()}`, '--model', `other=${other}`, '--data', data]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /first candidate \(baseline\)\s+\d+\.\d\d\nbest-of-n: base\s+\d+\.\d\d {2}\([+-]\d+\.\d\d on the first candidate\)\nbest-of-n: other\s+\d+\.\d\d .*\noracle \(best by Rouge-L\)\s+100\.00\n/,
    );
    expect(text.stdout).toMatch(/Porter-stemmed/);
  });

  it('--stem false, --no-stem and CAPPY_STEM=false score plain tokens; a bad value is refused', () => {
    const data = candidatesFile();
    // Plain tokens: "the dogs running i" vs "dog run i" share only "i": F = 2 (1/4)(1/3) / (1/4 + 1/3) = 2/7.
    const plain = 2 / 7;
    // Stemmed: [the, dog, run, i] vs [dog, run, i]: LCS 3, F = 2 (3/4)(1) / (7/4) = 6/7.
    const stemmed = 6 / 7;
    const base = ['eval', 'best-of-n', '--model', dir(), '--data', data, '--json'];
    expect(JSON.parse(cappy(base).stdout).baseline).toBeCloseTo(stemmed, 12);
    for (const r of [cappy([...base, '--stem', 'false']), cappy([...base, '--no-stem']), cappy(base, { CAPPY_STEM: 'false' })]) {
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.stem).toBe(false);
      expect(out.baseline).toBeCloseTo(plain, 12);
    }
    const bad = cappy([...base, '--stem', 'maybe']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--stem/);
  });
});

describe('cappy eval mc', () => {
  it('scores groups with progress and matches Scorer.choose per group', async () => {
    const groups = Array.from({ length: 300 }, (_, g) => ({
      instruction: `Pick the colour of item ${g}.`,
      options: ['red', 'green', 'blue', `colour number ${g}`],
      gold: g % 4,
    }));
    const lines = groups.flatMap((g, gi) =>
      g.options.map((o, k) =>
        JSON.stringify({
          group: gi,
          instruction: g.instruction,
          response: o,
          label: k === g.gold ? 1 : 0,
          dataset: gi % 2 ? 'odd' : 'even',
        }),
      ),
    );
    const r = cappy(['eval', 'mc', '--model', dir(), '--data', file('mc.jsonl', lines.join('\n')), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const correct = { even: 0, odd: 0 };
    for (let gi = 0; gi < groups.length; gi++) {
      const { index } = await scorer.choose(groups[gi].instruction, groups[gi].options);
      if (index === groups[gi].gold) correct[gi % 2 ? 'odd' : 'even'] += 1;
    }
    const byName = Object.fromEntries(out.datasets.map((d: { dataset: string; correct: number }) => [d.dataset, d.correct]));
    expect(byName).toEqual(correct);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('eval mc: 1200/1200 pairs (100%)');
  });

  it('names the bad line', () => {
    const r = cappy([
      'eval',
      'mc',
      '--model',
      dir(),
      '--data',
      file('mc-bad.jsonl', '{"group":1,"instruction":"q","response":"r","label":1}\nnot json\n'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mc-bad\.jsonl: line 2: not valid JSON/);
  });
});

describe('cappy bench', () => {
  it('--json reports throughput, latency, padding, loop delay and the settings used', () => {
    const r = cappy([
      'bench',
      '--model',
      dir(),
      '--lengths',
      'fixed:40',
      '--pairs',
      '300',
      '--warmup',
      '10',
      '--concurrency',
      '8',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.model.forged).toBe(true);
    expect(out.workload).toMatchObject({ lengths: 'fixed:40', pairs: 300, concurrency: 8, pairsPerCall: 1 });
    expect(out.settings).toMatchObject({ executionProvider: 'cpu', planner: 'padding-aware' });
    expect(out.settings.intraOpThreads).toBeGreaterThan(0);
    expect(out.settings.tokenizerThreads).toBeGreaterThan(0);
    expect(out.pairs).toBe(300);
    expect(out.calls).toBe(300);
    // Every pair is exactly 40 tokens, and 40 is a multiple of 8: no padding at all.
    expect(out.tokensPerSec / out.pairsPerSec).toBeCloseTo(40, 6);
    expect(out.padFraction).toBe(0);
    expect(out.nativeCalls).toBeGreaterThan(0);
    expect(out.nativeCalls).toBeLessThanOrEqual(300);
    expect(out.latencyMs.p50).toBeGreaterThan(0);
    expect(out.latencyMs.p50).toBeLessThanOrEqual(out.latencyMs.p99);
    expect(out.latencyMs.p99).toBeLessThanOrEqual(out.latencyMs.max);
    expect(out.eventLoopDelayMs.p50).toBeLessThanOrEqual(out.eventLoopDelayMs.p99);
  });

  it('prints a table with the lognormal mix and the fifo planner; rejects bad options', () => {
    const r = cappy(['bench', '--model', dir(), '--pairs', '100', '--warmup', '0', '--batch', '4', '--planner', 'fifo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lengths lognormal, concurrency 64, 4 pair\(s\) per call/);
    expect(r.stdout).toMatch(/EP cpu, ORT [\d.]+, intra-op threads \d+, tokenizer threads \d+, \d+ cores, planner fifo/);
    for (const key of ['pairs/s', 'tokens/s', 'latency ms', 'pad fraction', 'event-loop delay ms']) expect(r.stdout).toContain(key);
    expect(cappy(['bench', '--model', dir(), '--lengths', 'fixed:2']).stderr).toMatch(/fixed:N needs N from 5/);
    expect(cappy(['bench', '--model', dir(), '--planner', 'random']).stderr).toMatch(/planner must be one of padding-aware, fifo/);
  });
});

describe('bench workload', () => {
  it('synthesized pairs have exactly the drawn token lengths', () => {
    const lengths = drawLengths(LOGNORMAL_8_512, 300, seededRandom(9));
    const pairs = synthesizePairs(scorer.tokenizer, lengths, { seed: 9 });
    pairs.forEach(([a, b], i) => expect(scorer.tokenizer.encode(a, b).ids.length).toBe(lengths[i]));
  });
});
