// `cappy pull OWNER/NAME`: download a checkpoint from the HF hub (resumable,
// checksummed, HF_TOKEN-aware) into the cappy cache and convert it, so
// `Scorer.load('OWNER/NAME')` finds it.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { pullModel } from '../../hub/pull.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { PULL_OPTIONS } from '../../options/commands.js';
import { resolveOptions } from '../../options/spec.js';

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function registerPull(program: Command): void {
  const cmd = program
    .command('pull')
    .description('download a model from the Hugging Face hub into the cappy cache and convert it (e.g. btan2/cappy-large)')
    .argument('<repo>', 'hub repository id, owner/name');
  addOptions(cmd, PULL_OPTIONS);
  cmd.action(async (repo: string) => {
    const opts = resolveOptions(PULL_OPTIONS, readOptions(cmd, PULL_OPTIONS));
    const log = (m: string) => process.stderr.write(`cappy pull: ${m}\n`);
    const tty = process.stderr.isTTY;
    let bar: cliProgress.SingleBar | undefined;
    const res = await pullModel(repo, {
      revision: opts.revision,
      cache: opts.cache,
      onMessage: log,
      onFileStart: (file, size) => {
        if (!tty) {
          log(`downloading ${file}${size !== undefined ? ` (${mb(size)})` : ''}`);
          return;
        }
        bar = new cliProgress.SingleBar(
          {
            format: ` ${file.padEnd(24)} {bar} {percentage}% | {done} / {size}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(size ?? 1, 0, { done: mb(0), size: size !== undefined ? mb(size) : '?' });
      },
      onFileProgress: (_file, done, total) => bar?.update(total !== undefined ? done : 0, { done: mb(done) }),
      onFileDone: (file, fetched, cached) => {
        bar?.stop();
        bar = undefined;
        if (cached) log(`${file}: already in the cache`);
        else if (!tty) log(`${file}: ${mb(fetched)} fetched, checksum ok`);
      },
    });
    log(`${res.repo}@${res.commit.slice(0, 12)} is ready in ${res.modelDir}`);
    process.stdout.write(`${res.modelDir}\n`);
  });
}
