// Timing through the `benchmark` package (Benchmark.js), for async work:
// each sample is one full pass over the corpus, so the statistics are over
// whole-corpus passes, the number a user cares about.
import { createRequire } from 'node:module';

interface BenchmarkStats {
  mean: number; // seconds per pass
  rme: number; // relative margin of error, percent
  sample: number[];
}
interface BenchmarkInstance {
  stats: BenchmarkStats;
  error?: unknown;
  run(): void;
  on(event: 'complete' | 'error', fn: () => void): void;
}
interface BenchmarkCtor {
  new (name: string, options: Record<string, unknown>): BenchmarkInstance;
}

const require = createRequire(import.meta.url);
const Benchmark = require('benchmark') as BenchmarkCtor;

export interface Measured {
  name: string;
  mbPerSec: number;
  secondsPerPass: number;
  rme: number;
  samples: number;
}

/** Runs `pass` (one pass over `bytes` bytes) until `minSamples` samples and `maxTime` seconds. */
export function measure(name: string, bytes: number, pass: () => Promise<unknown>, minSamples = 3, maxTime = 1): Promise<Measured> {
  return new Promise((resolvePromise, reject) => {
    const bench = new Benchmark(name, {
      defer: true,
      async: false,
      initCount: 1,
      minSamples,
      maxTime,
      fn(deferred: { resolve(): void }) {
        pass().then(
          () => deferred.resolve(),
          (e: unknown) => {
            reject(e);
          },
        );
      },
    });
    bench.on('complete', () => {
      if (bench.error) return reject(bench.error);
      const { mean, rme, sample } = bench.stats;
      resolvePromise({ name, mbPerSec: bytes / 1e6 / mean, secondsPerPass: mean, rme, samples: sample.length });
    });
    bench.run();
  });
}
