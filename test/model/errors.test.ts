// Bad input gets a clear typed error and never a crash.
import { mkdtemp, mkdir, writeFile, cp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AbortError,
  DisposedError,
  InvalidInputError,
  ModelLoadError,
  Scorer,
  TokenizerError,
} from '../../lib/index.js';
import { writeGraphWithRenamedInputs } from '../support/bad-models.js';
import { makePairs } from '../support/pairs.js';

const dir = inject('tinyModelDir');
let scorer: Scorer;
let scratch: string;

beforeAll(async () => {
  scorer = await Scorer.load(dir);
  scratch = await mkdtemp(join(tmpdir(), 'cappy-bad-'));
});
afterAll(async () => scorer?.dispose());

/** A copy of the forged model folder whose files a test then breaks. */
async function copyModel(name: string): Promise<string> {
  const out = join(scratch, name);
  await cp(dir, out, { recursive: true });
  return out;
}

describe('loading', () => {
  it('a missing folder is a ModelLoadError naming it', async () => {
    const missing = join(scratch, 'nope');
    await expect(Scorer.load(missing)).rejects.toThrow(ModelLoadError);
    await expect(Scorer.load(missing)).rejects.toThrow(/model folder not found: .*nope/);
  });

  it('maxLength over the position table is an error; the default follows the table', async () => {
    const small = await copyModel('short-positions');
    const configPath = join(small, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    // Cappy's 514 rows hold 512 tokens (BERT's 512 hold 512: native/test/model_test.cc).
    config.max_position_embeddings = 130; // RoBERTa: pad_token_id 1, so 128 tokens
    await writeFile(configPath, JSON.stringify(config));
    await expect(Scorer.load(small, { maxLength: 512 })).rejects.toThrow(InvalidInputError);
    await expect(Scorer.load(small, { maxLength: 512 })).rejects.toThrow(/position table takes \(128 tokens/);
    const s = await Scorer.load(small);
    try {
      expect(s.info.maxLength).toBe(128);
      const long = 'word '.repeat(400);
      const [score] = await s.scoreBatch([[long, long]]);
      expect(Number.isFinite(score)).toBe(true);
      expect(s.stats().realTokens).toBe(128);
    } finally {
      await s.dispose();
    }
  });

  it('a folder without an ONNX file is a ModelLoadError', async () => {
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    await expect(Scorer.load(empty)).rejects.toThrow(/no ONNX model/);
  });

  it('a corrupt ONNX file is a ModelLoadError', async () => {
    const bad = await copyModel('corrupt');
    await writeFile(join(bad, 'onnx', 'model.onnx'), Buffer.from('this is not a protobuf \x00\x01\x02'));
    const err = await Scorer.load(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).code).toBe('MODEL_LOAD');
    expect((err as Error).message).toMatch(/ONNX Runtime cannot load/);
  });

  it('an ONNX model with the wrong input names is a ModelLoadError listing them', async () => {
    const bad = await copyModel('renamed');
    await writeGraphWithRenamedInputs(join(bad, 'onnx', 'model.onnx'));
    const err = await Scorer.load(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/token_ids \(int64\).*expected input_ids and attention_mask/);
  });

  it('a malformed tokenizer.json is a TokenizerError', async () => {
    const bad = await copyModel('badtok');
    await writeFile(join(bad, 'tokenizer.json'), '{"model": {"type": "BPE", "vocab": ');
    await expect(Scorer.load(bad)).rejects.toThrow(TokenizerError);
    const wrong = await copyModel('wrongtok');
    const tj = JSON.parse(await readFile(join(wrong, 'tokenizer.json'), 'utf8'));
    tj.model.type = 'Banana';
    await writeFile(join(wrong, 'tokenizer.json'), JSON.stringify(tj));
    await expect(Scorer.load(wrong)).rejects.toThrow(TokenizerError);
  });

  it('bad options are InvalidInputErrors', async () => {
    await expect(Scorer.load(dir, { maxBatchSize: 0 })).rejects.toThrow(InvalidInputError);
    await expect(Scorer.load(dir, { truncation: 'middle' as never })).rejects.toThrow(InvalidInputError);
    await expect(Scorer.load(dir, { device: 'tpu' as never })).rejects.toThrow(InvalidInputError);
  });
});

describe('scoring', () => {
  it('non-string pairs are InvalidInputErrors that say where', async () => {
    await expect(scorer.scoreBatch([['a', 3 as never]])).rejects.toThrow(/pairs\[0\]: response must be a string/);
    await expect(scorer.scoreBatch([['a', 'b'], ['c'] as never])).rejects.toThrow(/pairs\[1\]/);
    await expect(scorer.scoreBatch('nope' as never)).rejects.toThrow(InvalidInputError);
    await expect(scorer.scoreBatch([null as never])).rejects.toThrow(InvalidInputError);
    await expect(scorer.score(undefined as never, 'x')).rejects.toThrow(InvalidInputError);
  });

  it('an empty batch resolves to an empty Float32Array', async () => {
    const out = await scorer.scoreBatch([]);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(0);
  });

  it('a 1 MB string is truncated to 512 tokens and scored', async () => {
    const huge = 'word '.repeat(200_000); // 1,000,000 characters
    const score = await scorer.score(huge, 'response');
    expect(Number.isFinite(score)).toBe(true);
    const { ids } = scorer.tokenizer.encode(huge, 'response');
    expect(ids.length).toBe(512);
  });

  it('objects with instruction/response are accepted', async () => {
    const [a] = await scorer.scoreBatch([{ instruction: 'q', response: 'r' }]);
    const b = await scorer.score('q', 'r');
    expect(a).toBe(b);
  });

  it('an aborted signal rejects with AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await scorer.scoreBatch([['a', 'b']], { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).name).toBe('AbortError');
    const ac2 = new AbortController();
    const pending = scorer.scoreBatch(makePairs(2000, 3, 300), { signal: ac2.signal });
    ac2.abort();
    await expect(pending).rejects.toThrow(AbortError);
    // The scorer is still usable afterwards.
    expect(Number.isFinite(await scorer.score('a', 'b'))).toBe(true);
  });

  it('dispose waits for calls in flight, then rejects new ones', async () => {
    const s = await Scorer.load(dir);
    const inFlight = s.scoreBatch(makePairs(50, 4));
    await s.dispose();
    expect((await inFlight).length).toBe(50);
    await expect(s.score('a', 'b')).rejects.toThrow(DisposedError);
    await s.dispose(); // idempotent
  });
});
