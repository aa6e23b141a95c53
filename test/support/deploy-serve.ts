// Starts a `cappy serve` the way a container would (a command line and
// environment variables, nothing else), for the deploy tests: it resolves once
// the server prints its address; readiness is then polled over HTTP, as a
// probe would.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Served {
  proc: ChildProcess;
  base: string;
  /** stderr so far. */
  log: () => string;
  /** Resolves with the exit code (or the signal's name) once the process ends. */
  exited: Promise<number | string | null>;
}

export async function startEntrypoint(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Served> {
  const proc = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | string | null>((r) => proc.once('exit', (code, signal) => r(code ?? signal)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no address in 120 s:\n${stderr}`)), 120_000);
    const look = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace('0.0.0.0', '127.0.0.1'));
      }
    };
    proc.stderr!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening:\n${stderr}`));
    });
  });
  return { proc, base, log: () => stderr, exited };
}

/** Polls GET base+path until it answers 200 (a startup probe), or fails after `ms`. */
export async function waitFor200(base: string, path: string, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    try {
      const r = await fetch(base + path);
      if (r.status === 200) return;
      last = `${r.status} ${await r.text()}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${path} never answered 200; last: ${last}`);
}
