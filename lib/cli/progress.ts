// Progress for long CLI runs, on stderr so stdout stays clean for results:
// a cli-progress bar when stderr is a terminal, and plain lines otherwise
// (logs and CI keep a readable trace instead of carriage-return noise).
import cliProgress from 'cli-progress';

export interface Progress {
  /** `done` items finished so far (monotonic). */
  update(done: number): void;
  stop(): void;
}

/** `label` names the command, `unit` what is counted (e.g. 'pairs'). */
export function startProgress(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: ` ${label} {bar} {percentage}% | {value}/{total} ${unit} | eta {eta_formatted}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  // Plain lines: one per tenth of the work, and the last one always.
  const step = Math.max(1, Math.ceil(total / 10));
  let nextAt = step;
  let last = -1;
  const line = (done: number) => {
    last = done;
    stream.write(`${label}: ${done}/${total} ${unit} (${Math.floor((100 * done) / Math.max(1, total))}%)\n`);
  };
  return {
    update(done) {
      if (done >= nextAt && done < total) {
        line(done);
        nextAt = (Math.floor(done / step) + 1) * step;
      } else if (done >= total && last !== total) {
        line(total);
      }
    },
    stop() {
      // Nothing to clear: every line is already complete.
    },
  };
}
