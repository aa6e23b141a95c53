// The engine's int8 / fp32 speed ratio, measured so that a shared machine
// distorts it as little as possible: both scorers loaded at once, passes
// alternated (fp32, int8, fp32, int8, ...), and the best pass of each kept,
// since other load only ever slows a pass down. One ORT thread by default:
// a descheduled thread stalls a multi-threaded GEMM at every barrier, which
// on a loaded box measures the neighbours, not the kernels.
//
//   npx tsx bench/int8-ratio.ts [--preset small] [--pairs 64] [--rounds 3] [--threads 1]
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { forgeModel, Scorer } from '../lib/index.js';
import { textPairs } from './support/text-pairs.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    pairs: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const dir = join(resolve(import.meta.dirname, '..'), 'bench', '.cache', `${preset}-seed1-dtypes`);
if (!existsSync(join(dir, 'onnx', 'model_int8.onnx')) || !existsSync(join(dir, 'onnx', 'model.onnx'))) {
  await forgeModel({ preset, seed: 1, outDir: dir, dtypes: ['fp32', 'int8'] });
}
const pairs = textPairs(Number(args.pairs));
const threads = Number(args.threads);
const scorers = {
  fp32: await Scorer.load(dir, { dtype: 'fp32', intraOpThreads: threads, tokenizerThreads: 1 }),
  int8: await Scorer.load(dir, { dtype: 'int8', intraOpThreads: threads, tokenizerThreads: 1 }),
};
const passes: Record<string, number[]> = { fp32: [], int8: [] };
for (const s of Object.values(scorers)) await s.scoreBatch(pairs.slice(0, 4)); // warm-up
for (let r = 0; r < Number(args.rounds); r++) {
  for (const [name, s] of Object.entries(scorers)) {
    const t = performance.now();
    await s.scoreBatch(pairs);
    passes[name].push((pairs.length * 1000) / (performance.now() - t));
  }
}
const best = (x: number[]) => Math.max(...x);
console.log(
  `preset ${preset} (random weights), ${pairs.length} real-text pairs, ${threads} ORT thread(s), ${args.rounds} alternating rounds`,
);
for (const [name, x] of Object.entries(passes))
  console.log(`  ${name}: best ${best(x).toFixed(2)} pairs/s (passes ${x.map((v) => v.toFixed(2)).join(', ')})`);
console.log(`engine int8 / fp32, best pass each: ${(best(passes.int8) / best(passes.fp32)).toFixed(2)}x`);
for (const s of Object.values(scorers)) await s.dispose();
