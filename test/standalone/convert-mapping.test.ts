// config.json validation, the RoBERTa parameter map, and which weights file a
// folder converts from (including sharded checkpoints).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedParameters, mapWeights, parseEncoderConfig } from '../../lib/convert/architecture.js';
import { findWeightFile, openCheckpoint } from '../../lib/convert/checkpoint.js';
import {
  randomTensor,
  tinyBertConfig,
  tinyRobertaConfig,
  toFlaxTree,
  writeFlaxMsgpack,
  writeSafetensors,
  writeTorchBin,
  type TensorSpec,
} from '../support/weight-writers.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-mapping-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function tinyTensors(over: Record<string, unknown> = {}): TensorSpec[] {
  const cfg = parseEncoderConfig(tinyRobertaConfig(over));
  return expectedParameters(cfg).map((p, i) => randomTensor(p.name, p.shape, 'F32', 100 + i));
}

describe('config.json', () => {
  it("accepts Cappy's shape at any size and reads its fields", () => {
    const cfg = parseEncoderConfig(tinyRobertaConfig());
    expect(cfg).toMatchObject({ hiddenSize: 16, numLayers: 2, numHeads: 2, numLabels: 1, typeVocabSize: 1 });
    expect(expectedParameters(cfg)).toHaveLength(5 + 16 * 2 + 4);
  });

  it('rejects unknown architectures, listing what is supported', () => {
    expect(() => parseEncoderConfig(tinyRobertaConfig({ architectures: ['GPT2LMHeadModel'] }))).toThrow(
      /cannot convert GPT2LMHeadModel; supported: RobertaForSequenceClassification, XLMRobertaForSequenceClassification, CamembertForSequenceClassification, BertForSequenceClassification with num_labels 1/,
    );
    expect(() => parseEncoderConfig(tinyRobertaConfig({ architectures: ['XLMRobertaForMaskedLM'] }))).toThrow(
      /masked-LM head scores tokens/,
    );
    // XLM-R is RoBERTa's graph under the same parameter names.
    const xlmr = parseEncoderConfig(tinyRobertaConfig({ architectures: ['XLMRobertaForSequenceClassification'] }));
    expect(xlmr.family).toBe('roberta');
    expect(expectedParameters(xlmr)).toEqual(expectedParameters(parseEncoderConfig(tinyRobertaConfig())));
    expect(() =>
      parseEncoderConfig(tinyRobertaConfig({ architectures: ['BertForSequenceClassification'], id2label: { 0: 'a', 1: 'b' } })),
    ).toThrow(/BertForSequenceClassification with 2 labels/);
    expect(() => parseEncoderConfig({ model_type: 'roberta' })).toThrow(/no architectures/);
  });

  it('rejects more than one label (HF defaults num_labels to 2)', () => {
    expect(() => parseEncoderConfig(tinyRobertaConfig({ id2label: { 0: 'a', 1: 'b' } }))).toThrow(/2 labels/);
    const noLabels = tinyRobertaConfig();
    delete noLabels.id2label;
    expect(() => parseEncoderConfig(noLabels)).toThrow(/2 labels/);
    expect(parseEncoderConfig({ ...noLabels, num_labels: 1 }).numLabels).toBe(1);
  });

  it('rejects activations and position embeddings the graph does not have', () => {
    expect(() => parseEncoderConfig(tinyRobertaConfig({ hidden_act: 'gelu_new' }))).toThrow(/erf/);
    expect(() => parseEncoderConfig(tinyRobertaConfig({ position_embedding_type: 'relative_key' }))).toThrow(/absolute/);
    expect(() => parseEncoderConfig(tinyRobertaConfig({ hidden_size: 15 }))).toThrow(/multiple/);
  });
});

describe('parameter map', () => {
  it('finds every parameter, accepts gamma/beta, and reports unused tensors', async () => {
    const dir = join(root, 'gamma');
    await mkdir(dir);
    const ts = tinyTensors().map((t) => ({ ...t, name: t.name.replace('LayerNorm.weight', 'LayerNorm.gamma') }));
    ts.push(randomTensor('roberta.pooler.dense.weight', [16, 16], 'F32', 1));
    ts.push(randomTensor('something.else', [2], 'F32', 2));
    await writeSafetensors(join(dir, 'model.safetensors'), ts);
    const src = await openCheckpoint(dir);
    const cfg = parseEncoderConfig(tinyRobertaConfig());
    const mapped = mapWeights(src, cfg);
    expect(mapped.unused).toEqual(['something.else']);
    const ln = ts.find((t) => t.name === 'roberta.embeddings.LayerNorm.gamma') as TensorSpec;
    expect(await mapped.read('roberta.embeddings.LayerNorm.weight')).toEqual(ln.data);
    expect((await mapped.loadAll()).size).toBe(expectedParameters(cfg).length);
    await src.close();
  });

  it('names missing parameters and shape mismatches', async () => {
    const dir = join(root, 'missing');
    await mkdir(dir);
    const ts = tinyTensors().filter((t) => !t.name.startsWith('classifier.'));
    await writeSafetensors(join(dir, 'model.safetensors'), ts);
    const src = await openCheckpoint(dir);
    expect(() => mapWeights(src, parseEncoderConfig(tinyRobertaConfig()))).toThrow(
      /4 parameter\(s\) of RobertaForSequenceClassification are missing: classifier\.dense\.weight/,
    );
    await src.close();
    const bigger = join(root, 'bigger');
    await mkdir(bigger);
    await writeSafetensors(join(bigger, 'model.safetensors'), tinyTensors({ vocab_size: 60 }));
    const src2 = await openCheckpoint(bigger);
    expect(() => mapWeights(src2, parseEncoderConfig(tinyRobertaConfig()))).toThrow(
      /word_embeddings\.weight is \[60,16\], config says \[50,16\]/,
    );
    await src2.close();
  });
});

describe('BERT (BertForSequenceClassification)', () => {
  it('reads the config with BERT defaults and expects bert.*, the pooler and one classifier', () => {
    const cfg = parseEncoderConfig(tinyBertConfig());
    expect(cfg).toMatchObject({ family: 'bert', padTokenId: 0, typeVocabSize: 2, layerNormEps: 1e-12 });
    const names = expectedParameters(cfg).map((p) => p.name);
    expect(names).toHaveLength(5 + 16 * 2 + 4);
    expect(names.slice(0, 2)).toEqual(['bert.embeddings.word_embeddings.weight', 'bert.embeddings.position_embeddings.weight']);
    expect(names.slice(-4)).toEqual(['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'classifier.weight', 'classifier.bias']);
    expect(expectedParameters(cfg).find((p) => p.name === 'classifier.weight')?.shape).toEqual([1, 16]);
  });

  it('ignores pretraining heads and buffers, and names a missing pooler', async () => {
    const cfg = parseEncoderConfig(tinyBertConfig());
    const ts = expectedParameters(cfg).map((p, i) => randomTensor(p.name, p.shape, 'F32', 300 + i));
    const dir = join(root, 'bert');
    await mkdir(dir);
    await writeSafetensors(join(dir, 'model.safetensors'), [
      ...ts,
      randomTensor('cls.predictions.bias', [50], 'F32', 1),
      randomTensor('bert.embeddings.position_ids', [1, 40], 'F32', 2),
    ]);
    const src = await openCheckpoint(dir);
    expect(mapWeights(src, cfg).unused).toEqual([]);
    await src.close();
    const noPooler = join(root, 'bert-no-pooler');
    await mkdir(noPooler);
    await writeSafetensors(
      join(noPooler, 'model.safetensors'),
      ts.filter((t) => !t.name.startsWith('bert.pooler.')),
    );
    const src2 = await openCheckpoint(noPooler);
    expect(() => mapWeights(src2, cfg)).toThrow(
      /2 parameter\(s\) of BertForSequenceClassification are missing: bert\.pooler\.dense\.weight/,
    );
    await src2.close();
  });
});

describe('weights file choice', () => {
  it('prefers safetensors, then pytorch_model.bin, then flax', async () => {
    const dir = join(root, 'all');
    await mkdir(dir);
    const ts = tinyTensors();
    await writeFlaxMsgpack(join(dir, 'flax_model.msgpack'), toFlaxTree(ts));
    expect(findWeightFile(dir)?.format).toBe('flax');
    await writeTorchBin(join(dir, 'pytorch_model.bin'), ts);
    expect(findWeightFile(dir)?.format).toBe('pytorch');
    await writeSafetensors(join(dir, 'model.safetensors'), ts);
    expect(findWeightFile(dir)?.format).toBe('safetensors');
    // All three hold the same model.
    const cfg = parseEncoderConfig(tinyRobertaConfig());
    for (const format of ['safetensors', 'pytorch', 'flax'] as const) {
      const src = await openCheckpoint(dir, format);
      const all = await mapWeights(src, cfg).loadAll();
      for (const t of ts) expect(all.get(t.name), `${format} ${t.name}`).toEqual(t.data);
      await src.close();
    }
    await expect(openCheckpoint(root)).rejects.toThrow(/no weights in .*model\.safetensors, /);
  });

  it('opens sharded checkpoints through their index', async () => {
    const dir = join(root, 'sharded');
    await mkdir(dir);
    const ts = tinyTensors();
    const half = Math.floor(ts.length / 2);
    await writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), ts.slice(0, half));
    await writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), ts.slice(half));
    const weight_map = Object.fromEntries(
      ts.map((t, i) => [t.name, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']),
    );
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map }));
    const src = await openCheckpoint(dir);
    const all = await mapWeights(src, parseEncoderConfig(tinyRobertaConfig())).loadAll();
    expect(all.get(ts[ts.length - 1].name)).toEqual(ts[ts.length - 1].data);
    await src.close();
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../x' } }));
    await expect(openCheckpoint(dir)).rejects.toThrow(/not a plain file name/);
  });
});
