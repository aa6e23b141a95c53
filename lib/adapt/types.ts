// The public types of adapt(): its options, events and result, and the
// record of a data step. Apart from train.ts and recipe/from-tasks.ts, so
// that the two (train runs the data step; the data step hands its pairs
// back to the training) do not import each other.
import type { ADAPT_OPTIONS } from '../options/adapt.js';
import type { GivenOptions } from '../options/spec.js';
import type { EvalSummary } from './checkpoint.js';
import type { OpenTrainingGraph } from './contract.js';
import type { DevBestOfN } from './recipe/dev-set.js';
import type { AdaptDataProgress, AdaptDataResult } from './recipe/make-data.js';

export interface MadeFrom {
  tasks: { path: string; sha256: string };
  pairs: string;
  /** The recipe's settings (never the API key). */
  settings: Record<string, unknown>;
  stats: Omit<AdaptDataResult['stats'], 'llm'> & { llm?: { requests: number; generated: number; cached: number } };
  /** Dev task rows whose candidates the LLM gave: the file given, the file written, the rows answered. */
  eval?: { tasks: { path: string; sha256: string }; rows: string; drawn: number };
}

export type DataStepEvent =
  | { type: 'data'; progress: AdaptDataProgress }
  | { type: 'data-done'; pairs: string; reused: boolean; stats?: AdaptDataResult['stats'] }
  | { type: 'dev-candidates'; rows: string; drawn: number; reused: boolean };

/** How adapt() opens its training graph (the contract's OpenTrainingGraph). */
export type TrainingGraphFactory = OpenTrainingGraph;

/** Dev metrics; with dev task rows (--eval) also best-of-N Rouge-L. */
export type DevSummary = EvalSummary & { bestOfN?: DevBestOfN };

export type AdaptEvent =
  | { type: 'message'; message: string }
  | DataStepEvent
  | {
      type: 'start';
      startStep: number;
      totalSteps: number;
      warmupSteps: number;
      rowsPerStep: number;
      trainRows: number;
      dataRows: number;
      dropout: number;
      resumed: boolean;
      weightsFrom: string;
    }
  | ({ type: 'eval'; when: 'before' | 'after' } & DevSummary)
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      loss: number;
      lr: number;
      gradNorm?: number;
      rows: number;
      pairsPerSecond: number;
      etaSeconds: number;
      elapsedSeconds: number;
    }
  | { type: 'checkpoint'; dir: string; step: number; reason: 'save-every' | 'abort' }
  | { type: 'done'; out: string; files: string[] };

export interface AdaptOptions extends GivenOptions<typeof ADAPT_OPTIONS> {
  signal?: AbortSignal;
  onEvent?: (event: AdaptEvent) => void;
  /** Opens the training graph; default: the ONNX Runtime one (lib/adapt/graph). Tests pass their own. */
  openGraph?: TrainingGraphFactory;
  /** When the signal aborts a run, write a checkpoint of the last finished step first. Default true. */
  checkpointOnAbort?: boolean;
  /** Set by adapt() itself after its data step (`tasks`): recorded in checkpoints and adapt.json. */
  madeFrom?: MadeFrom;
}

export interface AdaptResult {
  out: string;
  files: string[];
  totalSteps: number;
  losses: number[];
  lrs: number[];
  evalBefore: DevSummary | null;
  evalAfter: DevSummary | null;
}
