// adapt(): fine-tune every weight of a cross-encoder on labelled pairs, the
// official Cappy recipe (docs/adapt.md): MSE between logits[:, 0] and the
// label, AdamW, linear warmup then decay, gradients averaged over
// batchSize × gradAccum rows per step. The forward and backward passes run
// in the TrainingGraph (lib/adapt/graph, ONNX Runtime); this file owns
// everything around them: data, schedule, optimizer, checkpoints, output.
// Given `tasks` (task rows) instead of `data`, the paper's data step runs
// first (recipe/from-tasks.ts) and the training reads the pairs it kept.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AbortError, InvalidInputError, RuntimeError } from '../errors/index.js';
import { robertaParameterShapes } from '../forge/roberta-graph.js';
import { Tokenizer } from '../tokenizer/index.js';
import { checkMaxLength, loadBaseWeights, readBaseConfig } from './base-model.js';
import { loadCheckpoint, saveCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointMeta } from './checkpoint.js';
import type { ParameterSet, TrainingGraph } from './contract.js';
import type { LabelledData } from './data/jsonl.js';
import { planStep, rowsPerStep, streamOrder, totalStepsFor } from './data/plan.js';
import { encodeRows } from './data/tokenize.js';
import { openDefaultTrainingGraph } from './default-graph.js';
import { evaluateRows } from './evaluate.js';
import { devBestOfN, readDevSet } from './recipe/dev-set.js';
import { adaptFromTasks, refuseDataStepWithoutTasks } from './recipe/from-tasks.js';
import { AdamW, ADAMW_DEFAULTS } from './optimize/adamw.js';
import { clipGradNorm } from './optimize/clip.js';
import { linearSchedule } from './optimize/schedule.js';
import { checkOutDir, writeOutput } from './output/model-folder.js';
import { resolveSettings, trainingSettingsOf } from './settings.js';
import type { AdaptEvent, AdaptOptions, AdaptResult, DevSummary, MadeFrom } from './types.js';

export type { AdaptEvent, AdaptOptions, AdaptResult, DevSummary, TrainingGraphFactory } from './types.js';

const RNG_DERIVATION =
  'v1: mulberry32 Fisher-Yates shuffles and dropout seeds mixed from (seed, purpose, index) by murmur3 (lib/adapt/data/plan.ts)';

function noteOutsideUnit(data: LabelledData, what: string, emit: (m: string) => void): void {
  if (data.outsideUnit > 0)
    emit(
      `${what} ${data.path}: ${data.outsideUnit} of ${data.rows.length} labels are outside [0, 1] (kept as they are; the paper's labels are in [0, 1])`,
    );
}

/** Fine-tunes on labelled pairs (`data`), or on the pairs made from task rows (`tasks`) by the paper's recipe. */
export async function adapt(options: AdaptOptions): Promise<AdaptResult> {
  if (options.tasks !== undefined) return adaptFromTasks(options, trainOnPairs);
  refuseDataStepWithoutTasks(options);
  return trainOnPairs(options);
}

async function trainOnPairs(options: AdaptOptions): Promise<AdaptResult> {
  const { signal, onEvent } = options;
  const emit = (e: AdaptEvent) => onEvent?.(e);
  const say = (message: string) => emit({ type: 'message', message });
  const stopped = () => new AbortError('adapt was aborted before training started');
  if (signal?.aborted) throw stopped();
  const { settings: s, resumed } = await resolveSettings(options);
  await checkOutDir(s.out, s.overwrite);

  // Cheap checks first (config, data, the checkpoint's hashes), then the weights.
  const base = await readBaseConfig(s.model);
  checkMaxLength(s.maxLength, base);
  const dropout = s.dropout ?? base.configDropout;
  const settings = trainingSettingsOf(s, dropout);
  const data = await readDevSet(s.data, s.stem, '--data');
  noteOutsideUnit(data, '--data', say);
  const dev = s.eval !== undefined ? await readDevSet(s.eval, s.stem) : undefined;
  if (dev) noteOutsideUnit(dev, '--eval', say);
  if (resumed) checkResume(resumed, base.fingerprint, data, dev);
  const madeFrom = options.madeFrom ?? (resumed as { madeFrom?: MadeFrom } | undefined)?.madeFrom;
  if (signal?.aborted) throw stopped();
  const checkpoint = resumed ? await loadCheckpoint(s.resume!) : undefined;
  const fromBase = checkpoint ? undefined : await loadBaseWeights(base);
  [...base.notes, ...(fromBase?.notes ?? [])].forEach(say);
  if (base.forged) say(`${base.dir} is a forged model (random weights, not Cappy): the adapted model's scores mean nothing either`);
  if (signal?.aborted) throw stopped();

  const tokenizer = await Tokenizer.fromFile(base.tokenizerPath, { maxLength: s.maxLength, truncation: 'longest_first' });
  const typeIds = base.config.family === 'bert';
  const encoded = await encodeRows(tokenizer, data.rows, { typeIds });
  const devEncoded = dev ? await encodeRows(tokenizer, dev.rows, { typeIds }) : undefined;
  const stream = {
    batchSize: s.batchSize,
    gradAccum: s.gradAccum,
    epochs: s.epochs,
    trainSize: s.trainSize,
    shuffle: s.shuffle,
    seed: s.seed,
  };
  const order = streamOrder(data.rows.length, stream);
  const totalSteps = totalStepsFor(order.length, stream);
  const schedule = linearSchedule(s.lr, s.warmupRatio, totalSteps);
  if (signal?.aborted) throw stopped();

  const shapes = robertaParameterShapes(base.config);
  const parameters = [...shapes].map(([name, shape]) => ({ name, shape }));
  const openGraph = options.openGraph ?? openDefaultTrainingGraph;
  const graph = await openGraph(base.config, { dropout, intraOpThreads: s.threads, device: s.device, deviceId: s.deviceId });
  try {
    const weights: ParameterSet = checkpoint ? checkpoint.weights : fromBase!.weights;
    checkParameters(graph, weights);
    const sizes = new Map([...weights].map(([name, w]) => [name, w.length]));
    const adam = new AdamW(sizes, { weightDecay: s.weightDecay }, checkpoint?.adam);
    const grads: ParameterSet = new Map([...weights].map(([name, w]) => [name, new Float32Array(w.length)]));
    const losses = resumed ? [...resumed.losses] : [];
    const lrs = resumed ? [...resumed.lrs] : [];
    const gradNorms = resumed ? [...resumed.gradNorms] : [];
    const startStep = resumed ? resumed.step : 0;
    const elapsedBefore = resumed?.elapsedSeconds ?? 0;
    const started = performance.now();
    const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
    let step = startStep;
    let evalBefore: DevSummary | null = resumed?.evalBefore ?? null;
    const weightsFrom = resumed?.model.weightsFrom ?? fromBase!.weightsFrom;

    const meta = (): CheckpointMeta & { madeFrom?: MadeFrom } => ({
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step,
      totalSteps,
      dataPosition: Math.min(order.length, step * rowsPerStep(stream)),
      rng: { seed: s.seed, derivation: RNG_DERIVATION },
      settings,
      runtime: { threads: s.threads, device: s.device },
      model: { ref: s.model, dir: base.dir, fingerprint: base.fingerprint, weightsFrom },
      data: { path: resolve(s.data), sha256: data.sha256, rows: data.rows.length },
      eval: dev ? { path: resolve(s.eval!), sha256: dev.sha256, rows: dev.rows.length } : null,
      out: resolve(s.out),
      dtype: [...s.dtype],
      losses,
      lrs,
      gradNorms,
      evalBefore,
      parameters,
      elapsedSeconds: elapsed(),
      savedAt: new Date().toISOString(),
      ...(madeFrom ? { madeFrom } : {}),
    });
    // Dev metrics from the eval-mode forward of the weights as they are now; best-of-N too with dev task rows.
    const evaluate = async (): Promise<DevSummary> => {
      const { predictions, ...summary } = await evaluateRows(graph, weights, devEncoded!, s.batchSize, signal);
      return dev?.bestOfNRows ? { ...summary, bestOfN: devBestOfN(dev.bestOfNRows, predictions, s.stem) } : summary;
    };
    if (resumed && (resumed.runtime.threads !== s.threads || resumed.runtime.device !== s.device)) {
      say(
        `resuming with ${s.threads} threads on ${s.device}; the checkpoint ran with ${resumed.runtime.threads} on ${resumed.runtime.device}: the result may differ from an unstopped run in the last bits`,
      );
    }
    emit({
      type: 'start',
      startStep,
      totalSteps,
      warmupSteps: schedule.warmupSteps,
      rowsPerStep: rowsPerStep(stream),
      trainRows: order.length,
      dataRows: data.rows.length,
      dropout,
      resumed: !!resumed,
      weightsFrom: checkpoint ? `checkpoint ${s.resume}` : weightsFrom,
    });

    try {
      if (devEncoded && !resumed) {
        evalBefore = await evaluate();
        emit({ type: 'eval', when: 'before', ...evalBefore });
      }
      let rowsThisRun = 0;
      for (; step < totalSteps;) {
        if (signal?.aborted) throw new AbortError();
        for (const g of grads.values()) g.fill(0);
        const plan = planStep(order, step, encoded, stream);
        let loss = 0;
        for (const { batch, dropoutSeed } of plan.micro) loss += (await graph.accumulate(batch, weights, grads, dropoutSeed, signal)).loss;
        if (!Number.isFinite(loss))
          throw new RuntimeError(
            `the loss of step ${step + 1} is ${loss}; stopping before it reaches the weights (lower --lr, or set --max-grad-norm)`,
          );
        const gradNorm = s.maxGradNorm !== undefined ? clipGradNorm(grads, s.maxGradNorm).norm : undefined;
        const lr = schedule.lr(step);
        adam.update(weights, grads, lr);
        step += 1;
        losses.push(loss);
        lrs.push(lr);
        if (gradNorm !== undefined) gradNorms.push(gradNorm);
        rowsThisRun += plan.rows;
        const secs = (performance.now() - started) / 1000;
        const perStep = secs / (step - startStep);
        emit({
          type: 'step',
          step,
          totalSteps,
          loss,
          lr,
          gradNorm,
          rows: plan.rows,
          pairsPerSecond: rowsThisRun / secs,
          etaSeconds: perStep * (totalSteps - step),
          elapsedSeconds: elapsed(),
        });
        if (s.saveEvery !== undefined && step % s.saveEvery === 0 && step < totalSteps) {
          await saveCheckpoint(s.checkpointDir, meta(), weights, adam.state);
          emit({ type: 'checkpoint', dir: s.checkpointDir, step, reason: 'save-every' });
        }
      }
      let evalAfter: DevSummary | null = null;
      if (devEncoded) {
        evalAfter = await evaluate();
        emit({ type: 'eval', when: 'after', ...evalAfter });
      }
      if (signal?.aborted) throw new AbortError();
      const adaptJson = {
        format: 'cappy-adapt',
        version: 1,
        base: { model: s.model, dir: base.dir, weightsFrom, fingerprint: base.fingerprint, forged: base.forged ?? null },
        settings,
        runtime: { threads: s.threads, device: s.device },
        recipe: {
          loss: 'mean over each step of (logits[:, 0] - label)^2',
          optimizer: { name: 'AdamW', ...ADAMW_DEFAULTS, weightDecay: s.weightDecay },
          schedule: 'transformers get_linear_schedule_with_warmup',
          warmupSteps: schedule.warmupSteps,
          totalSteps,
          rowsPerStep: rowsPerStep(stream),
        },
        data: {
          path: resolve(s.data),
          sha256: data.sha256,
          rows: data.rows.length,
          trainRows: order.length,
          labelsOutsideUnit: data.outsideUnit,
        },
        eval: dev
          ? {
              path: resolve(s.eval!),
              sha256: dev.sha256,
              rows: dev.rows.length,
              ...(dev.bestOfNRows ? { taskRows: dev.bestOfNRows.length, rougeStem: s.stem } : {}),
            }
          : null,
        ...(madeFrom ? { madeFrom } : {}),
        steps: totalSteps,
        loss: losses,
        lr: lrs,
        ...(gradNorms.length ? { gradNorm: gradNorms } : {}),
        evalBefore,
        evalAfter,
        elapsedSeconds: elapsed(),
        finishedAt: new Date().toISOString(),
      };
      const written = await writeOutput({
        outDir: s.out,
        overwrite: s.overwrite,
        baseDir: base.dir,
        config: base.config,
        weights,
        shapes,
        dtypes: s.dtype,
        adaptJson,
      });
      // The output holds the final weights; the optimizer state is not needed any more.
      if (existsSync(s.checkpointDir)) await rm(s.checkpointDir, { recursive: true, force: true });
      emit({ type: 'done', out: written.dir, files: written.files });
      return { out: written.dir, files: written.files, totalSteps, losses, lrs, evalBefore, evalAfter };
    } catch (e) {
      const aborted = signal?.aborted || e instanceof AbortError || (e as Error)?.name === 'AbortError';
      if (!aborted) throw e;
      if (options.checkpointOnAbort === false || step === startStep) {
        throw new AbortError(
          `adapt stopped at step ${step} of ${totalSteps}${step === startStep ? ' (no step finished in this run, so no new checkpoint)' : ''}`,
          { cause: e },
        );
      }
      // Weights and moments only change between micro-batches of a finished step, so they are step `step`'s.
      await saveCheckpoint(s.checkpointDir, meta(), weights, adam.state);
      emit({ type: 'checkpoint', dir: s.checkpointDir, step, reason: 'abort' });
      throw new AbortError(
        `adapt stopped after step ${step} of ${totalSteps}; checkpoint in ${s.checkpointDir} (continue with --resume ${s.checkpointDir})`,
        { cause: e },
      );
    }
  } finally {
    await graph.dispose();
  }
}

function checkParameters(graph: TrainingGraph, weights: ParameterSet): void {
  for (const [name, shape] of graph.parameterShapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (weights.get(name)?.length !== n)
      throw new RuntimeError(`the training graph trains ${name} [${shape}], which the model's weights do not hold`);
  }
  if (graph.parameterShapes.size !== weights.size)
    throw new RuntimeError(`the training graph trains ${graph.parameterShapes.size} parameters, the model has ${weights.size}`);
}

function checkResume(meta: CheckpointMeta, fingerprint: string, data: LabelledData, dev: LabelledData | undefined): void {
  const where = `the checkpoint (${meta.data.path})`;
  if (meta.model.fingerprint !== fingerprint)
    throw new InvalidInputError(
      `--model is not the model the checkpoint started from (${meta.model.dir}): its config.json or tokenizer.json differ`,
    );
  if (meta.data.sha256 !== data.sha256)
    throw new InvalidInputError(
      `--data ${data.path} is not the data ${where} trained on (SHA-256 ${data.sha256.slice(0, 12)}…, checkpoint ${meta.data.sha256.slice(0, 12)}…)`,
    );
  if ((meta.eval?.sha256 ?? null) !== (dev?.sha256 ?? null))
    throw new InvalidInputError(
      `--eval differs from the checkpoint's (${meta.eval?.path ?? 'none'}); its before-training metrics were measured on that set`,
    );
}
