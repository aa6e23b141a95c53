// A native session over any ONNX graph (cappy::GraphSession), opened the way
// a Scorer opens its own: the same ORT library (CAPPY_ORT_LIB, the renamed
// soname copy, CAPPY_ORT_LOAD) and the same execution-provider checks, so
// 'cuda' without a GPU is one DeviceUnavailableError naming what is missing.
import { AbortError, DisposedError, InvalidInputError, fromNative } from '../../errors/index.js';
import {
  loadAddon,
  type NativeGraphInput,
  type NativeGraphOutput,
  type NativeGraphResult,
  type NativeGraphSession,
  type NativeGraphSessionInfo,
} from '../../native.js';
import { usableCores } from '../../runtime/cpu-quota.js';
import { executionCandidates } from '../../runtime/execution-provider.js';
import { resolveOrtLibrary } from '../../runtime/ort-library.js';
import { planOrtLoad } from '../../runtime/ort-load.js';

export type { NativeGraphInput as GraphInput, NativeGraphOutput as GraphOutput, NativeGraphResult as GraphResult };

export interface GraphSessionOptions {
  /** ORT intra-op threads; default the usable core count. Results are bit-reproducible for a fixed count. */
  intraOpThreads?: number;
  device?: 'cpu' | 'cuda';
  deviceId?: number;
  /** Handed to the CUDA provider as given. */
  providerOptions?: Record<string, string>;
  /** ORT graph optimizations; default 'all'. */
  optimization?: 'all' | 'extended' | 'basic' | 'none';
  /** Write ORT's profiler trace with this file prefix (see endProfiling). */
  profilePrefix?: string;
  /**
   * ORT's memory pattern; default true. After a shape's first run ORT plans
   * that shape's intermediates as one block, kept per shape: a graph fed many
   * shapes (training batches padded to their longest row) is better off
   * without it.
   */
  memoryPattern?: boolean;
  /** ORT session config entries (SessionOptions AddConfigEntry), e.g. session.set_denormal_as_zero. */
  sessionConfig?: Record<string, string>;
}

function checkOptions(o: GraphSessionOptions): void {
  const int = (v: unknown, name: string, lo: number, hi: number) => {
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi)) {
      throw new InvalidInputError(`${name} must be an integer in ${lo}..${hi}, got ${String(v)}`);
    }
  };
  int(o.intraOpThreads, 'intraOpThreads', 1, 1024);
  int(o.deviceId, 'deviceId', 0, 1023);
  if (o.device !== undefined && o.device !== 'cpu' && o.device !== 'cuda') {
    throw new InvalidInputError(`device must be 'cpu' or 'cuda', got ${String(o.device)}`);
  }
  for (const [k, v] of Object.entries(o.providerOptions ?? {})) {
    if (typeof v !== 'string') throw new InvalidInputError(`providerOptions.${k} must be a string`);
  }
  for (const [k, v] of Object.entries(o.sessionConfig ?? {})) {
    if (typeof v !== 'string') throw new InvalidInputError(`sessionConfig.${k} must be a string`);
  }
  if (o.memoryPattern !== undefined && typeof o.memoryPattern !== 'boolean') {
    throw new InvalidInputError(`memoryPattern must be a boolean, got ${String(o.memoryPattern)}`);
  }
}

export class GraphSession {
  #native: NativeGraphSession | undefined;
  #inFlight = new Set<Promise<unknown>>();

  private constructor(native: NativeGraphSession) {
    this.#native = native;
  }

  /** Opens `modelPath` (an .onnx file; external data beside it). */
  static async open(modelPath: string, options: GraphSessionOptions = {}): Promise<GraphSession> {
    checkOptions(options);
    const addon = loadAddon();
    const ortLibraryPath = resolveOrtLibrary();
    const ortLoad = planOrtLoad(ortLibraryPath);
    // 'cuda': every library and the GPU are checked first (DeviceUnavailableError).
    const [candidate] = executionCandidates(options.device ?? 'cpu', ortLibraryPath, addon).candidates;
    try {
      const native = await addon.loadGraphSession({
        ortLibraryPath: ortLoad.libraryPath,
        ortLink: ortLoad.link,
        modelPath,
        intraOpThreads: options.intraOpThreads ?? usableCores(),
        executionProvider: candidate.executionProvider === 'cuda' ? 'cuda' : 'cpu',
        deviceId: options.deviceId ?? 0,
        epLibraryPath: candidate.epLibraryPath,
        providerOptions: options.providerOptions ?? {},
        deterministic: true,
        optimization: options.optimization ?? 'all',
        profilePrefix: options.profilePrefix ?? '',
        memoryPattern: options.memoryPattern ?? true,
        sessionConfig: options.sessionConfig ?? {},
      });
      return new GraphSession(native);
    } catch (e) {
      throw fromNative(e);
    }
  }

  get info(): NativeGraphSessionInfo {
    return this.#live().info;
  }

  #live(): NativeGraphSession {
    if (!this.#native) throw new DisposedError('The graph session has been disposed');
    return this.#native;
  }

  /**
   * Runs the graph once. Aborting stops ORT at its next node; the promise
   * then rejects with AbortError, and only once the native run has ended,
   * so a rejected run has added nothing into `accumulate` buffers. A run
   * that finished before the abort reached it resolves as usual.
   */
  run(inputs: NativeGraphInput[], outputs: NativeGraphOutput[], signal?: AbortSignal): Promise<NativeGraphResult[]> {
    let native: NativeGraphSession;
    try {
      native = this.#live();
    } catch (e) {
      return Promise.reject(e);
    }
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const token = signal ? new (loadAddon().CancelToken)() : undefined;
    const onAbort = () => token?.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const work = (async () => {
      try {
        return await native.run(inputs, outputs, token);
      } catch (e) {
        const err = fromNative(e);
        throw err instanceof AbortError && signal ? new AbortError(undefined, { cause: signal.reason }) : err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    })();
    this.#inFlight.add(work);
    const forget = () => this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Ends ORT's profiling and returns the trace file ('' when not profiling). */
  endProfiling(): string {
    try {
      return this.#live().endProfiling();
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Waits for runs in flight, then releases the native session. */
  async dispose(): Promise<void> {
    const native = this.#native;
    this.#native = undefined;
    await Promise.allSettled([...this.#inFlight]);
    native?.close();
  }
}
