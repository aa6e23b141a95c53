// Device pool on the CPU: one session with every thread (the anchor) against
// N sessions that divide the same threads (`devices: N`), on the same forged
// weights (random, not Cappy) and the same pairs, in one run. Two workloads:
//
//   bulk     one scoreBatch of --pairs pairs (lognormal 8..512 tokens)
//   served   --clients callers in a closed loop, each sending 1..8 pairs per
//            call until --pairs pairs are scored (what a server sees)
//
// Arms alternate within every round (anchor, pool, anchor, pool, ...), so a
// change of load on this shared box hits both; each round gives a ratio
// pool / anchor and the result is the median ratio. Absolute pairs/s are
// printed but mean little here; load average and ISA are printed with them.
// Scores are compared too: the pool must give the anchor's bits.
//
//   npx tsx bench/device-pool.ts [--preset small] [--pairs 512] [--sessions 2]
//     [--threads N (total; default the core count)] [--rounds 5] [--clients 16] [--dtype fp32]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Scorer } from '../lib/index.js';
import { drawLengths, LOGNORMAL_8_512, seededRandom, synthesizePairs } from '../lib/bench/workload.js';
import { cpuFeatures } from '../lib/runtime/cpu-features.js';
import { paragraphs } from './support/text-pairs.js';
import { forgedBenchModel } from './support/forged-model.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    pairs: { type: 'string', default: '512' },
    sessions: { type: 'string', default: '2' },
    threads: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '16' },
    dtype: { type: 'string', default: 'fp32' },
    seed: { type: 'string', default: '1' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const N = Number(args.pairs);
const SESSIONS = Number(args.sessions);
const THREADS = args.threads ? Number(args.threads) : availableParallelism();
const ROUNDS = Number(args.rounds);
const CLIENTS = Number(args.clients);
const dtype = args.dtype as 'fp32' | 'int8';
const root = resolve(import.meta.dirname, '..');
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

type Pair = [string, string];
type Workload = (scorer: Scorer, pairs: Pair[]) => Promise<Float32Array>;

const bulk: Workload = (scorer, pairs) => scorer.scoreBatch(pairs);

/** Closed-loop callers: each takes the next 1..8 pairs and calls again when answered. */
const served: Workload = async (scorer, pairs) => {
  const out = new Float32Array(pairs.length);
  const random = seededRandom(7);
  const sizes: number[] = [];
  for (let n = 0; n < pairs.length;) {
    const k = Math.min(pairs.length - n, 1 + Math.floor(random() * 8));
    sizes.push(k);
    n += k;
  }
  let next = 0;
  let offset = 0;
  const client = async () => {
    while (next < sizes.length) {
      const k = sizes[next++];
      const start = offset;
      offset += k;
      out.set(await scorer.scoreBatch(pairs.slice(start, start + k)), start);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return out;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length &&
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

async function main(): Promise<void> {
  const cpu = cpuFeatures();
  const dir = await forgedBenchModel(preset);
  const anchor = await Scorer.load(dir, { dtype, intraOpThreads: THREADS });
  const pool = await Scorer.load(dir, { dtype, intraOpThreads: THREADS, devices: SESSIONS });
  const lengths = drawLengths(LOGNORMAL_8_512, N, seededRandom(Number(args.seed)));
  const pairs = synthesizePairs(anchor.tokenizer, lengths, { seed: Number(args.seed), words: paragraphs().join(' ').split(' ') });
  const realTokens = lengths.reduce((s, l) => s + l, 0);
  const threadsEach = pool.info.pool.map((s) => s.intraOpThreads).join('+');
  const loadBefore = loadavg();
  console.error(
    `${N} pairs, ${realTokens} tokens (lognormal 8..512), preset ${preset} (RANDOM weights), ${dtype}; ` +
      `anchor 1 session x ${THREADS} threads, pool ${SESSIONS} sessions x ${threadsEach}; ` +
      `${cpu.model ?? 'cpu'}, int8 kernel ${cpu.int8Kernel}; load ${loadBefore}`,
  );

  // Warm-up: first runs pay for allocation and kernel selection.
  await anchor.scoreBatch(pairs.slice(0, 64));
  await pool.scoreBatch(pairs.slice(0, 64));

  const results: Record<string, { anchorPairsPerSec: number[]; poolPairsPerSec: number[]; ratios: number[]; sameBits: boolean }> = {};
  for (const [name, work] of [
    ['bulk', bulk],
    ['served', served],
  ] as const) {
    const r = { anchorPairsPerSec: [] as number[], poolPairsPerSec: [] as number[], ratios: [] as number[], sameBits: true };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which arm goes first, so neither always follows the other.
      const order = round % 2 === 0 ? [anchor, pool] : [pool, anchor];
      const rate = new Map<Scorer, number>();
      const scores = new Map<Scorer, Float32Array>();
      for (const s of order) {
        const t = performance.now();
        scores.set(s, await work(s, pairs));
        rate.set(s, (pairs.length * 1000) / (performance.now() - t));
      }
      r.anchorPairsPerSec.push(rate.get(anchor)!);
      r.poolPairsPerSec.push(rate.get(pool)!);
      r.ratios.push(rate.get(pool)! / rate.get(anchor)!);
      r.sameBits &&= sameBits(scores.get(anchor)!, scores.get(pool)!);
    }
    results[name] = r;
    console.error(
      `  ${name}: anchor ${median(r.anchorPairsPerSec).toFixed(1)} pairs/s, pool ${median(r.poolPairsPerSec).toFixed(1)} pairs/s, ` +
        `ratios ${r.ratios.map((x) => x.toFixed(2)).join(' ')}`,
    );
  }
  const loadAfter = loadavg();
  const poolStats = pool.stats().sessions;
  await anchor.dispose();
  await pool.dispose();

  console.log(
    `\nDevice pool on CPU, preset ${preset} (RANDOM weights, not Cappy), ${dtype}, ${N} pairs, ${ROUNDS} rounds; ` +
      `${THREADS} threads in all; ISA: ${cpu.int8KernelDescription}; load ${loadBefore} -> ${loadAfter}`,
  );
  console.log(
    `${'workload'.padEnd(10)} ${'1 session'.padStart(12)} ${`${SESSIONS} sessions`.padStart(12)} ${'ratio (median)'.padStart(15)}  same bits`,
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(10)} ${`${median(r.anchorPairsPerSec).toFixed(1)}/s`.padStart(12)} ${`${median(r.poolPairsPerSec).toFixed(1)}/s`.padStart(12)} ` +
        `${`${median(r.ratios).toFixed(2)}x`.padStart(15)}  ${r.sameBits ? 'yes' : 'NO'}`,
    );
  }
  console.log(`pool sessions' shares: ${poolStats.map((s) => `${s.device} ${s.pairs} pairs in ${s.calls} calls`).join(', ')}`);

  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `device-pool-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    out,
    JSON.stringify(
      {
        preset,
        dtype,
        pairs: N,
        sessions: SESSIONS,
        threads: THREADS,
        threadsEach,
        rounds: ROUNDS,
        clients: CLIENTS,
        cpu,
        loadBefore,
        loadAfter,
        results,
        poolStats,
      },
      null,
      2,
    ),
  );
  console.log(`wrote ${out}`);
}

await main();
