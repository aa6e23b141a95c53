// The `cappy` command as a user runs it: the built bin in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'cappy.js');

function cappy(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    input: opts.input,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cappy CLI', () => {
  it('demo forges the default model on first use, labels it, and prints a table', () => {
    const home = join(inject('cappyHome'), 'demo');
    const first = cappy(['demo'], { env: { CAPPY_HOME: home } });
    expect(first.stderr).toMatch(/forging the default model/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/RANDOM weights/);
    expect(first.stdout).toMatch(/forged tiny, seed 0/);
    expect(first.stdout).toMatch(/Which planet is known as the Red Planet\?/);
    const scoreLines = first.stdout.split('\n').filter((l) => /-?\d+\.\d{5}/.test(l));
    expect(scoreLines.length).toBe(9);
    expect(existsSync(join(home, 'forged', 'tiny-seed0', 'onnx', 'model.onnx'))).toBe(true);
    // Second run reuses the cache.
    const second = cappy(['demo'], { env: { CAPPY_HOME: home } });
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/forging/);
    const untimed = (s: string) => s.replace(/tokenize [\d.]+ ms, run [\d.]+ ms/, '');
    expect(untimed(second.stdout)).toBe(untimed(first.stdout)); // same scores, deterministic forge
  });

  it('score reads JSONL from stdin and writes scores in input order', async () => {
    const dir = inject('tinyModelDir');
    const pairs: [string, string][] = Array.from({ length: 600 }, (_, i) => [`question ${i}`, `answer ${'x '.repeat(i % 50)}`]);
    const input = pairs
      .map((p, i) => (i % 2 ? JSON.stringify(p) : JSON.stringify({ id: `row-${i}`, instruction: p[0], response: p[1] })))
      .join('\n');
    const r = cappy(['score', '--model', dir], { input });
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.length).toBe(pairs.length);
    const scorer = await Scorer.load(dir);
    const expected = await scorer.scoreBatch(pairs);
    await scorer.dispose();
    out.forEach((rec, i) => {
      expect(rec.index).toBe(i);
      expect(rec.score).toBeCloseTo(expected[i], 5);
      if (i % 2 === 0) expect(rec.id).toBe(`row-${i}`);
    });
  });

  it('score reads --input and writes --output files', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cappy-cli-'));
    writeFileSync(join(tmp, 'in.jsonl'), '["a", "b"]\n\n{"instruction": "c", "response": "d"}\n');
    const r = cappy(['score', '--model', inject('tinyModelDir'), '--input', join(tmp, 'in.jsonl'), '--output', join(tmp, 'out.jsonl')]);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(tmp, 'out.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(2);
  });

  it('score rejects a malformed line with its line number', () => {
    const r = cappy(['score', '--model', inject('tinyModelDir')], { input: '["a","b"]\n{"instruction": 1}\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2: instruction must be a string/);
  });

  it('a missing model folder is a clear error, not a stack trace', () => {
    const r = cappy(['score', '--model', '/nonexistent/model']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ModelLoadError \[MODEL_LOAD\]: model folder not found/);
  });

  it('--help lists every command, pull and convert included', () => {
    const r = cappy(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['demo', 'score', 'forge', 'eval', 'serve', 'pull', 'convert']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    }
  });

  it('pull of a bad repository id fails before any network use', () => {
    const r = cappy(['pull', 'not a repo id'], { env: { HF_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a hub repository id/);
  });

  it('forge writes an HF model folder', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cappy-forge-')), 'm');
    const r = cappy(['forge', '--preset', 'tiny', '--seed', '3', '--out', out]);
    expect(r.code).toBe(0);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model.onnx']) {
      expect(existsSync(join(out, f))).toBe(true);
    }
  });

  it('forge --preset bert-tiny writes a BERT cross-encoder folder the scorer loads', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cappy-forge-bert-')), 'm');
    const r = cappy(['forge', '--preset', 'bert-tiny', '--seed', '3', '--out', out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures).toEqual(['BertForSequenceClassification']);
    expect(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).model.type).toBe('WordPiece');
    const scorer = await Scorer.load(out);
    try {
      const [a, b] = await scorer.scoreBatch([
        ['what is the capital of france', 'paris is the capital'],
        ['what is the capital of france', 'the river flows north'],
      ]);
      expect(Number.isFinite(a) && a !== b).toBe(true);
    } finally {
      await scorer.dispose();
    }
  });
});
