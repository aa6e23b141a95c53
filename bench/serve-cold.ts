// Cold versus warm first request of `cappy serve`. Each round starts a fresh
// server twice: once with warm-up off (--warmup-lengths none), once with the
// default warm-up, and times the first request each one answers after
// /health says ready, then the same request twice more (steady state). Two
// request shapes, each on its own fresh servers: one short pair (where fixed
// first-use costs show most), and a rerank of 16 real texts of mixed length
// (the shape a rerank client sends).
//
//   npx tsx bench/serve-cold.ts [--preset small] [--rounds 3] [--docs 1,16]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { forgedBenchModel } from './support/forged-model.js';
import { startServe, stopServe } from './support/serve.js';
import { textPairs } from './support/text-pairs.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    rounds: { type: 'string', default: '3' },
    docs: { type: 'string', default: '1,16' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const ROUNDS = Number(args.rounds);
const SHAPES = String(args.docs).split(',').map(Number);
const root = resolve(import.meta.dirname, '..');

interface Round {
  readyMs: number;
  firstMs: number;
  secondMs: number;
  thirdMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function timed(url: string, body: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${url}/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await r.text();
  if (r.status !== 200) throw new Error(`rerank answered ${r.status}`);
  return performance.now() - t0;
}

async function round(dir: string, warmupArgs: string[], body: string): Promise<Round> {
  const s = await startServe(['--model', dir, ...warmupArgs]);
  try {
    const firstMs = await timed(s.url, body);
    const secondMs = await timed(s.url, body);
    const thirdMs = await timed(s.url, body);
    return { readyMs: s.readyMs, firstMs, secondMs, thirdMs };
  } finally {
    await stopServe(s);
  }
}

const summary = (rs: Round[]) => ({
  readyMs: median(rs.map((x) => x.readyMs)),
  firstMs: median(rs.map((x) => x.firstMs)),
  secondMs: median(rs.map((x) => x.secondMs)),
  thirdMs: median(rs.map((x) => x.thirdMs)),
});

async function main(): Promise<void> {
  const dir = await forgedBenchModel(preset);
  const load0 = loadavg()[0];
  console.error(`preset ${preset} (random weights), ${ROUNDS} rounds per shape; ${availableParallelism()} cores, load ${load0.toFixed(2)}`);
  const results: { docs: number; cold: Round[]; warm: Round[] }[] = [];
  for (const docs of SHAPES) {
    const pairs = docs === 1 ? [['Name a prime number.', 'Seven is a prime number.'] as [string, string]] : textPairs(docs, 101);
    const body = JSON.stringify({ query: pairs[0][0], texts: pairs.map((p) => p[1]), raw_scores: true });
    const arms: { docs: number; cold: Round[]; warm: Round[] } = { docs, cold: [], warm: [] };
    for (let r = 0; r < ROUNDS; r++) {
      arms.cold.push(await round(dir, ['--warmup-lengths', 'none'], body));
      arms.warm.push(await round(dir, [], body));
      console.error(
        `  ${docs} text(s), round ${r + 1}: cold first ${arms.cold[r].firstMs.toFixed(1)} ms, warmed-up first ${arms.warm[r].firstMs.toFixed(1)} ms`,
      );
    }
    results.push(arms);
  }
  const load1 = loadavg()[0];
  console.log(`\ncappy serve, first request after /health is ready; preset ${preset}, random weights; medians of ${ROUNDS} fresh starts`);
  console.log('request          arm                spawn->ready ms  1st ms  2nd ms  3rd ms  1st/3rd');
  for (const { docs, cold, warm } of results) {
    for (const [name, rs] of [
      ['warm-up off', cold],
      ['default warm-up', warm],
    ] as const) {
      const s = summary(rs);
      console.log(
        `${`rerank ${docs} text(s)`.padEnd(16)} ${name.padEnd(17)}  ${s.readyMs.toFixed(0).padStart(15)}  ${s.firstMs.toFixed(1).padStart(6)}  ${s.secondMs.toFixed(1).padStart(6)}  ${s.thirdMs.toFixed(1).padStart(6)}  ${(s.firstMs / s.thirdMs).toFixed(2).padStart(6)}x`,
      );
    }
  }
  console.log(
    `load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end (${availableParallelism()} cores, shared with other work)`,
  );
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `serve-cold-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ preset, forged: true, rounds: ROUNDS, loadavg: [load0, load1], results }, null, 2));
  console.log(`wrote ${file}`);
}

await main();
