// HTTP overhead of `cappy serve`: the same requests scored in process
// (concurrent scoreBatch calls) and through the server (autocannon against
// `cappy serve` in a child process, POST /score), at concurrency 1, 16 and 64,
// in one run. The ratio HTTP / in-process is the result; absolute numbers on a
// shared 2-core box mean little, and on 2 cores autocannon's own CPU use is
// part of what HTTP costs here.
//
//   npx tsx bench/serve-http.ts [--preset small] [--requests 256] [--pairs-per-request 8] [--concurrency 1,16,64]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Scorer } from '../lib/index.js';
import { textPairs } from './support/text-pairs.js';
import { forgedBenchModel } from './support/forged-model.js';
import { percentile as pct } from '../lib/bench/load.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    requests: { type: 'string', default: '256' },
    'pairs-per-request': { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '1,16,64' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const REQUESTS = Number(args.requests);
const PER_REQUEST = Number(args['pairs-per-request']);
const LEVELS = String(args.concurrency).split(',').map(Number);
const root = resolve(import.meta.dirname, '..');

interface Arm {
  pairsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** `concurrency` workers take requests off one counter until all are done, as clients would. */
async function inProcess(scorer: Scorer, bodies: [string, string][][], concurrency: number): Promise<Arm> {
  let next = 0;
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        const t = performance.now();
        await scorer.scoreBatch(bodies[i % bodies.length]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { pairsPerSec: (REQUESTS * PER_REQUEST) / seconds, p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99), errors: 0 };
}

async function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'cappy.js'), 'serve', '--model', dir, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((ok, fail) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`cappy serve exited ${code}: ${err}`)));
  });
  return { child, url };
}

async function overHttp(url: string, bodies: string[], concurrency: number): Promise<Arm> {
  let k = 0;
  const result = await autocannon({
    url: `${url}/score`,
    connections: concurrency,
    amount: REQUESTS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Each request carries the next body, so the server sees the same mix as the in-process arm.
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[k++ % bodies.length] }) }],
    timeout: 120,
  });
  const seconds = result.duration;
  return {
    pairsPerSec: (result['2xx'] * PER_REQUEST) / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

async function main(): Promise<void> {
  const dir = await forgedBenchModel(preset);
  const pairs = textPairs(REQUESTS * PER_REQUEST);
  const bodies = Array.from({ length: REQUESTS }, (_, i) => pairs.slice(i * PER_REQUEST, (i + 1) * PER_REQUEST));
  console.error(`preset ${preset} (random weights), ${REQUESTS} requests × ${PER_REQUEST} pairs, ${availableParallelism()} cores`);

  const local: Record<number, Arm> = {};
  const scorer = await Scorer.load(dir);
  await inProcess(scorer, bodies, 4); // warm-up
  for (const c of LEVELS) {
    local[c] = await inProcess(scorer, bodies, c);
    console.error(`  in-process c=${c}: ${local[c].pairsPerSec.toFixed(1)} pairs/s`);
  }
  await scorer.dispose(); // the server gets the cores to itself

  const remote: Record<number, Arm> = {};
  const { child, url } = await startServer(dir);
  try {
    const json = bodies.map((b) => JSON.stringify({ pairs: b }));
    await overHttp(url, json, 4); // warm-up
    for (const c of LEVELS) {
      remote[c] = await overHttp(url, json, c);
      console.error(`  http c=${c}: ${remote[c].pairsPerSec.toFixed(1)} pairs/s, ${remote[c].errors} errors`);
    }
  } finally {
    child.kill('SIGTERM');
  }

  console.log(`\nHTTP (cappy serve, POST /score) vs in-process scoreBatch; preset ${preset}, random weights`);
  console.log('conc  in-process pairs/s  http pairs/s  ratio   http p50/p99 ms   in-proc p50/p99 ms  errors');
  for (const c of LEVELS) {
    const l = local[c];
    const r = remote[c];
    console.log(
      `${String(c).padStart(4)}  ${l.pairsPerSec.toFixed(1).padStart(18)}  ${r.pairsPerSec.toFixed(1).padStart(12)}  ` +
        `${(r.pairsPerSec / l.pairsPerSec).toFixed(2).padStart(5)}  ${`${r.p50Ms.toFixed(0)}/${r.p99Ms.toFixed(0)}`.padStart(16)}  ` +
        `${`${l.p50Ms.toFixed(0)}/${l.p99Ms.toFixed(0)}`.padStart(18)}  ${r.errors}`,
    );
  }
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `serve-http-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ preset, forged: true, requests: REQUESTS, pairsPerRequest: PER_REQUEST, inProcess: local, http: remote }, null, 2));
  console.log(`\nwrote ${file}`);
}

await main();
