// `cappy serve` as a child process for the serving benches: started with the
// built CLI, ready when it prints "ready:" (every model loaded and warmed),
// stopped with SIGTERM. Its CPU time is read from /proc, so a bench can say
// how the cores were shared between the server and the load generator.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

export interface Served {
  child: ChildProcess;
  url: string;
  /** ms from spawn to the "listening" line, and to the "ready" line. */
  listeningMs: number;
  readyMs: number;
  stderr: () => string;
}

export async function startServe(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'cappy.js'), 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  let listeningMs = 0;
  const url = await new Promise<string>((ok, fail) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m && !listeningMs) listeningMs = performance.now() - t0;
      if (m && /ready: /.test(err)) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`cappy serve exited ${code}: ${err}`)));
  });
  return { child, url, listeningMs, readyMs: performance.now() - t0, stderr: () => err };
}

export async function stopServe(s: Served): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}
