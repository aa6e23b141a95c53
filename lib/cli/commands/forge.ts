// `cappy forge`: writes a RoBERTa (or BERT cross-encoder) model folder with seeded random weights.
// What was written goes to stdout; progress goes to stderr (a bar on a
// terminal, a line per 10% otherwise, so logs of CI runs show it too).
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InvalidInputError } from '../../errors/index.js';
import { forgeModel, isPreset, PRESETS } from '../../forge/index.js';
import { isModelDType, MODEL_DTYPES } from '../../model/dtypes.js';

const MB = 1024 ** 2;

function progressReporter(preset: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: ` forging ${preset} {bar} {percentage}% | {value}/{total} MB`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        if (!started) bar.start(Math.ceil(total / MB), 0);
        started = true;
        bar.update(Math.round(done / MB));
      },
      stop: () => started && bar.stop(),
    };
  }
  let next = 0;
  return {
    update: (done, total) => {
      const pct = Math.floor((done / total) * 100);
      if (pct < next) return;
      next = Math.floor(pct / 10) * 10 + 10;
      process.stderr.write(`forging ${preset}: ${pct}% (${(done / MB).toFixed(0)} of ${(total / MB).toFixed(0)} MB of weights)\n`);
    },
    stop: () => undefined,
  };
}

export function registerForge(program: Command): void {
  program
    .command('forge')
    .description("write Cappy's RoBERTa graph (or, with a bert-* preset, a BERT cross-encoder's) with seeded RANDOM weights (for tests and benchmarks) in the HF folder layout")
    .requiredOption('--out <dir>', 'output folder')
    .option('--preset <name>', `size: ${Object.keys(PRESETS).join(', ')} (large is Cappy's shape)`, 'tiny')
    .option('--seed <n>', 'random seed, an integer from 0 to 2^32-1', '0')
    .option('--external-data', 'keep weights in onnx/model.onnx_data (automatic past 1 GiB)')
    .option('--dtype <list>', `graphs to write from the same weights, comma-separated: ${MODEL_DTYPES.join(', ')}`, 'fp32')
    .action(async (opts: { out: string; preset: string; seed: string; externalData?: boolean; dtype: string }) => {
      if (!isPreset(opts.preset)) {
        throw new InvalidInputError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${opts.preset}`);
      }
      // Number('') is 0 and Number('1e3') is 1000: accept plain digits only.
      if (!/^\d+$/.test(opts.seed)) throw new InvalidInputError(`--seed must be a non-negative integer, got ${opts.seed}`);
      const seed = Number(opts.seed);
      const dtypes = opts.dtype.split(',').map((d) => d.trim());
      const bad = dtypes.find((d) => !isModelDType(d));
      if (bad !== undefined) throw new InvalidInputError(`--dtype must be a comma-separated list of ${MODEL_DTYPES.join(', ')}, got ${bad}`);
      const progress = progressReporter(opts.preset);
      const started = performance.now();
      let result;
      try {
        result = await forgeModel({
          preset: opts.preset,
          seed,
          outDir: opts.out,
          externalData: opts.externalData,
          dtypes: dtypes.filter(isModelDType),
          onProgress: (_stage, done, total) => progress.update(done, total),
        });
      } finally {
        progress.stop();
      }
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `forged ${opts.preset} (seed ${seed}, ${(result.parameters / 1e6).toFixed(1)}M parameters, RANDOM weights, not Cappy) in ${secs} s (${dtypes.join(', ')})\n` +
          result.files.map((f) => `  ${opts.out}/${f}\n`).join(''),
      );
    });
}
