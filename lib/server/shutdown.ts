// Graceful shutdown on SIGTERM / SIGINT: stop accepting, answer every request
// already accepted, release the models, and only then let the process end.
// Orchestrators send SIGTERM and wait (Kubernetes: terminationGracePeriodSeconds),
// so the wait is bounded: past `drainTimeoutMs` the requests still running
// fail with 503 and the shutdown completes. An operator's second Ctrl-C means
// "now", so a repeated signal stops waiting.
import type { CappyServer } from './controls.js';

export interface ShutdownOptions {
  signals?: readonly NodeJS.Signals[];
  /**
   * Longest wait for accepted requests, in ms; past it they fail with 503
   * and their connections close. Default: no limit.
   */
  drainTimeoutMs?: number;
  /** Runs after the last request is answered, e.g. scorer.dispose(). */
  afterDrain?: () => Promise<void>;
  /** Called once a signal arrives (or begin() is called). */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** Called on a second signal while draining; by default nothing more happens. */
  onForce?: (signal: NodeJS.Signals) => void;
  /** Called when the drain timeout passes, with the number of requests failed. */
  onTimeout?: (failed: number) => void;
}

export interface ShutdownHandle {
  /** Resolves with the signal's name once drained and afterDrain has run. */
  readonly done: Promise<NodeJS.Signals>;
  /** True when the drain timeout passed and requests were failed. */
  readonly timedOut: boolean;
  /** Starts the shutdown as if `signal` had arrived (e.g. after a model failed to load). */
  begin(signal?: NodeJS.Signals): void;
  /** Removes the signal handlers (for tests and for callers that shut down otherwise). */
  remove(): void;
}

/** How long, after failing the stragglers, their answers get before their connections are cut. */
const FLUSH_MS = 2000;

export function installShutdown(server: CappyServer, options: ShutdownOptions = {}): ShutdownHandle {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let resolveDone!: (s: NodeJS.Signals) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<NodeJS.Signals>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  let started = false;
  let timedOut = false;

  const drainBounded = async (): Promise<void> => {
    const drained = server.cappy.drain();
    if (options.drainTimeoutMs === undefined) return drained;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), options.drainTimeoutMs)));
    const first = await Promise.race([drained.then(() => 'drained' as const), expired]);
    clearTimeout(timer);
    if (first === 'drained') return;
    timedOut = true;
    options.onTimeout?.(server.cappy.abortInFlight());
    // The failed requests answer at once; a connection that still will not
    // finish (a client that stopped reading) is cut.
    const flushed = await Promise.race([drained.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), FLUSH_MS).unref())]);
    if (!flushed) server.server.closeAllConnections();
    await drained;
  };

  const begin = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (started) {
      options.onForce?.(signal);
      return;
    }
    started = true;
    options.onSignal?.(signal);
    drainBounded()
      .then(() => options.afterDrain?.())
      .then(() => resolveDone(signal), rejectDone);
  };
  for (const s of signals) process.on(s, begin);
  return {
    done,
    get timedOut() {
      return timedOut;
    },
    begin,
    remove() {
      for (const s of signals) process.off(s, begin);
    },
  };
}
