// Soak: a long run of micro-batched concurrent calls, watching resident
// memory. After warm-up (allocator pools, ORT arenas, JIT) RSS should stay
// flat; a leak per call or per batch shows up as steady growth. Not for CI.
//
//   npx tsx bench/soak.ts [--preset tiny] [--pairs 1000000] [--concurrency 64] [--batch 1]
//                         [--warmup-pairs 20000] [--max-drift 0.05] [--seed 1]
//
// C clients each call score() (or scoreBatch of --batch pairs) in a closed
// loop over a fixed pool of lognormal 8..512-token pairs. RSS is sampled every
// second; the baseline is the RSS when warm-up ends; drift is
// (max RSS after warm-up - baseline) / baseline. Exits 1 past --max-drift.
import { parseArgs } from 'node:util';
import { Scorer } from '../lib/index.js';
import { drawLengths, LOGNORMAL_8_512, seededRandom, synthesizePairs } from '../lib/bench/workload.js';
import { forgedBenchModel } from './support/forged-model.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    pairs: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '1' },
    'warmup-pairs': { type: 'string', default: '20000' },
    'max-drift': { type: 'string', default: '0.05' },
    pool: { type: 'string', default: '4096' },
    seed: { type: 'string', default: '1' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const TOTAL = Number(args.pairs);
const C = Number(args.concurrency);
const BATCH = Number(args.batch);
const WARMUP = Math.min(TOTAL, Number(args['warmup-pairs']));
const MAX_DRIFT = Number(args['max-drift']);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const dir = await forgedBenchModel(preset);
  const scorer = await Scorer.load(dir);
  const seed = Number(args.seed);
  const pool = synthesizePairs(scorer.tokenizer, drawLengths(LOGNORMAL_8_512, Number(args.pool), seededRandom(seed)), { seed });

  let sent = 0;
  let done = 0;
  let baseline = 0;
  let maxAfter = 0;
  const samples: { s: number; pairs: number; rssMb: number; heapMb: number }[] = [];
  const t0 = performance.now();
  const sample = () => {
    const m = process.memoryUsage();
    samples.push({ s: (performance.now() - t0) / 1000, pairs: done, rssMb: Number(mb(m.rss)), heapMb: Number(mb(m.heapUsed)) });
    if (done >= WARMUP) {
      if (baseline === 0) baseline = m.rss;
      maxAfter = Math.max(maxAfter, m.rss);
    }
  };
  const timer = setInterval(() => {
    sample();
    const last = samples[samples.length - 1];
    const drift = baseline ? ((maxAfter - baseline) / baseline) * 100 : NaN;
    console.error(
      `${last.s.toFixed(0)} s: ${done} pairs, RSS ${last.rssMb} MB, heap ${last.heapMb} MB${baseline ? `, drift ${drift.toFixed(2)}%` : ' (warming up)'}`,
    );
  }, 1000);

  const client = async () => {
    while (sent < TOTAL) {
      const start = sent;
      const n = Math.min(BATCH, TOTAL - sent);
      sent += n;
      if (n === 1) {
        const p = pool[start % pool.length];
        await scorer.score(p[0], p[1]);
      } else {
        const pairs = Array.from({ length: n }, (_, k) => pool[(start + k) % pool.length]);
        await scorer.scoreBatch(pairs);
      }
      done += n;
    }
  };
  await Promise.all(Array.from({ length: C }, client));
  clearInterval(timer);
  sample();
  const seconds = (performance.now() - t0) / 1000;
  const st = scorer.stats();
  await scorer.dispose();

  const drift = baseline ? (maxAfter - baseline) / baseline : NaN;
  const final = samples[samples.length - 1];
  console.log(
    `soak: preset ${preset} (random weights), ${done} pairs in ${seconds.toFixed(0)} s (${(done / seconds).toFixed(0)} pairs/s), concurrency ${C}, ${BATCH} pair(s) per call`,
  );
  console.log(`native calls ${st.calls}, ORT batches ${st.batches}, pad ${(100 * st.padFraction).toFixed(2)}%`);
  console.log(`RSS after warm-up (${WARMUP} pairs): ${mb(baseline)} MB; max after: ${mb(maxAfter)} MB; final: ${final.rssMb} MB`);
  console.log(`drift ${(100 * drift).toFixed(2)}% (limit ${(100 * MAX_DRIFT).toFixed(1)}%): ${drift <= MAX_DRIFT ? 'ok' : 'TOO HIGH'}`);
  process.exitCode = drift <= MAX_DRIFT ? 0 : 1;
}

await main();
