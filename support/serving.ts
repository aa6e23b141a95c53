// Serving helpers the server tests and the serving benches share: the built
// `cappy serve` as a child process, and an in-process server on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createServer, type CappyServer, type CreateServerOptions, type ModelSource } from '../lib/server/index.js';

const root = resolve(import.meta.dirname, '..');

export interface ServeProcess {
  child: ChildProcess;
  /** The base URL, once it listens. */
  url: string;
  /** ms from spawn to the "listening" line, and to the "ready" line (0 when not waited for). */
  listeningMs: number;
  readyMs: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs `cappy serve ARGS --port 0` (the built CLI) and resolves once it
 * listens, or, with `ready`, once it also prints "ready:" (every model loaded
 * and warmed).
 */
export function startServe(
  args: string[],
  opts: { ready?: boolean; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ServeProcess> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'cappy.js'), 'serve', '--port', '0', ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let err = '';
  let listeningMs = 0;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.stderr!.setEncoding('utf8');
  return new Promise<ServeProcess>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`cappy serve did not start:\n${err}`)), opts.timeoutMs ?? 120_000);
    child.stderr!.on('data', (d: string) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m && !listeningMs) listeningMs = performance.now() - t0;
      if (m && (!opts.ready || /ready: /.test(err))) {
        clearTimeout(timer);
        ok({ child, url: m[1], listeningMs, readyMs: opts.ready ? performance.now() - t0 : 0, stderr: () => err, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`cappy serve exited ${code}:\n${err}`));
    });
  });
}

/** SIGTERM, and the exit code once it has drained. */
export async function stopServe(s: ServeProcess): Promise<number | null> {
  if (s.child.exitCode === null) s.child.kill('SIGTERM');
  return s.exited;
}

/** An in-process server on 127.0.0.1, and a JSON POST helper for it. */
export async function listening(source: ModelSource, opts: CreateServerOptions = {}) {
  const app: CappyServer = createServer(source, opts);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, base, post: (path: string, body: unknown) => postJson(base, path, body) };
}

export async function postJson(base: string, path: string, body: unknown) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: r.status, headers: r.headers, body: (await r.json()) as any };
}
