// Several models in one process: a RoBERTa fp32 scorer and a BERT int8 scorer
// (forged, random weights), scoring the same pairs at the same time, give
// bit for bit the scores each gives alone: in a process of its own, and in
// the shared process before the other model was loaded. Nothing is shared
// between sessions but ORT's one environment, so nothing may leak from one
// model's runs into the other's (the int8 graph's activation scale is per
// batch, so equal batches must give equal bits).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { forgeModel, forgedWeights, PRESETS } from '../../lib/forge/index.js';
import { hfEncodePairs, hfTokenizer } from '../../support/hf.js';
import { runJsonChild } from '../support/json-child.js';
import { makePairs } from '../support/pairs.js';
import { referenceLogit } from '../support/reference-roberta.js';

const roberta = { dir: inject('tinyModelDir'), dtype: 'fp32' }; // tiny, seed 7
let tmp: string;
let bert: { dir: string; dtype: string };
const PAIRS = makePairs(48, 5, 40); // mixed lengths: several batches per call

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cappy-multi-'));
  bert = { dir: join(tmp, 'bert'), dtype: 'int8' };
  await forgeModel({ preset: 'bert-tiny', seed: 3, outDir: bert.dir, dtypes: ['fp32', 'int8'] });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

type Run = { alone: number[][]; together: number[][][]; info: { dtype: string; inputs: string[] }[]; error?: string };
function run(models: { dir: string; dtype: string }[], rounds: number): Run {
  const r = runJsonChild<Run>('multi-model-child.mjs', { models, pairs: PAIRS, rounds });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.out, r.stderr).toBeDefined();
  expect(r.out!.error, r.stderr).toBeUndefined();
  return r.out!;
}

it('RoBERTa fp32 and BERT int8 scoring at once give exactly the scores each gives alone', async () => {
  const robertaAlone = run([roberta], 0).alone[0];
  const bertAlone = run([bert], 0).alone[0];
  const both = run([roberta, bert], 3);
  expect(both.info).toEqual([
    { dtype: 'fp32', inputs: ['input_ids', 'attention_mask'] },
    { dtype: 'int8', inputs: ['input_ids', 'attention_mask', 'token_type_ids'] },
  ]);
  // Alone in the shared process (before the other was loaded) = alone in a process of its own.
  expect(both.alone[0]).toEqual(robertaAlone);
  expect(both.alone[1]).toEqual(bertAlone);
  for (const [r, b] of both.together) {
    expect(r).toEqual(robertaAlone);
    expect(b).toEqual(bertAlone);
  }
  // The two models really differ, and the RoBERTa scores are right, not just stable.
  expect(robertaAlone).not.toEqual(bertAlone);
  const hf = hfTokenizer(join(roberta.dir, 'tokenizer.json'), 512);
  const ids = await hfEncodePairs(hf, PAIRS.slice(0, 6));
  const weights = forgedWeights('tiny', 7);
  ids.forEach((row, i) => expect(Math.abs(robertaAlone[i] - referenceLogit(PRESETS.tiny, weights, row))).toBeLessThan(1e-5));
});
