// `cappy forge`: writes a RoBERTa model folder with seeded random weights.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InvalidInputError } from '../../errors/index.js';
import { forgeModel, isPreset, PRESETS } from '../../forge/index.js';

export function registerForge(program: Command): void {
  program
    .command('forge')
    .description("write Cappy's RoBERTa graph with seeded RANDOM weights (for tests and benchmarks) in the HF folder layout")
    .requiredOption('--out <dir>', 'output folder')
    .option('--preset <name>', `size: ${Object.keys(PRESETS).join(', ')} (large is Cappy's shape)`, 'tiny')
    .option('--seed <n>', 'random seed', '0')
    .option('--external-data', 'keep weights in onnx/model.onnx_data (automatic past 1 GiB)')
    .action(async (opts: { out: string; preset: string; seed: string; externalData?: boolean }) => {
      if (!isPreset(opts.preset)) {
        throw new InvalidInputError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${opts.preset}`);
      }
      const seed = Number(opts.seed);
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: ' {stage} {bar} {percentage}%', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
        : undefined;
      let stage = '';
      const started = performance.now();
      const result = await forgeModel({
        preset: opts.preset,
        seed,
        outDir: opts.out,
        externalData: opts.externalData,
        onProgress: (s, done, total) => {
          if (!bar) return;
          if (s !== stage) {
            if (stage) bar.stop();
            stage = s;
            bar.start(total, 0, { stage: s.padEnd(7) });
          }
          bar.update(done);
        },
      });
      bar?.stop();
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `forged ${opts.preset} (seed ${seed}, ${(result.parameters / 1e6).toFixed(1)}M parameters, RANDOM weights) in ${secs} s\n` +
          result.files.map((f) => `  ${opts.out}/${f}\n`).join(''),
      );
    });
}
