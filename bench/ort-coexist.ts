// What living beside onnxruntime-node costs, per way of loading our ORT
// (CAPPY_ORT_LOAD, see lib/runtime/ort-load.ts): Scorer.load time and
// resident memory, alone and with onnxruntime-node loaded before or after us,
// every case in a fresh process, rounds interleaved so load on a shared box
// hits every arm alike. Each process also checks both runtimes' scores stay
// the same over interleaved calls (ok: false otherwise, or the crash).
//
//   npx tsx bench/ort-coexist.ts [--rounds 3] [--preset tiny]
//
// Needs the built package (npm run build). Load times are ratios against the
// 'plain' arm alone (the old way, no isolation) measured in the same run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { forgedBenchModel } from './support/forged-model.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, preset: { type: 'string', default: 'tiny' } },
});
const root = resolve(import.meta.dirname, '..');
const ortNodeLib = join(
  dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
  'bin',
  'napi-v6',
  'linux',
  'x64',
  'libonnxruntime.so.1',
);

// One process: `order` is alone | ort-first | cappy-first | ort-alone.
const CHILD = `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const [dir, order] = process.argv.slice(-2);
const out = { order };
let ort, session;
const ids = [0n, 713n, 16n, 10n, 1296n, 2n];
async function ortLoad() {
  const t = performance.now();
  ort = require('onnxruntime-node');
  session = await ort.InferenceSession.create(dir + '/onnx/model.onnx', { intraOpNumThreads: 1 });
  out.ortNodeLoadMs = performance.now() - t;
}
async function ortScore() {
  const n = ids.length;
  const r = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
  });
  return r.logits.data[0];
}
let scorer;
async function cappyLoad() {
  const t = performance.now();
  const { Scorer } = await import('cappy-engine');
  const t1 = performance.now();
  scorer = await Scorer.load(dir, { intraOpThreads: 1 });
  out.cappyImportMs = t1 - t;
  out.cappyLoadMs = performance.now() - t1;
  out.ort = scorer.info.ort;
}
const cappyScore = () => scorer.score('a question', 'an answer');
try {
  if (order === 'ort-first' || order === 'ort-alone') await ortLoad();
  const ortFirst = session ? await ortScore() : undefined;
  if (order !== 'ort-alone') await cappyLoad();
  if (order === 'cappy-first') await ortLoad();
  const first = { ort: session ? ortFirst ?? await ortScore() : undefined, cappy: scorer ? await cappyScore() : undefined };
  let same = true;
  for (let i = 0; i < 5; i++) {
    if (session) same &&= (await ortScore()) === first.ort;
    if (scorer) same &&= (await cappyScore()) === first.cappy;
  }
  out.ok = same;
  out.scores = first;
} catch (e) {
  out.ok = false;
  out.error = String(e.message).split('\\n')[0];
}
if (scorer) {
  // A second load in the same process finds ORT loaded: the difference is what loading ORT itself costs.
  const { Scorer } = await import('cappy-engine');
  const t = performance.now();
  const again = await Scorer.load(dir, { intraOpThreads: 1 });
  out.cappyReloadMs = performance.now() - t;
  await again.dispose();
}
const smaps = Object.fromEntries(
  (await import('node:fs')).readFileSync('/proc/self/smaps_rollup', 'utf8').split('\\n')
    .map((l) => l.match(/^(\\w+):\\s+(\\d+) kB/)).filter(Boolean).map((m) => [m[1], Number(m[2]) / 1024]),
);
out.rssMb = smaps.Rss;
out.privateDirtyMb = smaps.Private_Dirty;
out.maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
`;

interface Arm {
  name: string;
  env: Record<string, string | undefined>;
  /** A fresh, empty CAPPY_HOME per process: the copy is made during load. */
  cold?: boolean;
}

const ARMS: Arm[] = [
  { name: 'plain', env: { CAPPY_ORT_LOAD: 'plain' } },
  { name: 'copy', env: { CAPPY_ORT_LOAD: 'copy' } },
  { name: 'copy (first use: makes the copy)', env: { CAPPY_ORT_LOAD: 'copy' }, cold: true },
  { name: 'reuse', env: { CAPPY_ORT_LOAD: 'reuse' } },
  { name: "shared (onnxruntime-node's library, plain)", env: { CAPPY_ORT_LOAD: 'plain', CAPPY_ORT_LIB: ortNodeLib } },
];
const ORDERS = ['alone', 'ort-first', 'cappy-first'] as const;

function runChild(dir: string, order: string, env: Record<string, string | undefined>) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, dir, order], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { order, ok: false, error: `exit ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` };
  }
}

/** Median of the finite values (a crashed process reports none), NaN when there are none. */
const median = (values: (number | undefined)[]) => {
  const x = values.filter((v): v is number => Number.isFinite(v)).sort((a, b) => a - b);
  return x.length ? x[Math.floor(x.length / 2)] : NaN;
};
const round1 = (x: number) => Number(x.toFixed(1));

async function main(): Promise<void> {
  const dir = await forgedBenchModel(args.preset as 'tiny');
  const home = mkdtempSync(join(tmpdir(), 'cappy-coexist-'));
  const load0 = loadavg()[0];
  const rows = new Map<string, ReturnType<typeof runChild>[]>();
  runChild(dir, 'alone', { CAPPY_HOME: home, CAPPY_ORT_LOAD: 'copy' }); // warm the page cache and the copy
  for (let round = 0; round < Number(args.rounds); round++) {
    const key = 'onnxruntime-node alone';
    rows.set(key, [...(rows.get(key) ?? []), runChild(dir, 'ort-alone', {})]);
    for (const arm of ARMS) {
      for (const order of ORDERS) {
        const cold = arm.cold ? mkdtempSync(join(tmpdir(), 'cappy-coexist-cold-')) : undefined;
        const r = runChild(dir, order, { CAPPY_HOME: cold ?? home, ...arm.env });
        if (cold) rmSync(cold, { recursive: true, force: true });
        const k = `${arm.name} | ${order}`;
        rows.set(k, [...(rows.get(k) ?? []), r]);
      }
    }
  }
  // The copy itself, made in this process: read, rename, write, link.
  const { isolatedOrtCopy } = await import('../lib/runtime/ort-load.js');
  const { resolveOrtLibrary } = await import('../lib/runtime/ort-library.js');
  const copyMs: number[] = [];
  for (let i = 0; i < Number(args.rounds); i++) {
    const fresh = mkdtempSync(join(tmpdir(), 'cappy-coexist-copy-'));
    const t = performance.now();
    isolatedOrtCopy(resolveOrtLibrary(), { ...process.env, CAPPY_HOME: fresh });
    copyMs.push(performance.now() - t);
    rmSync(fresh, { recursive: true, force: true });
  }
  console.log(`making the isolated copy: median ${median(copyMs).toFixed(1)} ms (${copyMs.map((x) => x.toFixed(0)).join(', ')})`);
  rmSync(home, { recursive: true, force: true });
  const anchor = median(rows.get('plain | alone')!.map((r) => r.cappyLoadMs));
  const summary = [...rows].map(([k, rs]) => {
    const ok = rs.every((r) => r.ok);
    const load = median(rs.map((r) => r.cappyLoadMs));
    return {
      arm: k,
      ok: ok ? 'yes' : `NO: ${(rs.find((r) => !r.ok)?.error ?? 'scores changed').slice(0, 60)}`,
      cappyLoadMs: round1(load),
      vsPlainAlone: Number((load / anchor).toFixed(2)),
      ortInitMs: round1(median(rs.map((r) => r.cappyLoadMs - r.cappyReloadMs))),
      ortNodeLoadMs: round1(median(rs.map((r) => r.ortNodeLoadMs))),
      rssMb: round1(median(rs.map((r) => r.rssMb))),
      privateDirtyMb: round1(median(rs.map((r) => r.privateDirtyMb))),
      maxRssMb: round1(median(rs.map((r) => r.maxRssMb))),
      ortRunning: rs[0]?.ort ? `${rs[0].ort.version} ${rs[0].ort.loadedPath.split('/').pop()}` : '',
    };
  });
  console.table(summary);
  const load1 = loadavg()[0];
  console.log(`load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}; ${args.rounds} rounds, medians; preset ${args.preset}`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const out = join(root, 'bench', 'results', 'ort-coexist.json');
  writeFileSync(
    out,
    JSON.stringify({ preset: args.preset, rounds: Number(args.rounds), loadavg: [load0, load1], copyMs, summary }, null, 2),
  );
  console.log(`wrote ${out}`);
}

await main();
