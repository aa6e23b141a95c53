// adapt({ tasks }): `cappy adapt --tasks rows.jsonl ...`, the data step and
// the training in one call. The data step is makeAdaptData (the paper's
// recipe, as `cappy adapt data` runs it); its pairs are written to --pairs
// (default `<out>.pairs.jsonl`, beside the output folder) and KEPT: the
// training reads them from there like any --data file, adapt.json names the
// file and its SHA-256 and records what it was made from (the tasks file's
// SHA-256, the recipe's settings, the counts), and a resumed run trains on
// the same file without asking the LLM again. Everything that can be checked
// before the LLM is asked (the options, the model's config, --out, --eval)
// is checked first, so a typo does not cost a sampling run. Dev task rows
// without candidates get the LLM's (./dev-candidates.ts), kept in
// --eval-rows (default `<out>.dev-tasks.jsonl`) for `cappy eval best-of-n`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { relative, resolve, isAbsolute } from 'node:path';
import { InvalidInputError } from '../../errors/index.js';
import { ADAPT_OPTIONS, DATA_STEP_KEYS } from '../../options/adapt.js';
import { envOf, flagOf, resolveOptions } from '../../options/spec.js';
import { readInputFile } from '../../util/input-file.js';
import { checkMaxLength, readBaseConfig } from '../base-model.js';
import { readCheckpointMeta } from '../checkpoint.js';
import { checkOutDir } from '../output/model-folder.js';
import { resolveSettings } from '../settings.js';
import type { AdaptOptions, AdaptResult, DataStepEvent, MadeFrom } from '../types.js';

export type { DataStepEvent, MadeFrom } from '../types.js';
import { readDevSet } from './dev-set.js';
import { devRowsNeedingCandidates, writeDevRowsWithCandidates } from './dev-candidates.js';
import { llmOptionsOf, makeAdaptData } from './make-data.js';

/** What a run's pairs were made from: kept in checkpoints and adapt.json. */
const flag = (key: keyof typeof ADAPT_OPTIONS) => `--${flagOf(key, ADAPT_OPTIONS[key])}`;

/** The data step's flags mean nothing without --tasks: refused rather than ignored. */
export function refuseDataStepWithoutTasks(options: AdaptOptions): void {
  const given = options as Record<string, unknown>;
  const stray = [...DATA_STEP_KEYS, 'pairs' as const, 'evalRows' as const].filter((k) => given[k] !== undefined);
  if (stray.length > 0) {
    const env = stray.map((k) => envOf(flagOf(k, ADAPT_OPTIONS[k]))).join(', ');
    throw new InvalidInputError(
      `${stray.map(flag).join(', ')} ${stray.length === 1 ? 'belongs' : 'belong'} to the data step, which runs with --tasks (task rows); --data is already labelled pairs (given as a flag or as ${env})`,
    );
  }
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readInputFile(path, '--tasks'))
    .digest('hex');
}

function inside(dir: string, path: string): boolean {
  const r = relative(resolve(dir), resolve(path));
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

export async function adaptFromTasks(options: AdaptOptions, train: (o: AdaptOptions) => Promise<AdaptResult>): Promise<AdaptResult> {
  const emit = (e: DataStepEvent) => options.onEvent?.(e);
  const say = (message: string) => options.onEvent?.({ type: 'message', message });
  if (options.data !== undefined)
    throw new InvalidInputError('give --data (labelled pairs) or --tasks (task rows to make them from), not both');
  const o = resolveOptions(ADAPT_OPTIONS, options, 'adapt options'); // every value checked before any file is read
  if (o.llm && !o.llmModel) throw new InvalidInputError('--llm needs --llm-model: the name of the model the server serves');
  if (!o.llm && o.llmModel) throw new InvalidInputError('--llm-model is given without --llm (the server to ask)');

  // Where the pairs go: --pairs, the checkpoint's data when resuming, or beside --out.
  const checkpoint = o.resume !== undefined ? await readCheckpointMeta(o.resume) : undefined;
  const saved = (checkpoint as { madeFrom?: MadeFrom } | undefined)?.madeFrom;
  let pairs: string;
  if (checkpoint) {
    pairs = resolve(o.pairs ?? checkpoint.data.path);
    if (pairs !== resolve(checkpoint.data.path)) {
      throw new InvalidInputError(
        `--pairs ${o.pairs} is not the file the checkpoint trained on (${checkpoint.data.path}); a resumed run trains on the same pairs`,
      );
    }
  } else {
    if (o.out === undefined) throw new InvalidInputError(`${flag('out')} is required (or CAPPY_OUT)`);
    pairs = resolve(o.pairs ?? `${resolve(o.out)}.pairs.jsonl`);
  }
  const { settings: s } = await resolveSettings({ ...options, tasks: undefined, data: pairs });
  if (inside(s.out, pairs))
    throw new InvalidInputError(`--pairs ${pairs} is inside --out ${s.out}, which is written whole at the end; keep the pairs beside it`);

  // The cheap checks the training would make, before the LLM is asked anything.
  await checkOutDir(s.out, s.overwrite);
  checkMaxLength(s.maxLength, await readBaseConfig(s.model));
  // Dev task rows without candidates: the LLM's, written to --eval-rows (a resumed run finds them there).
  let evalPath = s.eval;
  const devRows = s.eval !== undefined && o.llm ? await devRowsNeedingCandidates(s.eval) : undefined;
  const evalRows = devRows ? resolve(o.evalRows ?? saved?.eval?.rows ?? `${resolve(s.out)}.dev-tasks.jsonl`) : undefined;
  if (evalRows) {
    if (inside(s.out, evalRows))
      throw new InvalidInputError(`--eval-rows ${evalRows} is inside --out ${s.out}, which is written whole at the end; keep it beside it`);
    if (evalRows === pairs) throw new InvalidInputError(`--eval-rows and --pairs are the same file (${pairs})`);
    evalPath = evalRows;
  } else if (s.eval !== undefined) {
    if (o.evalRows !== undefined)
      say(`--eval-rows is not used: ${s.eval} holds no task rows without candidates${o.llm ? '' : ' (and there is no --llm to ask)'}`);
    await readDevSet(s.eval, s.stem);
  }
  const tasksSha = await sha256Of(o.tasks!);
  if (saved && saved.tasks.sha256 !== tasksSha) {
    throw new InvalidInputError(
      `--tasks ${o.tasks} is not the file the checkpoint's pairs were made from (${saved.tasks.path}, SHA-256 ${saved.tasks.sha256.slice(0, 12)}…)`,
    );
  }

  let madeFrom: MadeFrom | undefined = saved;
  if (checkpoint && existsSync(pairs)) {
    say(`resuming: training on the pairs the checkpoint names (${pairs}); the data step does not run again`);
    emit({ type: 'data-done', pairs, reused: true });
  } else {
    if (existsSync(pairs)) say(`--pairs ${pairs} exists and is replaced by this run's pairs`);
    const step: Record<string, unknown> = {};
    for (const key of DATA_STEP_KEYS) step[key] = o[key];
    const made = await makeAdaptData({
      ...step,
      tasks: o.tasks,
      out: pairs,
      seed: s.seed,
      stem: s.stem,
      signal: options.signal,
      onProgress: (p) => emit({ type: 'data', progress: p }),
    });
    emit({ type: 'data-done', pairs, reused: false, stats: made.stats });
    const { llm, ...counts } = made.stats;
    const { llmApiKey: _key, ...recorded } = step;
    madeFrom = {
      tasks: { path: resolve(o.tasks!), sha256: tasksSha },
      pairs,
      settings: { ...recorded, seed: s.seed, stem: s.stem, trainSize: 'the set once (training repeats or cuts it)' },
      stats: { ...counts, ...(llm ? { llm: { requests: llm.requests, generated: llm.generated, cached: llm.cached } } : {}) },
    };
  }

  if (devRows && evalRows) {
    if (checkpoint && existsSync(evalRows)) {
      emit({ type: 'dev-candidates', rows: evalRows, drawn: 0, reused: true });
    } else {
      const got = await writeDevRowsWithCandidates(devRows, evalRows, {
        ...llmOptionsOf(o),
        signal: options.signal,
        onProgress: (p) => emit({ type: 'data', progress: { phase: 'llm', ...p } }),
      });
      emit({ type: 'dev-candidates', rows: evalRows, drawn: got.drawn, reused: false });
      if (madeFrom)
        madeFrom = {
          ...madeFrom,
          eval: { tasks: { path: resolve(s.eval!), sha256: await sha256Of(s.eval!) }, rows: evalRows, drawn: got.drawn },
        };
    }
  }
  const forTraining: AdaptOptions = { ...options, data: pairs, eval: evalPath, madeFrom };
  for (const key of [...DATA_STEP_KEYS, 'tasks', 'pairs', 'evalRows'] as const) delete (forTraining as Record<string, unknown>)[key];
  return train(forTraining);
}
