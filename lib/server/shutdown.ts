// Graceful shutdown on SIGTERM / SIGINT: stop accepting, answer every request
// already accepted, release the scorer, and only then let the process end.
// Orchestrators send SIGTERM and wait; an operator's second Ctrl-C means
// "now", so a repeated signal stops waiting.
import type { CappyServer } from './index.js';

export interface ShutdownOptions {
  signals?: readonly NodeJS.Signals[];
  /** Runs after the last request is answered, e.g. scorer.dispose(). */
  afterDrain?: () => Promise<void>;
  /** Called once a signal arrives. */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** Called on a second signal while draining; by default nothing more happens. */
  onForce?: (signal: NodeJS.Signals) => void;
}

export interface ShutdownHandle {
  /** Resolves with the signal's name once drained and afterDrain has run. */
  readonly done: Promise<NodeJS.Signals>;
  /** Removes the signal handlers (for tests and for callers that shut down otherwise). */
  remove(): void;
}

export function installShutdown(server: CappyServer, options: ShutdownOptions = {}): ShutdownHandle {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let resolveDone!: (s: NodeJS.Signals) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<NodeJS.Signals>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) {
      options.onForce?.(signal);
      return;
    }
    started = true;
    options.onSignal?.(signal);
    server.cappy
      .drain()
      .then(() => options.afterDrain?.())
      .then(() => resolveDone(signal), rejectDone);
  };
  for (const s of signals) process.on(s, handler);
  return {
    done,
    remove() {
      for (const s of signals) process.off(s, handler);
    },
  };
}
