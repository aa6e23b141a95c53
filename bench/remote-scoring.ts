// Remote scoring throughput: RemoteScorer on 1 and 3 local `cappy serve`
// processes against the in-process Scorer, on the same forged weights and the
// same pairs, in one run. Results are ratios to the in-process anchor, from
// medians over rounds that run every arm once (so outside load hits all arms).
//
// On one machine this measures the cost of the HTTP path (JSON, loopback,
// batching across processes), not scale-out: every server shares the same
// cores. --threads sets ORT's intra-op threads of every engine alike (the
// in-process one and each server; default: the core count), so the ratios
// compare the paths, not thread counts.
//
//   npx tsx bench/remote-scoring.ts [--preset small] [--pairs 512] [--repeats 3] [--batch 32] [--threads N]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuFeatures, RemoteScorer, Scorer } from '../lib/index.js';
import { drawLengths, LOGNORMAL_8_512, seededRandom, synthesizePairs } from '../lib/bench/workload.js';
import { startServe, stopServe, type ServeProcess } from '../support/serving.js';
import { forgedBenchModel } from './support/forged-model.js';
import { paragraphs } from './support/text-pairs.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    pairs: { type: 'string', default: '512' },
    repeats: { type: 'string', default: '3' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const N = Number(args.pairs);
const REPEATS = Number(args.repeats);
const root = resolve(import.meta.dirname, '..');

type Scores = (pairs: [string, string][]) => Promise<Float32Array>;

/** Checks a pass against the reference and returns its ms. */
async function timed(name: string, score: Scores, pairs: [string, string][], reference: Float32Array): Promise<number> {
  const t0 = performance.now();
  const s = await score(pairs);
  const ms = performance.now() - t0;
  if (!s.every((v, i) => v === reference[i])) throw new Error(`${name}: scores differ from in-process`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = await forgedBenchModel(preset);
  const load0 = loadavg()[0];
  const threads = args.threads ? Number(args.threads) : availableParallelism();
  const local = await Scorer.load(dir, { intraOpThreads: threads });
  const lengths = drawLengths(LOGNORMAL_8_512, N, seededRandom(Number(args.seed)));
  const pairs = synthesizePairs(local.tokenizer, lengths, { seed: Number(args.seed), words: paragraphs().join(' ').split(' ') }) as [
    string,
    string,
  ][];
  const cores = availableParallelism();
  const features = cpuFeatures();
  console.error(
    `${N} pairs (lognormal 8..512 tokens), preset ${preset} (forged, random weights), ${cores} cores, ${threads} intra-op threads per engine, load ${load0.toFixed(2)}`,
  );

  const serverArgs = ['--model', dir, '--warmup-lengths', 'none', '--intra-op-threads', String(threads)];
  const servers: ServeProcess[] = [];
  const results: Record<string, number> = {};
  try {
    for (let i = 0; i < 3; i++) servers.push(await startServe(serverArgs, { ready: true }));
    const reference = await local.scoreBatch(pairs);
    const connect = (count: number, endpointConcurrency?: number) =>
      RemoteScorer.connect(
        servers.slice(0, count).map((s) => s.url),
        { remoteBatchSize: Number(args.batch), endpointConcurrency },
      );
    // 'remote x1, 2 in flight' matches the server's native calls (maxConcurrentCalls):
    // what the client did when /info reported those as max_concurrent_requests.
    const remotes = await Promise.all([connect(1), connect(3), connect(1, 2)]);
    const arms: [string, Scores][] = [
      ['in-process', (p) => local.scoreBatch(p)],
      ['remote x1', (p) => remotes[0].scoreBatch(p)],
      ['remote x3', (p) => remotes[1].scoreBatch(p)],
      ['remote x1, 2 in flight', (p) => remotes[2].scoreBatch(p)],
    ];
    // Rounds, each arm once per round (after one warm-up pass each), so load from
    // outside this bench (a shared box) spreads over all arms instead of one.
    // Only one engine scores at a time: the others sit idle, loaded.
    for (const [name, score] of arms) await timed(name, score, pairs, reference);
    const ms: Record<string, number[]> = Object.fromEntries(arms.map(([n]) => [n, []]));
    for (let r = 0; r < REPEATS; r++) {
      for (const [name, score] of arms) ms[name].push(await timed(name, score, pairs, reference));
      console.error(
        `round ${r + 1}/${REPEATS}: ${arms.map(([n]) => `${n} ${(N / (ms[n][r] / 1000)).toFixed(1)}`).join(', ')} pairs/s (load ${loadavg()[0].toFixed(2)})`,
      );
    }
    for (const [name] of arms) results[name] = N / (median(ms[name]) / 1000);
    await Promise.all(remotes.map((r) => r.dispose()));
  } finally {
    await Promise.all(servers.map((s) => stopServe(s)));
    await local.dispose();
  }
  const anchor = results['in-process'];
  console.log('\narm                         pairs/s (median)   ratio to in-process');
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(26)} ${v.toFixed(1).padStart(8)}   ${(v / anchor).toFixed(2)}`);
  const load1 = loadavg()[0];
  console.log(
    `\nload ${load0.toFixed(2)} -> ${load1.toFixed(2)}; ${cores} cores; CPU: ${features.model ?? features.arch}; ISA flags: ${Object.entries(
      features.flags,
    )
      .filter(([, on]) => on)
      .map(([k]) => k)
      .join(' ')}`,
  );
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  writeFileSync(
    join(outDir, 'remote-scoring.json'),
    JSON.stringify(
      {
        version,
        preset,
        pairs: N,
        repeats: REPEATS,
        batch: Number(args.batch),
        intraOpThreads: threads,
        cores,
        cpu: features.model,
        int8Kernel: features.int8Kernel,
        loadavg: [load0, load1],
        pairsPerSec: results,
        ratios: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v / anchor])),
      },
      null,
      2,
    ) + '\n',
  );
}

await main();
