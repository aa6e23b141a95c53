// `cappy bench`: throughput and latency of this machine with a model, under a
// chosen length mix and concurrency. Scores are not checked here (the test
// suites do that); the numbers are about speed, padding and responsiveness.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { runLoad, type LoadReport } from '../../bench/load.js';
import { drawLengths, parseLengthMix, seededRandom, synthesizePairs } from '../../bench/workload.js';
import { parseInteger } from '../../options/spec.js';
import { Scorer } from '../../scorer/scorer.js';
import { addModelOptions, scorerOptionsOf, singleModelOf } from '../options.js';

interface BenchOpts {
  lengths: string;
  pairs: string;
  concurrency: string;
  batch: string;
  warmup: string;
  seed: string;
  json?: boolean;
}

const int = (name: string, text: string, min: number) => parseInteger(`--${name}`, text, min);

export function registerBench(program: Command): void {
  const cmd = program
    .command('bench')
    .description('measure pairs/s, tokens/s, latency, padding and event-loop delay with a model')
    .option('--lengths <mix>', "token lengths per pair: 'lognormal' (8..512, median 96) or 'fixed:N'", 'lognormal')
    .option('--pairs <n>', 'pairs to score (after warm-up)', '2000')
    .option('--concurrency <c>', 'clients calling at once', '64')
    .option('--batch <n>', 'pairs per call (1: score(), more: scoreBatch())', '1')
    .option('--warmup <n>', 'pairs scored first and not counted', '64')
    .option('--seed <n>', 'workload seed', '1')
    .option('--json', 'print one JSON object instead of a table');
  addModelOptions(cmd).action(async (opts: BenchOpts) => {
    const pairsN = int('pairs', opts.pairs, 1);
    const concurrency = int('concurrency', opts.concurrency, 1);
    const pairsPerCall = int('batch', opts.batch, 1);
    const warmupN = int('warmup', opts.warmup, 0);
    const seed = int('seed', opts.seed, 0);
    const scorer = await Scorer.load(singleModelOf(cmd), scorerOptionsOf(cmd));
    try {
      const mix = parseLengthMix(opts.lengths, scorer.info.maxLength);
      const lengths = drawLengths(mix, warmupN + pairsN, seededRandom(seed));
      const all = synthesizePairs(scorer.tokenizer, lengths, { seed });
      if (warmupN > 0) await runLoad(scorer, all.slice(0, warmupN), { concurrency, pairsPerCall });
      const report = await runLoad(scorer, all.slice(warmupN), { concurrency, pairsPerCall });
      const o = scorer.info.options;
      const settings = {
        executionProvider: scorer.info.executionProvider,
        intraOpThreads: o.intraOpThreads,
        tokenizerThreads: o.tokenizerThreads,
        cores: availableParallelism(),
        planner: o.planner,
        maxBatchTokens: o.maxBatchTokens,
        maxBatchSize: o.maxBatchSize,
        maxWaitMs: o.maxWaitMs,
        ort: scorer.info.ort.version,
      };
      const workload = { lengths: opts.lengths, pairs: pairsN, warmup: warmupN, concurrency, pairsPerCall, seed };
      const model = { dir: scorer.info.model.dir, description: scorer.info.model.description, forged: Boolean(scorer.info.model.forged) };
      if (opts.json) {
        process.stdout.write(JSON.stringify({ model, workload, settings, ...report }) + '\n');
        return;
      }
      printTable(model.description, workload, settings, report);
    } finally {
      await scorer.dispose();
    }
  });
}

function printTable(
  description: string,
  w: { lengths: string; pairs: number; concurrency: number; pairsPerCall: number },
  s: { executionProvider: string; intraOpThreads: number; tokenizerThreads: number; cores: number; planner: string; ort: string },
  r: LoadReport,
): void {
  const out = (k: string, v: string) => process.stdout.write(`${k.padEnd(20)} ${v}\n`);
  out('model', description);
  out('workload', `${w.pairs} pairs, lengths ${w.lengths}, concurrency ${w.concurrency}, ${w.pairsPerCall} pair(s) per call`);
  out('settings', `EP ${s.executionProvider}, ORT ${s.ort}, intra-op threads ${s.intraOpThreads}, tokenizer threads ${s.tokenizerThreads}, ${s.cores} cores, planner ${s.planner}`);
  out('pairs/s', r.pairsPerSec.toFixed(1));
  out('tokens/s', r.tokensPerSec.toFixed(0));
  out('latency ms', `p50 ${r.latencyMs.p50.toFixed(2)}, p99 ${r.latencyMs.p99.toFixed(2)}, max ${r.latencyMs.max.toFixed(2)}`);
  out('pad fraction', `${(100 * r.padFraction).toFixed(2)}%`);
  out('event-loop delay ms', `p50 ${r.eventLoopDelayMs.p50.toFixed(2)}, p99 ${r.eventLoopDelayMs.p99.toFixed(2)}`);
  out('native calls', `${r.nativeCalls} (${r.batches} ORT batches) for ${r.calls} calls`);
  out('elapsed s', r.seconds.toFixed(2));
}
