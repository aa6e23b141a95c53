// Opening the native sessions of a Scorer: which execution provider (with
// 'auto', the fastest that loads), the native options each session gets, and
// the errors a user can act on. One session, or several for a device pool
// (devices.ts plans them): the first decides the provider, the rest follow it.
import { DeviceUnavailableError, ModelLoadError, fromNative } from '../errors/index.js';
import { loadAddon, type NativeScorer } from '../native.js';
import { executionCandidates, type ExecutionCandidate } from '../runtime/execution-provider.js';
import type { OrtLoadPlan } from '../runtime/ort-load.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { SessionPlan } from './devices.js';
import type { ResolvedScorerOptions } from './options.js';

/** A session that loaded, with what it runs on. */
export interface LoadedSession {
  native: NativeScorer;
  /** 'cpu', 'cuda:0', 'tensorrt:1': the device it runs on. */
  device: string;
  executionProvider: string;
  deviceId: number;
  intraOpThreads: number;
  tokenizerThreads: number;
}

export interface LoadedSessions {
  sessions: LoadedSession[];
  candidate: ExecutionCandidate;
  /** With 'auto': why each faster provider was skipped. */
  skipped: string[];
}

interface LoadContext {
  tokenizer: Tokenizer;
  onnxPath: string;
  /** The model's position table (config.json); 0: unknown. */
  positionLimit: number;
  ortLibraryPath: string;
  ortLoad: OrtLoadPlan;
  opts: ResolvedScorerOptions;
}

async function loadOne(ctx: LoadContext, plan: SessionPlan, candidate: ExecutionCandidate): Promise<LoadedSession> {
  const { opts } = ctx;
  // The options as given: what is left out (ioBinding, batchesInFlight), and
  // every rule (the TensorRT profile, GPU defaults), the core decides, as it
  // does for cappy_model_load.
  const native = await loadAddon().loadScorer(ctx.tokenizer.native, {
    ortLibraryPath: ctx.ortLoad.libraryPath,
    ortLink: ctx.ortLoad.link,
    modelPath: ctx.onnxPath,
    positionLimit: ctx.positionLimit,
    maxLength: opts.maxLength,
    truncation: opts.truncation,
    intraOpThreads: plan.intraOpThreads,
    tokenizerThreads: plan.tokenizerThreads,
    maxBatchTokens: opts.maxBatchTokens,
    maxBatchSize: opts.maxBatchSize,
    padMultiple: opts.padMultiple,
    // The native planner's sort window: 0 sorts each tokenize window
    // (2048 pairs) whole by length; 1 sorts nothing, which is FIFO.
    sortWindow: opts.planner === 'fifo' ? 1 : 0,
    executionProvider: candidate.executionProvider,
    deviceId: plan.deviceId,
    epLibraryPath: candidate.epLibraryPath,
    ...(opts.ioBinding !== undefined ? { ioBinding: opts.ioBinding } : {}),
    ...(opts.batchesInFlight !== undefined ? { batchesInFlight: opts.batchesInFlight } : {}),
    pinnedBuffers: opts.pinnedBuffers,
    providerOptions: opts.providerOptions,
    trtCacheDir: opts.tensorrtCacheDir,
    trtFp16: opts.tensorrtFp16,
  });
  const ep = native.info.executionProvider;
  return {
    native,
    device: ep === 'cpu' ? 'cpu' : `${ep}:${native.info.deviceId}`,
    executionProvider: ep,
    deviceId: native.info.deviceId,
    intraOpThreads: plan.intraOpThreads,
    tokenizerThreads: plan.tokenizerThreads,
  };
}

/** The error a failed load becomes: typed, and saying what to do. */
function loadError(e: unknown, ctx: LoadContext, candidate: ExecutionCandidate, plan: SessionPlan, pooled: boolean): Error {
  const err = fromNative(e);
  if (err instanceof DeviceUnavailableError) {
    const where = pooled && plan.label !== 'auto' ? `${plan.label}: ` : '';
    return new DeviceUnavailableError(pooled ? plan.label : candidate.executionProvider, where + err.message, { cause: e });
  }
  if (err instanceof ModelLoadError && err.reason === 'ort_unavailable' && ctx.ortLoad.libraryPath !== ctx.ortLibraryPath) {
    return new ModelLoadError(
      `${err.message} (that file is cappy's copy of ${ctx.ortLibraryPath} under a soname of its own, so it can live beside ` +
        'onnxruntime-node; if CAPPY_HOME is on a noexec filesystem, point CAPPY_HOME elsewhere, or set CAPPY_ORT_LOAD=plain)',
      { cause: e, reason: err.reason },
    );
  }
  return err;
}

/**
 * Opens one session per plan. The first tries the provider candidates in
 * order ('auto' moves on when a GPU provider loads but cannot start); the
 * others use the provider it settled on. If any fails, those already open
 * are closed and the error names the device.
 */
export async function loadSessions(ctx: LoadContext, plans: readonly SessionPlan[]): Promise<LoadedSessions> {
  const pooled = plans.length > 1;
  const { candidates, skipped } = executionCandidates(plans[0].device, ctx.ortLibraryPath, loadAddon());
  let first: LoadedSession | undefined;
  let chosen: ExecutionCandidate | undefined;
  for (const candidate of candidates) {
    try {
      first = await loadOne(ctx, plans[0], candidate);
      chosen = candidate;
      break;
    } catch (e) {
      const err = fromNative(e);
      if (err instanceof DeviceUnavailableError && candidate !== candidates.at(-1)) {
        skipped.push(`${candidate.executionProvider}: ${err.message}`);
        continue;
      }
      throw loadError(e, ctx, candidate, plans[0], pooled);
    }
  }
  if (!first || !chosen) throw new Error('unreachable: no execution provider candidates');
  const candidate = chosen;
  const rest = await Promise.allSettled(
    plans.slice(1).map((plan) =>
      loadOne(ctx, plan, candidate).catch((e: unknown) => {
        throw loadError(e, ctx, candidate, plan, pooled);
      }),
    ),
  );
  const sessions = [first, ...rest.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
  const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const s of sessions) s.native.close();
    throw failed.reason;
  }
  return { sessions, candidate, skipped };
}
