// Scorer.load takes a folder or a hub id that `cappy pull` has converted into
// the cache; a local folder always wins over the cache.
import { cp, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ModelLoadError, Scorer } from '../../lib/index.js';

const tiny = inject('tinyModelDir');
let home: string;
let cwd: string;
const saved = { home: process.env.CAPPY_HOME, cwd: process.cwd() };

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cappy-ref-home-'));
  cwd = await mkdtemp(join(tmpdir(), 'cappy-ref-cwd-'));
  process.env.CAPPY_HOME = home;
  process.chdir(cwd);
  // What `cappy pull acme/tiny-scorer` leaves behind.
  await cp(tiny, join(home, 'models', 'acme--tiny-scorer'), { recursive: true });
});
afterAll(() => {
  if (saved.home === undefined) delete process.env.CAPPY_HOME;
  else process.env.CAPPY_HOME = saved.home;
  process.chdir(saved.cwd);
});

describe('model references', () => {
  it('a pulled hub id loads from the cache and scores like the folder itself', async () => {
    const byId = await Scorer.load('acme/tiny-scorer');
    const byDir = await Scorer.load(tiny);
    try {
      expect(byId.info.model.dir).toBe(join(home, 'models', 'acme--tiny-scorer'));
      const pairs: [string, string][] = [
        ['What is 2+2?', '4'],
        ['Name a colour.', 'blue'],
      ];
      expect(Array.from(await byId.scoreBatch(pairs))).toEqual(Array.from(await byDir.scoreBatch(pairs)));
    } finally {
      await byId.dispose();
      await byDir.dispose();
    }
  });

  it('a hub id that was never pulled says how to pull it', async () => {
    const err = await Scorer.load('acme/never-pulled').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/cappy pull acme\/never-pulled/);
  });

  it('a local folder named like a hub id wins over the cache', async () => {
    // An empty local acme/tiny-scorer folder: loading must read it (and fail
    // for want of an ONNX file), not silently fall back to the cached model.
    await mkdir(join(cwd, 'acme', 'tiny-scorer'), { recursive: true });
    await expect(Scorer.load('acme/tiny-scorer')).rejects.toThrow(/no ONNX model in .*cappy-ref-cwd-.*acme\/tiny-scorer/);
  });
});
