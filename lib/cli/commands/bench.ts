// `cappy bench`: throughput and latency of this machine with a model, under a
// chosen length mix and concurrency. Scores are not checked here (the test
// suites do that); the numbers are about speed, padding and responsiveness.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { runLoad, type LoadReport } from '../../bench/load.js';
import { drawLengths, parseLengthMix, seededRandom, synthesizePairs } from '../../bench/workload.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { BENCH_OPTIONS } from '../../options/commands.js';
import { resolveOptions } from '../../options/spec.js';
import { Scorer } from '../../scorer/scorer.js';
import { addModelOptions, scorerOptionsOf, singleModelOf } from '../options.js';

export function registerBench(program: Command): void {
  const cmd = program.command('bench').description('measure pairs/s, tokens/s, latency, padding and event-loop delay with a model');
  addOptions(cmd, BENCH_OPTIONS);
  addModelOptions(cmd).action(async () => {
    const opts = resolveOptions(BENCH_OPTIONS, readOptions(cmd, BENCH_OPTIONS));
    const { pairs: pairsN, concurrency, batch: pairsPerCall, warmup: warmupN, seed } = opts;
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
  out(
    'settings',
    `EP ${s.executionProvider}, ORT ${s.ort}, intra-op threads ${s.intraOpThreads}, tokenizer threads ${s.tokenizerThreads}, ${s.cores} cores, planner ${s.planner}`,
  );
  out('pairs/s', r.pairsPerSec.toFixed(1));
  out('tokens/s', r.tokensPerSec.toFixed(0));
  out('latency ms', `p50 ${r.latencyMs.p50.toFixed(2)}, p99 ${r.latencyMs.p99.toFixed(2)}, max ${r.latencyMs.max.toFixed(2)}`);
  out('pad fraction', `${(100 * r.padFraction).toFixed(2)}%`);
  out('event-loop delay ms', `p50 ${r.eventLoopDelayMs.p50.toFixed(2)}, p99 ${r.eventLoopDelayMs.p99.toFixed(2)}`);
  out('native calls', `${r.nativeCalls} (${r.batches} ORT batches) for ${r.calls} calls`);
  out('elapsed s', r.seconds.toFixed(2));
}
