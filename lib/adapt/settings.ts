// The settings of one adapt() run, from the caller's options and, with
// --resume, the checkpoint's: settings the caller does not give come from
// the checkpoint; settings the caller gives must equal it (a resumed run
// that trained on with other settings would not be the run it continues).
import { resolve } from 'node:path';
import { InvalidInputError } from '../errors/index.js';
import { ADAPT_OPTIONS, TRAINING_SETTINGS } from '../options/adapt.js';
import { flagOf, resolveOptions, type GivenOptions, type ResolvedOptions } from '../options/spec.js';
import { readCheckpointMeta, type CheckpointMeta } from './checkpoint.js';

export type AdaptSettings = ResolvedOptions<typeof ADAPT_OPTIONS> & {
  model: string;
  data: string;
  out: string;
  epochs: number;
  checkpointDir: string;
};

const flag = (key: keyof typeof ADAPT_OPTIONS) => `--${flagOf(key, ADAPT_OPTIONS[key])}`;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The run's settings and, when resuming, the checkpoint's metadata. */
export async function resolveSettings(
  given: GivenOptions<typeof ADAPT_OPTIONS>,
): Promise<{ settings: AdaptSettings; resumed?: CheckpointMeta }> {
  // Check what was given first (a non-numeric lr is refused here, before any file is read).
  const checked = resolveOptions(ADAPT_OPTIONS, given, 'adapt options');
  const explicit = (key: keyof typeof ADAPT_OPTIONS) => (given as Record<string, unknown>)[key] !== undefined;
  let merged: Record<string, unknown> = { ...checked };
  let resumed: CheckpointMeta | undefined;
  if (checked.resume !== undefined) {
    resumed = await readCheckpointMeta(checked.resume);
    const saved = resumed.settings;
    for (const key of TRAINING_SETTINGS) {
      if (explicit(key) && !same(checked[key], saved[key] ?? undefined)) {
        throw new InvalidInputError(
          `${flag(key)} ${JSON.stringify(checked[key])} differs from the checkpoint's ${JSON.stringify(saved[key] ?? null)} (${checked.resume}); a resumed run keeps the settings it started with`,
        );
      }
      merged[key] = saved[key];
    }
    merged = {
      ...merged,
      model: checked.model ?? resumed.model.ref,
      data: checked.data ?? resumed.data.path,
      eval: checked.eval ?? resumed.eval?.path,
      out: checked.out ?? resumed.out,
      dtype: explicit('dtype') ? checked.dtype : resumed.dtype,
      checkpointDir: checked.checkpointDir ?? checked.resume,
    };
  } else if (explicit('epochs') && explicit('trainSize')) {
    throw new InvalidInputError('give --epochs or --train-size, not both: --train-size repeats or cuts the data to that many rows');
  }
  for (const key of ['model', 'data', 'out'] as const) {
    if (merged[key] === undefined) {
      const orTasks = key === 'data' ? ', or --tasks to make the pairs from task rows' : '';
      throw new InvalidInputError(`${flag(key)} is required (or CAPPY_${key.toUpperCase()})${orTasks}`);
    }
  }
  if (merged.trainSize === undefined) merged.epochs ??= 1;
  else merged.epochs = undefined;
  merged.checkpointDir ??= `${resolve(merged.out as string)}.checkpoint`;
  return { settings: merged as AdaptSettings, resumed };
}

/** The settings that decide the result, as stored in checkpoints and adapt.json. */
export function trainingSettingsOf(s: AdaptSettings, dropout: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of TRAINING_SETTINGS) out[key] = s[key];
  out.dropout = dropout;
  return out;
}
