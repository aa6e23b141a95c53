// The `cappy adapt` option table: the text forms (flags and CAPPY_* variables)
// and the library's values pass the same checks, and docs/adapt.md documents
// every flag.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADAPT_OPTIONS, DATA_STEP_KEYS, TRAINING_SETTINGS } from '../../lib/options/adapt.js';
import { ADAPT_DATA_OPTIONS } from '../../lib/options/adapt-data.js';
import { EVAL_BEST_OF_N_OPTIONS } from '../../lib/options/eval.js';
import { flagOf, resolveOptions } from '../../lib/options/spec.js';
import { InvalidInputError } from '../../lib/errors/index.js';

const repo = resolve(import.meta.dirname, '..', '..');

describe('adapt options', () => {
  it('docs/adapt.md lists every flag', () => {
    const doc = readFileSync(join(repo, 'docs', 'adapt.md'), 'utf8');
    for (const [key, spec] of Object.entries(ADAPT_OPTIONS)) expect(doc, key).toContain(`\`--${flagOf(key, spec)}`);
    expect(doc).toContain('--no-shuffle');
  });

  it('docs/adapt.md lists every flag of `cappy adapt data` too, and --no-stem', () => {
    const doc = readFileSync(join(repo, 'docs', 'adapt.md'), 'utf8');
    for (const [key, spec] of Object.entries(ADAPT_DATA_OPTIONS)) expect(doc, key).toContain(`\`--${flagOf(key, spec)}`);
    expect(doc).toContain('--no-stem');
  });

  it("`cappy adapt --tasks` takes every flag of `cappy adapt data`, the data step's own entries with their checks", () => {
    for (const key of Object.keys(ADAPT_DATA_OPTIONS)) expect(Object.keys(ADAPT_OPTIONS), key).toContain(key);
    for (const key of DATA_STEP_KEYS) expect(ADAPT_OPTIONS[key], key).toBe(ADAPT_DATA_OPTIONS[key]);
    // The shared meaning of --stem: the same default in the recipe, the training and best-of-N.
    expect([ADAPT_OPTIONS.stem.default, ADAPT_DATA_OPTIONS.stem.default, EVAL_BEST_OF_N_OPTIONS.stem.default]).toEqual([true, true, true]);
    // The data step's settings do not decide the training's result: the pairs' SHA-256 does.
    for (const key of DATA_STEP_KEYS) expect(TRAINING_SETTINGS as readonly string[]).not.toContain(key);
  });

  it('--lr takes decimal and scientific notation, and nothing else', () => {
    const lr = ADAPT_OPTIONS.lr;
    expect(['2e-5', '0.00002', '.5', '1E-3', '+3e-4', ' 1e-2 '].map((t) => lr.parse(t, '--lr'))).toEqual([
      2e-5, 0.00002, 0.5, 1e-3, 3e-4, 1e-2,
    ]);
    for (const bad of ['abc', '', '2e-5x', '0x10', 'Infinity', 'NaN', '-1e-5', '1e', '1,5']) {
      expect(() => lr.parse(bad, '--lr'), bad).toThrow(InvalidInputError);
    }
    expect(() => lr.parse('0', '--lr')).toThrow(/--lr must be a number above 0 to 1/);
    expect(() => lr.parse('2', '--lr')).toThrow(/--lr must be a number above 0 to 1, got 2$/);
    expect(() => lr.check('2e-5', 'lr')).toThrow(/lr must be a number above 0 to 1, got '2e-5'/);
  });

  it('defaults are the official recipe; ranges refuse what cannot train', () => {
    const r = resolveOptions(ADAPT_OPTIONS, {});
    expect(r).toMatchObject({
      lr: 2e-5,
      batchSize: 8,
      gradAccum: 16,
      warmupRatio: 0.1,
      weightDecay: 0,
      maxLength: 512,
      seed: 0,
      shuffle: true,
      dtype: ['fp32'],
      overwrite: false,
      device: 'cpu',
    });
    expect(r.epochs).toBeUndefined(); // 1 unless --train-size is given (settings.ts)
    expect(r.dropout).toBeUndefined(); // the config's
    expect(r.maxGradNorm).toBeUndefined();
    expect(r.threads).toBeGreaterThanOrEqual(1);
    expect(() => resolveOptions(ADAPT_OPTIONS, { dropout: 1 })).toThrow(/dropout must be a number from 0 to 0.99/);
    expect(() => resolveOptions(ADAPT_OPTIONS, { batchSize: 0 })).toThrow(/batchSize must be an integer from 1/);
    expect(() => resolveOptions(ADAPT_OPTIONS, { maxGradNorm: 0 })).toThrow(/maxGradNorm must be a number above 0/);
    expect(ADAPT_OPTIONS.dtype.parse('fp32,int8', '--dtype')).toEqual(['fp32', 'int8']);
    expect(() => ADAPT_OPTIONS.dtype.parse('fp32,int4', '--dtype')).toThrow(/fp32, fp16, int8/);
    expect(ADAPT_OPTIONS.shuffle.parse('false', '--shuffle')).toBe(false);
    expect(ADAPT_OPTIONS.warmupRatio.parse('1.6', '--warmup-ratio')).toBe(1.6);
  });

  it('the settings a resume must keep are all in the table', () => {
    for (const key of TRAINING_SETTINGS) expect(Object.keys(ADAPT_OPTIONS)).toContain(key);
  });
});
