// What boosting costs: the latency `cappy serve --boost-upstream` adds at
// N = 4 over calling the upstream directly, and how much of it is scoring.
// The upstream is a fake OpenAI-compatible server on loopback that answers
// after a fixed delay (standing in for generation, the same for any n, as a
// batched LLM server roughly is) with candidates of real text; the scorer is
// a forged model (random weights: the picks mean nothing, the costs are real).
// Requests go one at a time, direct and boosted alternating.
//
//   npx tsx bench/serve-boost.ts [--preset small] [--requests 20] [--upstream-ms 300] [--n 4]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeUpstream } from '../support/fake-openai.js';
import { forgedBenchModel } from './support/forged-model.js';
import { startServe, stopServe } from './support/serve.js';
import { paragraphs } from './support/text-pairs.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    requests: { type: 'string', default: '20' },
    'upstream-ms': { type: 'string', default: '300' },
    n: { type: 'string', default: '4' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const REQUESTS = Number(args.requests);
const N = Number(args.n);
const root = resolve(import.meta.dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Arm {
  directMs: number;
  boostedMs: number;
  addedMs: number;
  scoringMs: number;
  upstreamSeenMs: number;
  scoringShare: number;
}

async function main(): Promise<void> {
  const dir = await forgedBenchModel(preset);
  const paras = paragraphs().filter((p) => p.length > 300 && p.length < 1500);
  const up = await startFakeUpstream();
  up.delayMs = Number(args['upstream-ms']);
  up.text = (k, r) => paras[(r * 13 + k * 7) % paras.length];
  const s = await startServe(['--model', dir, '--boost-upstream', up.url, '--boost-n', String(N)]);
  const load0 = loadavg()[0];
  console.error(
    `preset ${preset} (random weights), N = ${N}, upstream delay ${up.delayMs} ms, ${REQUESTS} requests per arm, ${availableParallelism()} cores, load ${load0.toFixed(2)}`,
  );
  const ask = async (base: string, body: object) => {
    const t0 = performance.now();
    const r = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await r.json()) as { cappy_boost?: { scoring_ms: number; upstream_ms: number } };
    if (r.status !== 200) throw new Error(`answered ${r.status}: ${JSON.stringify(json)}`);
    return { ms: performance.now() - t0, ext: json.cappy_boost };
  };
  const arms: Record<string, Arm> = {};
  try {
    for (const ignoresN of [false, true]) {
      up.ignoresN = ignoresN;
      const direct: number[] = [];
      const boosted: number[] = [];
      const scoring: number[] = [];
      const seen: number[] = [];
      for (let i = 0; i < REQUESTS + 2; i++) {
        const body = {
          model: 'fake-llm',
          messages: [{ role: 'user', content: `Question ${i}: ${paras[i % paras.length].slice(0, 200)}` }],
        };
        const d = await ask(up.url, body);
        const b = await ask(`${s.url}/v1`, body);
        if (i < 2) continue; // warm both paths
        direct.push(d.ms);
        boosted.push(b.ms);
        scoring.push(b.ext!.scoring_ms);
        seen.push(b.ext!.upstream_ms);
      }
      const name = ignoresN ? `upstream ignores n (${N} parallel requests)` : `upstream honours n (one request, n = ${N})`;
      const added = median(boosted) - median(direct);
      arms[name] = {
        directMs: median(direct),
        boostedMs: median(boosted),
        addedMs: added,
        scoringMs: median(scoring),
        upstreamSeenMs: median(seen),
        scoringShare: median(scoring) / added,
      };
    }
  } finally {
    await stopServe(s);
    await up.close();
  }
  const load1 = loadavg()[0];
  console.log(`\nboosting overhead, N = ${N}; preset ${preset}, random weights; medians of ${REQUESTS} requests`);
  console.log('arm                                        direct ms  boosted ms  added ms  scoring ms  scoring share');
  for (const [name, a] of Object.entries(arms)) {
    console.log(
      `${name.padEnd(42)} ${a.directMs.toFixed(0).padStart(9)}  ${a.boostedMs.toFixed(0).padStart(10)}  ${a.addedMs.toFixed(0).padStart(8)}  ${a.scoringMs.toFixed(0).padStart(10)}  ${(100 * a.scoringShare).toFixed(0).padStart(12)}%`,
    );
  }
  console.log(
    `load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end (${availableParallelism()} cores, shared with other work)`,
  );
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `serve-boost-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { preset, forged: true, n: N, upstreamDelayMs: Number(args['upstream-ms']), requests: REQUESTS, loadavg: [load0, load1], arms },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
}

await main();
