// Bad input gets a clear typed error and never a crash.
import { mkdtemp, mkdir, writeFile, cp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AbortError,
  CappyError,
  DisposedError,
  ERROR_TABLE,
  InternalError,
  InvalidInputError,
  ModelLoadError,
  Scorer,
  TokenizerError,
} from '../../lib/index.js';
import { fromNative } from '../../lib/errors/index.js';
import { NATIVE_ERROR_CODES, NATIVE_ERROR_REASONS, loadAddon } from '../../lib/native.js';
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

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<CappyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CappyError);
  return err as CappyError;
}

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

describe('one error table', () => {
  it("TypeScript's native codes and reasons are the core's, in its order (cappy_errors.h)", () => {
    const addon = loadAddon();
    expect([...NATIVE_ERROR_CODES]).toEqual(addon.errorCodes);
    expect([...NATIVE_ERROR_REASONS]).toEqual(addon.errorReasons);
  });

  it('every code has one row, with an HTTP status and a TEI error kind', () => {
    // TEI's ErrorType enum (test/support/tei-schemas/error-type.json); the server's bodies validate against it.
    const teiKinds = new Set(['Validation', 'Tokenizer', 'Overloaded', 'Backend', 'Unhealthy', 'Empty']);
    for (const [code, row] of Object.entries(ERROR_TABLE)) {
      expect(row.httpStatus, code).toBeGreaterThanOrEqual(400);
      expect(row.httpStatus, code).toBeLessThan(600);
      expect(teiKinds.has(row.teiKind), code).toBe(true);
    }
    // Client faults are 4xx, the engine's and upstream's 5xx.
    expect(ERROR_TABLE.INVALID_INPUT.httpStatus).toBe(422);
    expect(ERROR_TABLE.QUEUE_FULL.httpStatus).toBe(429);
    expect(ERROR_TABLE.SHARD.httpStatus).toBe(500);
    expect(ERROR_TABLE.REMOTE.httpStatus).toBe(502);
  });

  it('a foreign native exception is INTERNAL, as the C ABI reports it (CAPPY_ERR_INTERNAL)', () => {
    const native = Object.assign(new Error('out of memory'), { cappyCode: 'INTERNAL' });
    expect(fromNative(native)).toBeInstanceOf(InternalError);
    expect((fromNative(native) as CappyError).code).toBe('INTERNAL');
    // A code this version does not know is not dropped on the floor either.
    expect(fromNative(Object.assign(new Error('x'), { cappyCode: 'FUTURE_CODE' }))).toBeInstanceOf(InternalError);
  });

  it('failures carry a machine-readable reason, so no caller reads the message', async () => {
    expect((await failure(Scorer.load(join(scratch, 'missing')))).reason).toBe('folder_not_found');
    expect((await failure(Scorer.load('nobody/never-pulled-model'))).reason).toBe('not_pulled');
    const noOnnx = join(scratch, 'no-onnx');
    await mkdir(noOnnx);
    await writeFile(join(noOnnx, 'tokenizer.json'), '{}');
    const onnx = await failure(Scorer.load(noOnnx));
    expect(onnx.reason).toBe('onnx_missing');
    expect(onnx.message).toMatch(/cappy forge/); // the Node side's hint, added on the reason
    const small = await copyModel('reason-positions');
    const config = JSON.parse(await readFile(join(small, 'config.json'), 'utf8'));
    config.max_position_embeddings = 66; // RoBERTa: 64 tokens
    await writeFile(join(small, 'config.json'), JSON.stringify(config));
    const over = await failure(Scorer.load(small, { maxLength: 100 }));
    expect(over).toBeInstanceOf(InvalidInputError);
    expect(over.reason).toBe('over_position_limit');
    const badConfig = await copyModel('bad-config');
    await writeFile(join(badConfig, 'config.json'), '[1, 2]');
    expect((await failure(Scorer.load(badConfig))).reason).toBe('config_invalid');
  });

  it("an empty model.onnx is named plainly, with no trace of ORT's C++ signatures", async () => {
    const empty = await copyModel('empty-onnx');
    await writeFile(join(empty, 'onnx', 'model.onnx'), '');
    const err = await failure(Scorer.load(empty));
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.reason).toBe('model_invalid');
    expect(err.message).toMatch(/model\.onnx is empty \(0 bytes\)/);
    // A corrupt one keeps ORT's own words, less its source locations and signatures.
    const corrupt = await copyModel('corrupt-onnx');
    await writeFile(join(corrupt, 'onnx', 'model.onnx'), Buffer.from([0x0a, 0x02, 0x08]));
    const bad = await failure(Scorer.load(corrupt));
    expect(bad.reason).toBe('model_invalid');
    for (const e of [err, bad]) expect(e.message).not.toMatch(/onnxruntime::|onnxruntime_src|\.cc:\d+/);
  });

  it('a folder without config.json loads, and info says so', async () => {
    const bare = await copyModel('no-config');
    await rm(join(bare, 'config.json'));
    const s = await Scorer.load(bare);
    try {
      expect(s.info.model.hasConfig).toBe(false);
      expect(s.info.model.description).toMatch(/no config\.json/);
      expect(s.info.maxLength).toBe(512); // no position table to lower it
    } finally {
      await s.dispose();
    }
    expect(scorer.info.model.hasConfig).toBe(true);
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
