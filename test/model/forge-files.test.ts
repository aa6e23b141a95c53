// What the forge writes: the HF folder layout (read back by transformers.js),
// byte-identical output per seed, and the external-data path that the large
// preset takes, forced on tiny here.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { AutoModelForSequenceClassification, AutoTokenizer, env } from '@huggingface/transformers';
import { registerForge } from '../../lib/cli/commands/forge.js';
import { DataType, forgedWeights, forgeModel, GraphBuilder, ModelProto, PRESETS, robertaConfig } from '../../lib/forge/index.js';
import { runRows } from '../../support/ort-rows.js';

const dir = inject('tinyModelDir'); // forged tiny, seed 7
const scratch = await mkdtemp(join(tmpdir(), 'forge-files-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const ROWS = [
  [0, 31414, 232, 2, 2, 5, 2],
  [0, 50264, 2, 2, 713, 16, 10, 1296, 9, 5, 3034, 8, 4, 2],
  [0, 2, 2, 2],
];

async function logits(modelPath: string, rows: number[][]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(modelPath);
  try {
    return await runRows(ort, s, rows);
  } finally {
    await s.release();
  }
}

// protobufjs decodes int64 as Long (or number); compare as numbers.
const num = (v: unknown) => Number(v);

describe('forge output', () => {
  it('writes an HF RobertaForSequenceClassification folder, marked as forged', async () => {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['RobertaForSequenceClassification'],
      model_type: 'roberta',
      num_labels: 1,
      problem_type: 'regression',
      id2label: { '0': 'LABEL_0' },
      vocab_size: 50265,
      max_position_embeddings: 514,
      pad_token_id: 1,
      hidden_act: 'gelu',
      layer_norm_eps: 1e-5,
      type_vocab_size: 1,
      hidden_size: PRESETS.tiny.hidden,
      num_hidden_layers: PRESETS.tiny.layers,
      cappy_forged: { preset: 'tiny', seed: 7, note: 'random weights, not Cappy' },
    });
    const tokenizer = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
    // Ids run to 50264 (<mask>) so every id fits the 50265-row embedding.
    expect(Math.max(...(Object.values(tokenizer.model.vocab) as number[]))).toBe(50264);
    expect(tokenizer.added_tokens.find((t: { content: string }) => t.content === '<mask>').id).toBe(50264);
    expect(JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(512);
    expect(JSON.parse(await readFile(join(dir, 'special_tokens_map.json'), 'utf8')).pad_token).toBe('<pad>');
    // The .onnx carries the mark too, for readers that only see the model file.
    // defaults: a field at its default ('' domain) is not on the wire; read it as ''.
    const model = ModelProto.toObject(ModelProto.decode(await readFile(join(dir, 'onnx', 'model.onnx'))), { defaults: true }) as {
      metadataProps: { key: string; value: string }[];
      opsetImport: { domain: string; version: unknown }[];
      graph: { node: { domain: string; opType: string }[] };
    };
    expect(JSON.parse(model.metadataProps.find((p) => p.key === 'cappy_forged')!.value)).toMatchObject({ preset: 'tiny', seed: 7 });
    expect(model.opsetImport.map((o) => [o.domain, num(o.version)])).toEqual([['', 17]]);
    expect(model.graph.node.every((n) => n.domain === '')).toBe(true); // standard ops only
  });

  it('transformers.js reads the folder (tokenizer, config, onnx/model.onnx) and gets the same logits', async () => {
    env.allowRemoteModels = false;
    env.localModelPath = dirname(dir);
    const id = basename(dir);
    const tokenizer = await AutoTokenizer.from_pretrained(id);
    const model = await AutoModelForSequenceClassification.from_pretrained(id, { dtype: 'fp32' });
    const enc = tokenizer(['Hello world', 'Is this a longer instruction?'], {
      text_pair: ['yes', 'no, it is not'],
      padding: true,
      truncation: true,
    });
    const out = await model(enc);
    const rows = (enc.input_ids.tolist() as bigint[][]).map((r, i) =>
      r.filter((_, t) => (enc.attention_mask.tolist() as bigint[][])[i][t] === 1n).map(Number),
    );
    const ours = await logits(join(dir, 'onnx', 'model.onnx'), rows);
    expect(out.logits.dims).toEqual([2, 1]);
    for (let i = 0; i < 2; i++) expect(Math.abs(out.logits.data[i] - ours[i])).toBeLessThanOrEqual(1e-5);
    await model.dispose();
  });

  it('is byte-identical for a seed and different across seeds', async () => {
    const a = join(scratch, 'seed7');
    const b = join(scratch, 'seed8');
    await forgeModel({ preset: 'tiny', seed: 7, outDir: a });
    await forgeModel({ preset: 'tiny', seed: 8, outDir: b });
    const base = await readFile(join(dir, 'onnx', 'model.onnx'));
    expect((await readFile(join(a, 'onnx', 'model.onnx'))).equals(base)).toBe(true);
    expect((await readFile(join(b, 'onnx', 'model.onnx'))).equals(base)).toBe(false);
    expect(await readFile(join(a, 'config.json'), 'utf8')).toBe(await readFile(join(dir, 'config.json'), 'utf8'));
    // The weight map the converter tests use is the one in the graph.
    const w7 = forgedWeights('tiny', 7).get('roberta.encoder.layer.1.output.dense.weight')!;
    const w8 = forgedWeights('tiny', 8).get('roberta.encoder.layer.1.output.dense.weight')!;
    expect(w7.shape).toEqual([PRESETS.tiny.hidden, PRESETS.tiny.intermediate]);
    expect(Buffer.from(w7.data.buffer).equals(Buffer.from(w8.data.buffer))).toBe(false);
  });

  it('external data: a small .onnx, 4096-aligned tensors in model.onnx_data, the same logits', async () => {
    const out = join(scratch, 'external');
    const progress: number[] = [];
    const r = await forgeModel({ preset: 'tiny', seed: 7, outDir: out, externalData: true, onProgress: (_s, done) => progress.push(done) });
    expect(r.externalData).toBe(true);
    expect(r.files).toContain('onnx/model.onnx_data');
    expect(progress.at(-1)).toBe(r.weightBytes);
    const onnx = await readFile(join(out, 'onnx', 'model.onnx'));
    const dataSize = (await stat(join(out, 'onnx', 'model.onnx_data'))).size;
    expect(onnx.byteLength).toBeLessThan(64 * 1024);
    const model = ModelProto.toObject(ModelProto.decode(onnx)) as {
      graph: {
        initializer: { name: string; dataLocation?: number; rawData?: Uint8Array; externalData?: { key: string; value: string }[] }[];
      };
    };
    const external = model.graph.initializer.filter((t) => t.dataLocation === 1);
    expect(external.length).toBeGreaterThan(10);
    let end = 0;
    for (const t of external) {
      const kv = Object.fromEntries(t.externalData!.map((e) => [e.key, e.value]));
      expect(kv.location).toBe('model.onnx_data');
      expect(Number(kv.offset) % 4096).toBe(0);
      expect(Number(kv.offset)).toBeGreaterThanOrEqual(end);
      end = Number(kv.offset) + Number(kv.length);
      expect(t.rawData?.length ?? 0).toBe(0);
    }
    expect(end).toBe(dataSize);
    const inline = await logits(join(dir, 'onnx', 'model.onnx'), ROWS);
    expect(Array.from(await logits(join(out, 'onnx', 'model.onnx'), ROWS))).toEqual(Array.from(inline));

    // Forging inline into the same folder removes the stale data file.
    await forgeModel({ preset: 'tiny', seed: 7, outDir: out });
    expect(existsSync(join(out, 'onnx', 'model.onnx_data'))).toBe(false);
  });

  it('refuses inline weights past protobuf’s 2 GiB limit before making any of them', async () => {
    const g = new GraphBuilder('too_big');
    let made = false;
    const x = g.input('x', DataType.FLOAT, [{ param: 'n' }, { value: 4 }]);
    const big = g.initializer('big', [600_000_000], () => {
      made = true;
      return new Float32Array(0);
    });
    g.node('Add', [x, big], {}, { output: 'y' });
    g.output('y', DataType.FLOAT, [{ param: 'n' }, { value: 4 }]);
    await expect(g.write(join(scratch, 'big.onnx'), { externalData: false })).rejects.toThrow(/2 GiB/);
    expect(made).toBe(false);
  });

  it('validates configs and presets', async () => {
    expect(robertaConfig({ vocabSize: 100, hidden: 8, layers: 1, heads: 2, intermediate: 16 })).toMatchObject({
      maxPositions: 514,
      padId: 1,
      layerNormEps: 1e-5,
      typeVocabSize: 1,
      numLabels: 1,
    });
    expect(() => robertaConfig({ vocabSize: 100, hidden: 10, layers: 1, heads: 3, intermediate: 16 })).toThrow(/divisible/);
    expect(
      Object.fromEntries(
        Object.entries(PRESETS).map(([k, c]) => [k, [c.hidden, c.layers, c.heads, c.intermediate, c.vocabSize, c.maxPositions]]),
      ),
    ).toEqual({
      tiny: [32, 2, 2, 64, 50265, 514],
      small: [256, 4, 4, 1024, 50265, 514],
      base: [768, 12, 12, 3072, 50265, 514],
      large: [1024, 24, 16, 4096, 50265, 514],
      'bert-tiny': [32, 2, 2, 64, 4000, 512],
      'bert-minilm': [384, 6, 12, 1536, 30522, 512], // cross-encoder/ms-marco-MiniLM-L-6-v2's shape
    });
    expect(robertaConfig({ family: 'bert', vocabSize: 100, hidden: 8, layers: 1, heads: 2, intermediate: 16 })).toMatchObject({
      maxPositions: 512,
      padId: 0,
      layerNormEps: 1e-12,
      typeVocabSize: 2,
    });
    await expect(forgeModel({ preset: 'huge' as never, seed: 1, outDir: join(scratch, 'x') })).rejects.toThrow(/preset/);
    await expect(forgeModel({ preset: 'tiny', seed: -1, outDir: join(scratch, 'x') })).rejects.toThrow(/seed/);
  });

  it('cappy forge writes the folder, lists it on stdout and reports progress on stderr', async () => {
    const program = new Command().exitOverride();
    registerForge(program);
    const out = join(scratch, 'cli');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let printed = '';
    let progress = '';
    try {
      await program.parseAsync(['node', 'cappy', 'forge', '--preset', 'tiny', '--seed', '7', '--out', out]);
    } finally {
      printed = stdout.mock.calls.map((c) => String(c[0])).join('');
      progress = stderr.mock.calls.map((c) => String(c[0])).join('');
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(printed).toMatch(/forged tiny \(seed 7, 1\.6M parameters, RANDOM weights/);
    expect(printed).toContain(join(out, 'onnx/model.onnx'));
    // stderr is not a terminal under vitest: plain progress lines, ending at 100%.
    expect(progress).toMatch(/forging tiny: 100% /);
    expect((await readFile(join(out, 'onnx', 'model.onnx'))).equals(await readFile(join(dir, 'onnx', 'model.onnx')))).toBe(true);
  });
});
