// `cappy forge`: writes a RoBERTa (or BERT cross-encoder) model folder with seeded random weights.
// What was written goes to stdout; progress goes to stderr (a bar on a
// terminal, a line per 10% otherwise, so logs of CI runs show it too).
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { forgeModel } from '../../forge/index.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { FORGE_OPTIONS } from '../../options/commands.js';
import { resolveOptions } from '../../options/spec.js';

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
  const cmd = program
    .command('forge')
    .description(
      "write Cappy's RoBERTa graph (or, with a bert-* preset, a BERT cross-encoder's) with seeded RANDOM weights (for tests and benchmarks) in the HF folder layout",
    );
  addOptions(cmd, FORGE_OPTIONS, undefined, ['out']);
  cmd.action(async () => {
    const opts = resolveOptions(FORGE_OPTIONS, readOptions(cmd, FORGE_OPTIONS));
    const out = opts.out!; // required
    const progress = progressReporter(opts.preset);
    const started = performance.now();
    let result;
    try {
      result = await forgeModel({
        preset: opts.preset,
        seed: opts.seed,
        outDir: out,
        externalData: opts.externalData,
        dtypes: opts.dtype,
        onProgress: (_stage, done, total) => progress.update(done, total),
      });
    } finally {
      progress.stop();
    }
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `forged ${opts.preset} (seed ${opts.seed}, ${(result.parameters / 1e6).toFixed(1)}M parameters, RANDOM weights, not Cappy) in ${secs} s (${opts.dtype.join(', ')})\n` +
        result.files.map((f) => `  ${out}/${f}\n`).join(''),
    );
  });
}
