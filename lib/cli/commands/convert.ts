// `cappy convert DIR --out OUT`: an HF checkpoint folder (safetensors,
// pytorch_model.bin or flax_model.msgpack) into an engine model folder, in
// TypeScript, with no Python.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { convertModelDir, type ExportDType } from '../../convert/convert.js';

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert an HF RoBERTa or BERT sequence-classification checkpoint folder (one label) into onnx/model.onnx + tokenizer.json')
    .argument('<dir>', 'HF model folder: config.json, tokenizer.json and model.safetensors, pytorch_model.bin or flax_model.msgpack')
    .requiredOption('--out <dir>', 'output model folder')
    .option('--dtype <list>', 'graphs to write, comma-separated: fp32 (onnx/model.onnx), int8 (model_int8.onnx), fp16 (model_fp16.onnx)', 'fp32')
    .option('--optimize', 'emit ONNX Runtime fused ops where they pay')
    .option('--from <format>', 'read this weights format even if another is present: safetensors, pytorch or flax')
    .action(async (dir: string, opts: { out: string; dtype: string; optimize?: boolean; from?: string }) => {
      const log = (m: string) => process.stderr.write(`cappy convert: ${m}\n`);
      const started = Date.now();
      // Writing Cappy's 1.4 GB of weights takes a while; show it on a terminal.
      let bar: cliProgress.SingleBar | undefined;
      const res = await convertModelDir(dir, opts.out, {
        dtype: opts.dtype.split(',').map((d) => d.trim()) as ExportDType[],
        optimize: opts.optimize ?? false,
        prefer: opts.from as 'safetensors' | 'pytorch' | 'flax' | undefined,
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
