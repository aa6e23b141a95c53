// HTTP overhead of `cappy serve`: the same requests scored in process
// (concurrent scoreBatch calls) and through the server (as many kept-alive
// HTTP clients against `cappy serve` in a child process, POST /score: the same
// closed loop, so both arms count the same work), at concurrency 1, 16 and 64,
// in one run. Each arm runs for --seconds (default 10) in total, in --rounds
// slices that alternate with the other arm's (ABBA), so load from other work
// on a shared machine falls on both arms alike. The ratio HTTP / in-process
// is the result; absolute numbers on a shared 2-core box mean little.
// Reported beside it, to find where HTTP loses:
// - CPU: the load generator's own share (this process runs the clients) and
//   the server's, as shares of the machine's cores over the arm;
// - merging: mean pairs per native call, in process and in the server
//   (concurrent requests merge into shared native calls in both);
// - the HTTP stack alone: the same requests against a server whose scorer
//   answers at once (--null-server), i.e. the ceiling of Fastify, JSON and
//   the load generator on this machine.
//
//   npx tsx bench/serve-http.ts [--preset small] [--pairs-per-request 4] [--concurrency 1,16,64] [--seconds 10] [--rounds 5] [--null-server]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request as httpRequest } from 'node:http';
import { Scorer } from '../lib/index.js';
import { percentile as pct } from '../lib/bench/load.js';
import { forgedBenchModel } from './support/forged-model.js';
import { cpuSeconds, startServe, stopServe, type Served } from './support/serve.js';
import { textPairs } from './support/text-pairs.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    'pairs-per-request': { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '1,16,64' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    bodies: { type: 'string', default: '256' },
    'null-server': { type: 'boolean', default: false },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const PER_REQUEST = Number(args['pairs-per-request']);
const LEVELS = String(args.concurrency).split(',').map(Number);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const BODIES = Number(args.bodies);
const CORES = availableParallelism();
const root = resolve(import.meta.dirname, '..');

interface Arm {
  pairsPerSec: number;
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU used over the arm, as a share of all cores: the bench process (the load generator, or the whole in-process arm) and the server. */
  benchCpuShare: number;
  serverCpuShare?: number;
  /** Mean pairs per native call (micro-batching merges concurrent requests). */
  pairsPerNativeCall?: number;
}

/**
 * `concurrency` clients send requests back to back until the slice ends, then
 * wait for the ones in flight (both arms run this same closed loop, so they
 * count the same work). `send(i)` sends body i and resolves true on success.
 */
async function closedLoop(concurrency: number, seconds: number, send: (i: number) => Promise<boolean>) {
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        if (await send(next++).catch(() => false)) latencies.push(performance.now() - t);
        else errors += 1;
      }
    }),
  );
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    arm: {
      pairsPerSec: (latencies.length * PER_REQUEST) / wall,
      requests: latencies.length,
      seconds: wall,
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      errors,
      benchCpuShare: (cpu.user + cpu.system) / 1e6 / wall / CORES,
    },
    wall,
  };
}

async function inProcess(scorer: Scorer, bodies: [string, string][][], concurrency: number, seconds = SECONDS): Promise<Arm> {
  const before = scorer.stats();
  const { arm } = await closedLoop(concurrency, seconds, async (i) => (await scorer.scoreBatch(bodies[i % bodies.length]), true));
  const after = scorer.stats();
  return { ...arm, pairsPerNativeCall: (after.pairs - before.pairs) / Math.max(1, after.calls - before.calls) };
}

/** Slices of one arm added up: throughput and CPU over the total time; latency percentiles as the median of the slices'. */
function combine(slices: Arm[]): Arm {
  const seconds = slices.reduce((t, a) => t + a.seconds, 0);
  const requests = slices.reduce((t, a) => t + a.requests, 0);
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const weighted = (pick: (a: Arm) => number | undefined) =>
    slices.every((a) => pick(a) !== undefined) ? slices.reduce((t, a) => t + pick(a)! * a.seconds, 0) / seconds : undefined;
  return {
    pairsPerSec: (requests * PER_REQUEST) / seconds,
    requests,
    seconds,
    p50Ms: mid(slices.map((a) => a.p50Ms)),
    p99Ms: mid(slices.map((a) => a.p99Ms)),
    errors: slices.reduce((t, a) => t + a.errors, 0),
    benchCpuShare: weighted((a) => a.benchCpuShare)!,
    serverCpuShare: weighted((a) => a.serverCpuShare),
    pairsPerNativeCall: weighted((a) => a.pairsPerNativeCall),
  };
}

async function counters(url: string): Promise<{ calls: number; pairs: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
  return { calls: sum('cappy_native_calls_total'), pairs: sum('cappy_pairs_scored_total') };
}

/** The same closed loop over HTTP: each client on its own kept-alive connection. */
async function overHttp(server: { url: string; pid: number }, bodies: string[], concurrency: number, seconds = SECONDS): Promise<Arm> {
  const { hostname, port } = new URL(server.url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const send = (body: string) =>
    new Promise<boolean>((ok, fail) => {
      const req = httpRequest(
        {
          host: hostname,
          port,
          path: '/score',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => ok(res.statusCode === 200));
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  const before = await counters(server.url);
  const server0 = cpuSeconds(server.pid);
  const { arm, wall } = await closedLoop(concurrency, seconds, (i) => send(bodies[i % bodies.length]));
  const serverCpu = cpuSeconds(server.pid) - server0;
  agent.destroy();
  const after = await counters(server.url);
  return {
    ...arm,
    serverCpuShare: serverCpu / wall / CORES,
    pairsPerNativeCall: after.calls > before.calls ? (after.pairs - before.pairs) / (after.calls - before.calls) : undefined,
  };
}

/** A server whose scorer answers at once: what HTTP, JSON and the generator cost alone. */
async function startNullServer(): Promise<{ url: string; pid: number; stop: () => void }> {
  const entry = `
    const { createServer } = await import('./lib/server/index.ts');
    const stats = { calls: 0, pairs: 0, realTokens: 0, computedTokens: 0, padFraction: 0, batches: 0, tokenizeMs: 0, runMs: 0, queueMs: 0, queuedPairs: 0 };
    const scorer = {
      info: { model: { dir: '/null', description: 'answers 0.5 at once' }, executionProvider: 'none', maxLength: 512, truncation: 'longest_first',
        options: { maxBatchTokens: 16384, maxBatchSize: 64, maxQueuedPairs: 65536, maxConcurrentCalls: 2, tokenizerThreads: 1 } },
      async scoreBatch(pairs) { stats.calls++; stats.pairs += pairs.length; return new Float32Array(pairs.length).fill(0.5); },
      async *scoreStream() {},
      stats: () => ({ ...stats }),
    };
    const app = createServer(scorer);
    process.stderr.write('listening on ' + (await app.listen({ host: '127.0.0.1', port: 0 })) + '\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', entry], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((ok, fail) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`null server exited ${code}: ${err}`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

const f = (v: number | undefined, d = 1) => (v === undefined ? '-' : v.toFixed(d));

async function main(): Promise<void> {
  const dir = await forgedBenchModel(preset);
  const pairs = textPairs(BODIES * PER_REQUEST);
  const bodies = Array.from({ length: BODIES }, (_, i) => pairs.slice(i * PER_REQUEST, (i + 1) * PER_REQUEST));
  const load0 = loadavg()[0];
  console.error(
    `preset ${preset} (random weights), ${PER_REQUEST} pairs per request, ${SECONDS} s per arm, ${CORES} cores, load ${load0.toFixed(2)}`,
  );

  // Both sides loaded at once; each idles while the other's slice runs.
  const scorer = await Scorer.load(dir);
  for (const b of bodies.slice(0, 16)) await scorer.scoreBatch(b); // warm-up
  const json = bodies.map((b) => JSON.stringify({ pairs: b }));
  const local: Record<number, Arm> = {};
  const remote: Record<number, Arm> = {};
  let served: Served | undefined;
  try {
    served = await startServe(['--model', dir]);
    const server = { url: served.url, pid: served.child.pid! };
    await overHttp(server, json, 4, 2); // warm-up
    const slice = SECONDS / ROUNDS;
    for (const c of LEVELS) {
      const mine: Arm[] = [];
      const theirs: Arm[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // ABBA: in-process first in even rounds, HTTP first in odd ones.
        if (r % 2 === 0) {
          mine.push(await inProcess(scorer, bodies, c, slice));
          theirs.push(await overHttp(server, json, c, slice));
        } else {
          theirs.push(await overHttp(server, json, c, slice));
          mine.push(await inProcess(scorer, bodies, c, slice));
        }
      }
      local[c] = combine(mine);
      remote[c] = combine(theirs);
      console.error(
        `  c=${c}: in-process ${local[c].pairsPerSec.toFixed(1)} pairs/s, http ${remote[c].pairsPerSec.toFixed(1)} pairs/s (${remote[c].errors} errors), ratio ${(remote[c].pairsPerSec / local[c].pairsPerSec).toFixed(2)}`,
      );
    }
  } finally {
    if (served) await stopServe(served);
    await scorer.dispose();
  }

  const nullArms: Record<number, Arm> = {};
  if (args['null-server']) {
    const ns = await startNullServer();
    try {
      await overHttp(ns, json, 4, 2);
      for (const c of LEVELS) nullArms[c] = await overHttp(ns, json, c);
    } finally {
      ns.stop();
    }
  }
  const load1 = loadavg()[0];

  console.log(
    `\nHTTP (cappy serve, POST /score) vs in-process scoreBatch; preset ${preset}, random weights, ${PER_REQUEST} pairs/request, ${SECONDS} s per arm in ${ROUNDS} alternating slices`,
  );
  console.log(
    'conc  in-proc pairs/s  http pairs/s  ratio  http p50/p99 ms  in-proc p50/p99 ms  pairs/native call (in-proc, http)  CPU share: in-proc | generator, server  errors',
  );
  for (const c of LEVELS) {
    const l = local[c];
    const r = remote[c];
    console.log(
      `${String(c).padStart(4)}  ${f(l.pairsPerSec).padStart(15)}  ${f(r.pairsPerSec).padStart(12)}  ${(r.pairsPerSec / l.pairsPerSec).toFixed(2).padStart(5)}  ` +
        `${`${f(r.p50Ms, 0)}/${f(r.p99Ms, 0)}`.padStart(15)}  ${`${f(l.p50Ms, 0)}/${f(l.p99Ms, 0)}`.padStart(18)}  ` +
        `${`${f(l.pairsPerNativeCall)}, ${f(r.pairsPerNativeCall)}`.padStart(33)}  ` +
        `${`${(100 * l.benchCpuShare).toFixed(0)}% | ${(100 * r.benchCpuShare).toFixed(0)}%, ${(100 * (r.serverCpuShare ?? 0)).toFixed(0)}%`.padStart(35)}  ${r.errors}`,
    );
  }
  if (args['null-server']) {
    console.log('\nthe HTTP stack alone (a scorer that answers at once): requests/s, and CPU share of the generator and the server');
    for (const c of LEVELS) {
      const n = nullArms[c];
      console.log(
        `${String(c).padStart(4)}  ${(n.requests / n.seconds).toFixed(0).padStart(8)} requests/s  p50 ${f(n.p50Ms)} ms  generator ${(100 * n.benchCpuShare).toFixed(0)}%, server ${(100 * (n.serverCpuShare ?? 0)).toFixed(0)}%`,
      );
    }
  }
  console.log(
    `\nload average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end (${CORES} cores, shared with other work); CPU shares are of all ${CORES} cores`,
  );
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `serve-http-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        preset,
        forged: true,
        seconds: SECONDS,
        rounds: ROUNDS,
        pairsPerRequest: PER_REQUEST,
        cores: CORES,
        loadavg: [load0, load1],
        inProcess: local,
        http: remote,
        nullServer: nullArms,
      },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
}

await main();
