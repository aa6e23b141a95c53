// Runs one of the plain-JavaScript scripts in test/support in a process of
// its own (so a crash there is a signal here, and one case cannot hide
// another), passing its input as JSON in argv[2]; the script prints one JSON
// line last. The scratch CAPPY_HOME of the run is passed on.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface JsonChild<T> {
  /** The last stdout line parsed, or undefined when there was none. */
  out: T | undefined;
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export function runJsonChild<T>(
  script: string,
  input: unknown,
  options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): JsonChild<T> {
  const r = spawnSync(process.execPath, [join(repoRoot, 'test', 'support', script), JSON.stringify(input)], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, CAPPY_HOME: inject('cappyHome'), ...options.env },
  });
  let out: T | undefined;
  try {
    out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    out = undefined;
  }
  return { out, status: r.status, signal: r.signal, stderr: r.stderr };
}
