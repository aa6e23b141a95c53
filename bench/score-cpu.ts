// CPU scoring throughput: this engine against what a Node user would pick
// instead, on the same forged weights and the same pairs, in one run:
//
//   cappy-engine            scoreBatch, padding-aware planner (the default)
//   cappy-engine fifo       scoreBatch with planner: 'fifo' (planner off)
//   onnxruntime-node        HF tokenizers + fixed batches of --batch in input
//                           order, each padded to its longest pair
//   transformers.js         AutoTokenizer + AutoModelForSequenceClassification,
//                           batches of --batch, padding: true (as its docs run
//                           a cross-encoder)
//
// Pairs are real text (Debian's license and README files) cut to token
// lengths drawn from a lognormal mix between 8 and 512 (lib/bench/workload.ts).
// Each arm's timing includes its own tokenization. Event-loop delay is
// perf_hooks.monitorEventLoopDelay (1 ms resolution, so values include that
// 1 ms sampling interval) over each arm's timed passes. Absolute numbers on a
// shared 2-core box mean little; the ratios printed at the end are the result.
//
//   npx tsx bench/score-cpu.ts [--preset small] [--pairs 512] [--batch 32] [--repeats 3] [--threads N]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Scorer } from '../lib/index.js';
import { drawLengths, LOGNORMAL_8_512, seededRandom, synthesizePairs } from '../lib/bench/workload.js';
import { hfEncodePairs, hfTokenizer } from '../support/hf.js';
import { runRows } from '../support/ort-rows.js';
import { paragraphs } from './support/text-pairs.js';
import { forgedBenchModel } from './support/forged-model.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    pairs: { type: 'string', default: '512' },
    batch: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '32' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'skip-transformers': { type: 'boolean', default: false },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const N = Number(args.pairs);
const BATCH = Number(args.batch);
const REPEATS = Number(args.repeats);
const WARMUP = Math.min(N, Number(args.warmup));
const threads = args.threads ? Number(args.threads) : availableParallelism();
const root = resolve(import.meta.dirname, '..');

interface ArmResult {
  pairsPerSec: number;
  medianMs: number;
  padFraction: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/**
 * Warm-up on the first pairs (first runs pay for allocation and kernel
 * selection), then `REPEATS` timed passes over every pair. `pass` returns the
 * pass's [real, computed] tokens.
 */
async function arm(
  label: string,
  pass: (pairs: [string, string][]) => Promise<[number, number]>,
  pairs: [string, string][],
): Promise<ArmResult> {
  await pass(pairs.slice(0, WARMUP));
  const times: number[] = [];
  let tokens: [number, number] = [0, 0];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    tokens = await pass(pairs);
    times.push(performance.now() - t);
  }
  loop.disable();
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)];
  const ms = (q: number) => loop.percentile(q) / 1e6;
  const result: ArmResult = {
    pairsPerSec: (pairs.length * 1000) / medianMs,
    medianMs,
    padFraction: 1 - tokens[0] / tokens[1],
    eventLoopDelayMs: { p50: ms(50), p99: ms(99), max: loop.max / 1e6 },
  };
  console.error(
    `  ${label}: median ${medianMs.toFixed(0)} ms over ${REPEATS}, ${result.pairsPerSec.toFixed(1)} pairs/s, ` +
      `pad ${(100 * result.padFraction).toFixed(1)}%, loop p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms`,
  );
  return result;
}

/** One pass of a cappy-engine scorer; tokens from its stats. */
function enginePass(scorer: Scorer) {
  return async (pairs: [string, string][]): Promise<[number, number]> => {
    const before = scorer.stats();
    await scorer.scoreBatch(pairs);
    const after = scorer.stats();
    return [after.realTokens - before.realTokens, after.computedTokens - before.computedTokens];
  };
}

async function main(): Promise<void> {
  const dir = await forgedBenchModel(preset);
  const results: Record<string, ArmResult> = {};

  const engine = await Scorer.load(dir, { intraOpThreads: threads });
  const lengths = drawLengths(LOGNORMAL_8_512, N, seededRandom(Number(args.seed)));
  const words = paragraphs().join(' ').split(' ');
  const pairs = synthesizePairs(engine.tokenizer, lengths, { seed: Number(args.seed), words });
  const realTokens = lengths.reduce((s, l) => s + l, 0);
  console.error(
    `${N} pairs, ${realTokens} tokens (mean ${(realTokens / N).toFixed(0)}, lognormal 8..512), preset ${preset}, ${threads} threads`,
  );

  results['cappy-engine'] = await arm('cappy-engine (padding-aware)', enginePass(engine), pairs);
  const ep = engine.info.executionProvider;
  await engine.dispose();
  const fifo = await Scorer.load(dir, { intraOpThreads: threads, planner: 'fifo' });
  results['cappy-engine fifo'] = await arm('cappy-engine (planner off: fifo)', enginePass(fifo), pairs);
  await fifo.dispose();

  // onnxruntime-node: HF tokenizers, batches in input order, padded to the longest.
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), { intraOpNumThreads: threads });
  const hf = hfTokenizer(join(dir, 'tokenizer.json'), 512, 'LongestFirst');
  results['onnxruntime-node'] = await arm(
    `onnxruntime-node, batches of ${BATCH}`,
    async (ps) => {
      let real = 0;
      let padded = 0;
      for (let s = 0; s < ps.length; s += BATCH) {
        const rows = await hfEncodePairs(hf, ps.slice(s, s + BATCH));
        real += rows.reduce((a, r) => a + r.length, 0);
        padded += rows.length * Math.max(...rows.map((r) => r.length));
        await runRows(ort, session, rows);
      }
      return [real, padded];
    },
    pairs,
  );
  await session.release();

  if (!args['skip-transformers']) {
    const tf = await import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
    tf.env.localModelPath = resolve(dir, '..');
    const name = `${preset}-seed1`;
    const tokenizer = await tf.AutoTokenizer.from_pretrained(name);
    const model = await tf.AutoModelForSequenceClassification.from_pretrained(name, {
      dtype: 'fp32',
      session_options: { intraOpNumThreads: threads },
    });
    results['transformers.js'] = await arm(
      `transformers.js, batches of ${BATCH}`,
      async (ps) => {
        let real = 0;
        let padded = 0;
        for (let s = 0; s < ps.length; s += BATCH) {
          const b = ps.slice(s, s + BATCH);
          const inputs = tokenizer(
            b.map((p) => p[0]),
            { text_pair: b.map((p) => p[1]), padding: true, truncation: true, max_length: 512 },
          );
          const dims = inputs.attention_mask.dims as number[];
          padded += dims[0] * dims[1];
          for (const v of inputs.attention_mask.data as BigInt64Array) real += Number(v);
          await model(inputs);
        }
        return [real, padded];
      },
      pairs,
    );
    await model.dispose();
  }

  const ratio = (a: string, b: string) => (results[a] && results[b] ? results[a].pairsPerSec / results[b].pairsPerSec : NaN);
  console.log(
    `\nCPU scoring, preset ${preset} (RANDOM weights, not Cappy), ${N} pairs (lognormal 8..512 tokens, mean ${(realTokens / N).toFixed(0)}), EP ${ep}, ${threads} threads`,
  );
  console.log(`${'runner'.padEnd(20)} ${'pairs/s'.padStart(9)} ${'pad %'.padStart(7)} ${'loop p50'.padStart(9)} ${'loop p99'.padStart(9)}`);
  for (const [k, v] of Object.entries(results)) {
    console.log(
      `${k.padEnd(20)} ${v.pairsPerSec.toFixed(1).padStart(9)} ${(100 * v.padFraction).toFixed(1).padStart(7)} ` +
        `${v.eventLoopDelayMs.p50.toFixed(2).padStart(9)} ${v.eventLoopDelayMs.p99.toFixed(2).padStart(9)}`,
    );
  }
  const e = results['cappy-engine'];
  const checks: [string, number, string, boolean][] = [
    ['engine / transformers.js', ratio('cappy-engine', 'transformers.js'), '>= 3x', ratio('cappy-engine', 'transformers.js') >= 3],
    ['engine / onnxruntime-node', ratio('cappy-engine', 'onnxruntime-node'), '>= 2x', ratio('cappy-engine', 'onnxruntime-node') >= 2],
    ['engine / engine fifo', ratio('cappy-engine', 'cappy-engine fifo'), '(planner effect)', true],
  ];
  for (const [name, value, target, ok] of checks) {
    console.log(
      `${name.padEnd(28)} ${Number.isNaN(value) ? '   n/a' : value.toFixed(2).padStart(6) + 'x'}  ${target}${target.startsWith('>=') ? (ok ? '  met' : '  NOT met') : ''}`,
    );
  }
  console.log(
    `${'engine pad tokens'.padEnd(28)} ${(100 * e.padFraction).toFixed(1).padStart(6)}%  <= 5%${e.padFraction <= 0.05 ? '  met' : '  NOT met'}`,
  );
  console.log(
    `${'engine event-loop p99'.padEnd(28)} ${e.eventLoopDelayMs.p99.toFixed(2).padStart(6)} ms  <= 10 ms${e.eventLoopDelayMs.p99 <= 10 ? '  met' : '  NOT met'}`,
  );

  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `score-cpu-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    out,
    JSON.stringify(
      { preset, pairs: N, batch: BATCH, repeats: REPEATS, threads, realTokens, lengths: 'lognormal 8..512', results },
      null,
      2,
    ),
  );
  console.log(`wrote ${out}`);
}

await main();
