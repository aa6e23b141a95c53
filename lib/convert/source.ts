// The one interface every checkpoint reader gives: the tensors' names, shapes
// and dtypes up front (from headers only), and each tensor's data on demand.
// Reading on demand is what keeps a 1.4 GB checkpoint out of one buffer: the
// converter holds at most the tensors it is using.
import type { DType } from './dtypes.js';

export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: DType;
}

export type CheckpointFormat = 'safetensors' | 'pytorch' | 'flax';

export interface WeightSource {
  readonly format: CheckpointFormat;
  /** The file (or index file, for sharded checkpoints) this reads. */
  readonly path: string;
  /** Every tensor in the file, in file order. */
  list(): TensorInfo[];
  info(name: string): TensorInfo | undefined;
  /** The tensor as fp32, row-major, in the shape `info(name)` reports. */
  read(name: string): Promise<Float32Array>;
  /** Releases file handles. Reads after close fail. */
  close(): Promise<void>;
}

/** Shared bookkeeping for readers: a name → info index in file order. */
export class TensorIndex {
  private readonly byName = new Map<string, TensorInfo>();

  add(info: TensorInfo): void {
    this.byName.set(info.name, info);
  }

  list(): TensorInfo[] {
    return [...this.byName.values()];
  }

  get(name: string): TensorInfo | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }
}
