// `cappy adapt --model DIR --data train.jsonl --out DIR`: fine-tunes every
// weight of a cross-encoder on labelled pairs (lib/adapt, docs/adapt.md).
// `--tasks rows.jsonl` instead of --data runs the data step first (`cappy
// adapt data`, the paper's recipe) and keeps its pairs in --pairs.
// Progress goes to stderr (a bar on a terminal, plain lines otherwise); the
// result's summary to stdout. Ctrl-C or SIGTERM stops at the next micro-batch
// and writes a resumable checkpoint; a second signal quits at once (the last
// complete checkpoint stays: checkpoints are written whole or not at all).
import { CommanderError, Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import type { DevBestOfN } from '../../adapt/recipe/dev-set.js';
import { adapt, type AdaptEvent } from '../../adapt/train.js';
import { AbortError } from '../../errors/index.js';
import { ADAPT_OPTIONS } from '../../options/adapt.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { dataStepReporter, dataStepSummary } from './adapt-data.js';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString();
const x100 = (x: number) => (100 * x).toFixed(2);

/** Best-of-N Rouge-L (x100) before and after, on the same candidates, with the first candidate and the oracle. */
function bestOfNLine(before: DevBestOfN | undefined, after: DevBestOfN): string {
  return (
    `dev best-of-N Rouge-L F x100 (${after.rows} rows, ${after.candidates} candidates${after.stem ? ', stemmed' : ''}): ` +
    `first candidate ${x100(after.firstCandidate)}, base model ${before ? x100(before.selected) : 'n/a'}, adapted ${x100(after.selected)}, oracle ${x100(after.oracle)}`
  );
}

/** Step progress: a cli-progress bar on a terminal, a line per 1% of the steps (and the last) otherwise. */
function stepReporter(stream: NodeJS.WriteStream) {
  let bar: cliProgress.SingleBar | undefined;
  let every = 1;
  return {
    start(total: number, from: number) {
      if (stream.isTTY) {
        bar = new cliProgress.SingleBar(
          {
            format: ' adapt {bar} {value}/{total} steps | loss {loss} | lr {lr} | {rate} pairs/s | eta {eta_text}',
            stream,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, from, { loss: '-', lr: '-', rate: '-', eta_text: '?' });
      }
      every = Math.max(1, Math.ceil(total / 100));
    },
    step(e: Extract<AdaptEvent, { type: 'step' }>) {
      const fields = { loss: num(e.loss), lr: num(e.lr, 3), rate: e.pairsPerSecond.toFixed(1), eta_text: duration(e.etaSeconds) };
      if (bar) return bar.update(e.step, fields);
      if (e.step % every === 0 || e.step === e.totalSteps) {
        stream.write(
          `cappy adapt: step ${e.step}/${e.totalSteps} loss ${fields.loss} lr ${fields.lr} ${fields.rate} pairs/s eta ${fields.eta_text}\n`,
        );
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

export function registerAdapt(program: Command): Command {
  const cmd = program
    .command('adapt')
    .description(
      'fine-tune every weight of a cross-encoder on labelled pairs ({"instruction","response","label"} JSONL), or on task rows (--tasks: ' +
        "the paper's data step first, as `cappy adapt data`): the Cappy recipe, on ONNX Runtime",
    );
  addOptions(cmd, ADAPT_OPTIONS);
  cmd.addOption(new Option('--no-shuffle', 'keep file order, in fixed micro-batches of --batch-size (the same as --shuffle false)'));
  cmd.addOption(new Option('--no-stem', 'plain Rouge-L tokens for the --tasks labels and the --eval best-of-N (the same as --stem false)'));
  cmd.action(async () => {
    const given = readOptions(cmd, ADAPT_OPTIONS);
    const err = process.stderr;
    if (given.tasks !== undefined && !given.llm && !given.candidatesFromFile && given.resume === undefined) {
      err.write('cappy adapt: no candidates asked for (--llm or --candidates-from-file): the pairs are only gold answers and negatives\n');
    }
    const dataStep = dataStepReporter('cappy adapt', given.tasks ?? '');
    let before: DevBestOfN | undefined;
    const log = (m: string) => err.write(`cappy adapt: ${m}\n`);
    const controller = new AbortController();
    let signalled: NodeJS.Signals | undefined;
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) {
        err.write(`cappy adapt: ${sig} again: quitting without waiting for the checkpoint\n`);
        process.exit(sig === 'SIGTERM' ? 143 : 130);
      }
      signalled = sig;
      progress.stop();
      log(`${sig}: stopping after this micro-batch and writing a checkpoint (${sig} again quits at once)`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = stepReporter(err);
    const onEvent = (e: AdaptEvent) => {
      switch (e.type) {
        case 'message':
          progress.stop();
          dataStep.stop();
          return log(e.message);
        case 'data':
          return dataStep.onProgress(e.progress);
        case 'data-done':
          dataStep.stop();
          return e.stats ? log(`data step: ${dataStepSummary(e.stats, e.pairs)}`) : undefined;
        case 'dev-candidates':
          dataStep.stop();
          return log(
            e.reused
              ? `resuming: the dev rows with their LLM candidates are ${e.rows}`
              : `dev rows with the LLM's candidates (${e.drawn} instructions asked): ${e.rows} (for cappy eval best-of-n --data)`,
          );
        case 'start':
          log(
            `${e.resumed ? `resuming at step ${e.startStep} of` : 'training'} ${e.totalSteps} steps of ${e.rowsPerStep} rows ` +
              `(${e.trainRows} rows from ${e.dataRows} in the file; warmup ${e.warmupSteps} steps; dropout ${e.dropout}; weights from ${e.weightsFrom})`,
          );
          return progress.start(e.totalSteps, e.startStep);
        case 'step':
          return progress.step(e);
        case 'eval':
          progress.stop();
          log(`eval ${e.when}: MSE ${num(e.mse, 6)}, Spearman ${num(e.spearman)} (${e.rows} rows)`);
          if (e.bestOfN && e.when === 'before') {
            before = e.bestOfN;
            log(
              `eval before: best-of-N Rouge-L F x100 ${x100(e.bestOfN.selected)} (first candidate ${x100(e.bestOfN.firstCandidate)}, oracle ${x100(e.bestOfN.oracle)})`,
            );
          }
          return;
        case 'checkpoint':
          if (e.reason === 'save-every') return;
          return log(`checkpoint after step ${e.step}: ${e.dir}`);
        case 'done':
          progress.stop();
          return;
      }
    };
    try {
      const res = await adapt({ ...given, signal: controller.signal, onEvent });
      const last = res.losses.at(-1);
      process.stdout.write(
        `adapted ${res.totalSteps} steps (last loss ${num(last)}${res.evalAfter ? `; dev MSE ${num(res.evalBefore?.mse, 6)} -> ${num(res.evalAfter.mse, 6)}, Spearman ${num(res.evalBefore?.spearman ?? null)} -> ${num(res.evalAfter.spearman)}` : ''}) into ${res.out}\n` +
          res.files.map((f) => `  ${res.out}/${f}\n`).join('') +
          (res.evalAfter?.bestOfN ? `${bestOfNLine(res.evalBefore?.bestOfN ?? before, res.evalAfter.bestOfN)}\n` : ''),
      );
    } catch (e) {
      progress.stop();
      dataStep.stop();
      if (signalled && e instanceof AbortError) {
        log(e.message);
        throw new CommanderError(signalled === 'SIGTERM' ? 143 : 130, 'cappy.adapt.interrupted', e.message);
      }
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
  return cmd;
}
