// `cappy convert DIR --out OUT`: an HF checkpoint folder (safetensors,
// pytorch_model.bin or flax_model.msgpack) into an engine model folder, in
// TypeScript, with no Python.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { convertModelDir } from '../../convert/convert.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { CONVERT_OPTIONS } from '../../options/commands.js';
import { resolveOptions } from '../../options/spec.js';

export function registerConvert(program: Command): void {
  const cmd = program
    .command('convert')
    .description(
      'convert an HF RoBERTa or BERT sequence-classification checkpoint folder (one label) into onnx/model.onnx + tokenizer.json',
    )
    .argument('<dir>', 'HF model folder: config.json, tokenizer.json and model.safetensors, pytorch_model.bin or flax_model.msgpack');
  addOptions(cmd, CONVERT_OPTIONS, undefined, ['out']);
  cmd.action(async (dir: string) => {
    const opts = resolveOptions(CONVERT_OPTIONS, readOptions(cmd, CONVERT_OPTIONS));
    const log = (m: string) => process.stderr.write(`cappy convert: ${m}\n`);
    const started = Date.now();
    // Writing Cappy's 1.4 GB of weights takes a while; show it on a terminal.
    let bar: cliProgress.SingleBar | undefined;
    const res = await convertModelDir(dir, opts.out!, {
      dtype: opts.dtype,
      optimize: opts.optimize,
      prefer: opts.from,
      onMessage: log,
      onProgress: (done, total) => {
        if (!process.stderr.isTTY) return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: ' writing weights {bar} {percentage}%', stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, 0);
        }
        bar.setTotal(total); // each dtype's graph reports its own total
        bar.update(done);
      },
    });
    bar?.stop();
    const c = res.config;
    log(
      `wrote ${Object.values(res.onnxPaths).join(', ')} from ${res.format} (${c.numLayers} layers, hidden ${c.hiddenSize}) ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
}
