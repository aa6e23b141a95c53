// TrainingGraph (lib/adapt/contract.ts) over two GraphSessions: the training
// graph (loss, logits, gradients) and the eval graph (logits, no dropout).
// Weights go in as the caller's Float32Arrays, read in place; each dense
// gradient is added into the caller's array natively (no copy through JS);
// embedding tables come back as the rows they gathered, and those are added
// here by token id, row by row in the order the graph lists them, so the
// result is the same bits every run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors/index.js';
import { robertaConfig, type RobertaConfig } from '../../forge/roberta-graph.js';
import type { NativeGraphInput } from '../../native.js';
import type { MicroBatch, ParameterSet, StepResult, TrainingGraph, TrainingGraphOptions } from '../contract.js';
import { buildTrainingGraph, paddingRow, type TrainingGraphLayout, type TrainingGraphSpec } from './build.js';
import { GraphSession, type GraphSessionOptions } from './graph-session.js';

/** What openTrainingGraph takes beyond the contract's options (benches and tests). */
export interface TrainingGraphExtras {
  linear?: TrainingGraphSpec['linear'];
  tables?: TrainingGraphSpec['tables'];
  /** ORT profiler trace prefix for the training session. */
  profilePrefix?: string;
  /** Session settings for both sessions, over the defaults (benches). */
  session?: Pick<GraphSessionOptions, 'memoryPattern' | 'sessionConfig' | 'optimization'>;
}

function checkOptions(o: TrainingGraphOptions): void {
  if (typeof o !== 'object' || o === null) throw new InvalidInputError('training graph options must be an object');
  if (typeof o.dropout !== 'number' || !Number.isFinite(o.dropout) || o.dropout < 0 || o.dropout >= 1) {
    throw new InvalidInputError(`dropout must be a number in [0, 1), got ${String(o.dropout)}`);
  }
}

type Batch = Omit<MicroBatch, 'labels' | 'rowWeights'> & Partial<Pick<MicroBatch, 'labels' | 'rowWeights'>>;

class OpenTrainingGraph implements TrainingGraph {
  readonly parameterShapes: ReadonlyMap<string, readonly number[]>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly config: RobertaConfig,
    readonly dropout: number,
    private readonly train: GraphSession,
    private readonly evalSession: GraphSession,
    private readonly layout: TrainingGraphLayout,
  ) {
    this.parameterShapes = layout.parameters;
  }

  #inputs(batch: Batch, weights: ParameterSet, withLabels: boolean): NativeGraphInput[] {
    if (typeof batch !== 'object' || batch === null) throw new InvalidInputError('batch must be an object');
    const { rows, seqLen } = batch;
    if (!Number.isInteger(rows) || rows < 1) throw new InvalidInputError(`batch.rows must be a positive integer, got ${String(rows)}`);
    if (!Number.isInteger(seqLen) || seqLen < 1)
      throw new InvalidInputError(`batch.seqLen must be a positive integer, got ${String(seqLen)}`);
    const tokens = (name: string, a: unknown): BigInt64Array => {
      if (!(a instanceof BigInt64Array) || a.length !== rows * seqLen) {
        throw new InvalidInputError(`batch.${name} must be a BigInt64Array of rows x seqLen = ${rows * seqLen} values`);
      }
      return a;
    };
    const shape = [rows, seqLen];
    const inputs: NativeGraphInput[] = [
      { name: 'input_ids', data: tokens('inputIds', batch.inputIds), shape },
      { name: 'attention_mask', data: tokens('attentionMask', batch.attentionMask), shape },
    ];
    if (this.config.family === 'bert') {
      // As the scorer feeds it: zeros when the caller has no segment ids.
      const types = batch.tokenTypeIds === undefined ? new BigInt64Array(rows * seqLen) : tokens('tokenTypeIds', batch.tokenTypeIds);
      inputs.push({ name: 'token_type_ids', data: types, shape });
    }
    if (withLabels) {
      for (const key of ['labels', 'rowWeights'] as const) {
        const a = batch[key];
        if (!(a instanceof Float32Array) || a.length !== rows)
          throw new InvalidInputError(`batch.${key} must be a Float32Array of ${rows} values`);
      }
      inputs.push({ name: 'labels', data: batch.labels!, shape: [rows] }, { name: 'row_weights', data: batch.rowWeights!, shape: [rows] });
    }
    inputs.push(...this.#parameters(weights, 'weights'));
    return inputs;
  }

  #parameters(set: ParameterSet, what: string): NativeGraphInput[] {
    if (!(set instanceof Map)) throw new InvalidInputError(`${what} must be a Map of parameter name to Float32Array`);
    const out: NativeGraphInput[] = [];
    for (const [name, shape] of this.layout.parameters) {
      const data = set.get(name);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!(data instanceof Float32Array) || data.length !== n) {
        throw new InvalidInputError(
          `${what}: ${name} must be a Float32Array of ${n} values ([${shape}])${data === undefined ? '; it is missing' : ''}`,
        );
      }
      out.push({ name, data, shape });
    }
    return out;
  }

  /** One run at a time: gradients add into shared arrays. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  accumulate(
    batch: MicroBatch,
    weights: ParameterSet,
    grads: ParameterSet,
    dropoutSeed: number,
    signal?: AbortSignal,
  ): Promise<StepResult> {
    return this.#serial(async () => {
      const inputs = this.#inputs(batch, weights, true);
      if (!Number.isInteger(dropoutSeed) || dropoutSeed < 0 || dropoutSeed > 0xffffffff) {
        throw new InvalidInputError(`dropoutSeed must be an integer in 0..2^32-1, got ${String(dropoutSeed)}`);
      }
      if (this.dropout > 0) inputs.push({ name: 'dropout_seed', data: Uint32Array.of(dropoutSeed), shape: [] });
      const targets = this.#parameters(grads, 'grads');
      const outputs = [
        { name: 'loss' },
        { name: 'logits' },
        ...targets
          .filter((t) => this.layout.dense.has(t.name))
          .map((t) => ({ name: this.layout.dense.get(t.name)!, into: t.data, accumulate: true })),
        ...[...this.layout.tables.values()].flat().flatMap((t) => [{ name: t.rows }, { name: t.indices }]),
      ];
      const results = new Map((await this.train.run(inputs, outputs, signal)).map((r) => [r.name, r]));
      for (const [name, parts] of this.layout.tables) {
        const table = grads.get(name)!;
        const [vocab, width] = this.layout.parameters.get(name)!;
        const skip = paddingRow(this.config, name) ?? -1; // torch's padding_idx row gets no gradient
        for (const part of parts) {
          const rows = results.get(part.rows)!.data as Float32Array;
          const ids = results.get(part.indices)!.data as BigInt64Array;
          for (let k = 0; k < ids.length; k++) {
            const id = Number(ids[k]);
            // Gather would have failed on such an id already; never write outside the table.
            if (!(id >= 0 && id < vocab)) throw new InvalidInputError(`token id ${id} is outside ${name} (${vocab} rows)`);
            if (id === skip) continue;
            const dst = id * width;
            const src = k * width;
            for (let j = 0; j < width; j++) table[dst + j] += rows[src + j];
          }
        }
      }
      return {
        loss: (results.get('loss')!.data as Float64Array)[0],
        logits: firstLogit(results.get('logits')!.data as Float32Array, batch.rows),
      };
    });
  }

  forward(batch: Omit<MicroBatch, 'labels' | 'rowWeights'>, weights: ParameterSet, signal?: AbortSignal): Promise<Float32Array> {
    return this.#serial(async () => {
      const [logits] = await this.evalSession.run(this.#inputs(batch, weights, false), [{ name: 'logits' }], signal);
      return firstLogit(logits.data as Float32Array, batch.rows);
    });
  }

  /** Ends the training session's ORT profiling; the trace's path ('' when not profiling). */
  endProfiling(): string {
    return this.train.endProfiling();
  }

  async dispose(): Promise<void> {
    await this.#queue;
    await Promise.all([this.train.dispose(), this.evalSession.dispose()]);
  }
}

function firstLogit(logits: Float32Array, rows: number): Float32Array {
  const labels = logits.length / rows;
  return labels === 1 ? logits : Float32Array.from({ length: rows }, (_, r) => logits[r * labels]);
}

/** Builds the training and eval graphs for `config` and opens them (TrainingGraph in lib/adapt/contract.ts). */
export async function openTrainingGraph(
  config: RobertaConfig,
  options: TrainingGraphOptions,
  extras: TrainingGraphExtras = {},
): Promise<TrainingGraph & { endProfiling(): string }> {
  checkOptions(options);
  const c = robertaConfig(config);
  const dir = await mkdtemp(join(tmpdir(), 'cappy-training-graph-'));
  const sessionOptions: GraphSessionOptions = {
    intraOpThreads: options.intraOpThreads,
    device: options.device,
    deviceId: options.deviceId,
    // Micro-batches come padded to their own longest row, so nearly every run
    // has a new shape, and ORT's memory pattern (one planned block per shape)
    // only costs: bench/adapt.ts measured base's step 10% faster without it.
    memoryPattern: false,
    ...extras.session,
  };
  const opened: GraphSession[] = [];
  try {
    const open = async (spec: TrainingGraphSpec, profilePrefix?: string) => {
      const layout = buildTrainingGraph(spec);
      const path = join(dir, `${spec.mode}.onnx`);
      await layout.graph.write(path, { externalData: false });
      const session = await GraphSession.open(path, { ...sessionOptions, profilePrefix });
      opened.push(session);
      return { layout, session };
    };
    const train = await open(
      { config: c, mode: 'train', dropout: options.dropout, linear: extras.linear, tables: extras.tables },
      extras.profilePrefix,
    );
    const evaluation = await open({ config: c, mode: 'eval', dropout: 0, linear: extras.linear });
    return new OpenTrainingGraph(c, options.dropout, train.session, evaluation.session, train.layout);
  } catch (e) {
    await Promise.all(opened.map((s) => s.dispose()));
    throw e;
  } finally {
    // The graphs hold no weights; ORT has read them once the sessions are open.
    await rm(dir, { recursive: true, force: true });
  }
}
