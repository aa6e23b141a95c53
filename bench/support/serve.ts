// `cappy serve` for the serving benches: the tests' own helper (started with
// the built CLI; with `ready`, resolved once every model is loaded and warmed),
// plus the server's CPU time from /proc, so a bench can say how the cores were
// shared between the server and the load generator.
import { readFileSync } from 'node:fs';
import { startServe as start, stopServe, type ServeProcess } from '../../support/serving.js';

export type Served = ServeProcess;
export { stopServe };

export function startServe(args: string[], env: Record<string, string> = {}): Promise<Served> {
  return start(args, { ready: true, env });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}
