// What each int8/fp16 design choice costs and buys, measured with
// onnxruntime-node on one forged preset (random weights) and real-text pairs:
// every variant is forged from the same seed, run over the same length-sorted
// batches, and compared with the fp32 graph's logits.
//
//   npx tsx bench/dtype-variants.ts [--preset small] [--pairs 128] [--batch 32] [--repeats 2]
//
// Variants: int8 as one com.microsoft DynamicQuantizeMatMul per Linear
// ('contrib') or as DynamicQuantizeLinear + MatMulInteger + Cast + Mul + Add
// ('onnx'), each with full-range (127) or reduced-range (63) weight codes; fp16.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { forgeModel } from '../lib/index.js';
import type { Int8Options, ModelDType } from '../lib/forge/precision.js';
import { hfEncodePairs, hfTokenizer } from '../support/hf.js';
import { runRowsBatched } from '../support/ort-rows.js';
import { textPairs } from './support/text-pairs.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    pairs: { type: 'string', default: '128' },
    batch: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const N = Number(args.pairs);
const BATCH = Number(args.batch);
const REPEATS = Number(args.repeats);
const threads = availableParallelism();
const root = resolve(import.meta.dirname, '..');
const SEED = 1;

interface Variant {
  name: string;
  dtype: ModelDType;
  int8?: Int8Options;
}
const VARIANTS: Variant[] = [
  { name: 'fp32', dtype: 'fp32' },
  { name: 'int8 contrib w127', dtype: 'int8', int8: { ops: 'contrib', weightMax: 127 } },
  { name: 'int8 contrib w63', dtype: 'int8', int8: { ops: 'contrib', weightMax: 63 } },
  { name: 'int8 onnx w127', dtype: 'int8', int8: { ops: 'onnx', weightMax: 127 } },
  { name: 'int8 w63 fp32 ffn-out', dtype: 'int8', int8: { ops: 'contrib', weightMax: 63, keepFloat: ['ffn-out'] } },
  { name: 'int8 w63 fp32 qkv', dtype: 'int8', int8: { ops: 'contrib', weightMax: 63, keepFloat: ['qkv'] } },
  { name: 'int8 w63 fp32 ffn-in', dtype: 'int8', int8: { ops: 'contrib', weightMax: 63, keepFloat: ['ffn-in'] } },
  { name: 'int8 w63 fp32 attn-out', dtype: 'int8', int8: { ops: 'contrib', weightMax: 63, keepFloat: ['attention-out'] } },
  // The default layout with full-range codes: safe only where the int8 kernel does not saturate (VNNI, AMX).
  { name: 'int8 w127 fp32 attn-out', dtype: 'int8', int8: { ops: 'contrib', weightMax: 127, keepFloat: ['attention-out'] } },
  { name: 'fp16', dtype: 'fp16' },
];

async function forged(v: Variant): Promise<string> {
  const tag = v.int8 ? `${v.int8.ops}-${v.int8.weightMax}${v.int8.keepFloat ? `-f-${v.int8.keepFloat.join('-')}` : ''}` : v.dtype;
  const dir = join(root, 'bench', '.cache', `variants-${preset}-seed${SEED}-${tag}`);
  const file = join(dir, 'onnx', v.dtype === 'fp32' ? 'model.onnx' : `model_${v.dtype}.onnx`);
  if (!existsSync(file)) {
    console.error(`forging ${preset} ${v.name} ...`);
    await forgeModel({ preset, seed: SEED, outDir: dir, dtypes: [v.dtype], int8: v.int8 });
  }
  return file;
}

async function main(): Promise<void> {
  const pairs = textPairs(N);
  const tokDir = join(root, 'bench', '.cache', `variants-${preset}-seed${SEED}-fp32`);
  const variants = args.only ? VARIANTS.filter((v) => v.name === 'fp32' || args.only!.split(',').includes(v.name)) : VARIANTS;
  const files = new Map<string, string>();
  for (const v of variants) files.set(v.name, await forged(v));
  const rows = await hfEncodePairs(hfTokenizer(join(tokDir, 'tokenizer.json'), 512), pairs);
  const order = rows.map((_, i) => i).sort((a, b) => rows[b].length - rows[a].length);
  const tokens = rows.reduce((s, r) => s + r.length, 0);
  console.error(`${N} pairs, mean ${(tokens / N).toFixed(0)} tokens, preset ${preset}, ${threads} threads`);

  const results: Record<string, { pairsPerSec: number; maxAbs: number; meanAbs: number; fileMB: number }> = {};
  let reference: Float32Array | undefined;
  for (const v of variants) {
    const session = await ort.InferenceSession.create(files.get(v.name)!, { intraOpNumThreads: threads });
    const logits = await runRowsBatched(ort, session, rows, BATCH, order); // warm-up, and the logits compared
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const t = performance.now();
      await runRowsBatched(ort, session, rows, BATCH, order);
      times.push(performance.now() - t);
    }
    await session.release();
    times.sort((a, b) => a - b);
    reference ??= logits;
    let maxAbs = 0;
    let sum = 0;
    for (let i = 0; i < N; i++) {
      const d = Math.abs(logits[i] - reference[i]);
      maxAbs = Math.max(maxAbs, d);
      sum += d;
    }
    const { size } = await import('node:fs/promises').then((f) => f.stat(files.get(v.name)!));
    results[v.name] = { pairsPerSec: (N * 1000) / times[Math.floor(times.length / 2)], maxAbs, meanAbs: sum / N, fileMB: size / 1e6 };
    console.error(`  ${v.name}: ${results[v.name].pairsPerSec.toFixed(1)} pairs/s`);
  }
  const spread = Math.max(...reference!) - Math.min(...reference!);
  console.log(
    `\nvariants, preset ${preset} (random weights), ${N} real-text pairs, sorted batches of ${BATCH}, onnxruntime-node ${ort.env.versions.common}`,
  );
  console.log(`fp32 logits span ${spread.toFixed(3)}`);
  console.log(
    `${'variant'.padEnd(20)} ${'pairs/s'.padStart(8)} ${'vs fp32'.padStart(8)} ${'max|d|'.padStart(9)} ${'mean|d|'.padStart(9)} ${'MB'.padStart(7)}`,
  );
  for (const [k, r] of Object.entries(results)) {
    const x = r.pairsPerSec / results.fp32.pairsPerSec;
    console.log(
      `${k.padEnd(20)} ${r.pairsPerSec.toFixed(1).padStart(8)} ${x.toFixed(2).padStart(7)}x ${r.maxAbs.toExponential(2).padStart(9)} ${r.meanAbs.toExponential(2).padStart(9)} ${r.fileMB.toFixed(1).padStart(7)}`,
    );
  }
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `dtype-variants-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ preset, pairs: N, batch: BATCH, threads, spread, results }, null, 2));
  console.log(`wrote ${out}`);
}

await main();
