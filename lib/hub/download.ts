// One file from the hub, resumable and verified. The hub's HEAD on a resolve
// URL (without following the CDN redirect) says what the file must be:
// X-Linked-Etag / X-Linked-Size for LFS files (the etag is the sha256 of the
// content) and ETag / Content-Length for small git files (the etag is the git
// blob sha1). Bytes go to {dest}.part, which a later run continues with a
// Range request; only a file whose size and hash match is renamed into place,
// so a file at {dest} is always a verified one.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { ModelLoadError } from '../errors/index.js';

export interface RemoteFile {
  url: string;
  /** Content size when the hub reported it. */
  size?: number;
  /** 'sha256' for LFS files, 'git-sha1' for files stored in git. */
  checksum?: { kind: 'sha256' | 'git-sha1'; hex: string };
  /** The commit the hub resolved the revision to (X-Repo-Commit). */
  commit?: string;
}

export interface DownloadOptions {
  token?: string;
  /** Called as bytes arrive; `done` counts resumed bytes too. */
  onProgress?: (done: number, total: number | undefined) => void;
  /** How many times to resume after a broken connection (default 3). */
  retries?: number;
  signal?: AbortSignal;
}

function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function unquote(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

function httpError(url: string, status: number, token: string | undefined): ModelLoadError {
  const hint =
    status === 401 || status === 403
      ? token
        ? ' (HF_TOKEN was sent; does it grant access to this repository?)'
        : ' (gated or private? set HF_TOKEN)'
      : status === 404
        ? ' (no such repository, revision or file)'
        : '';
  const reason = status === 404 ? 'hub_not_found' : status === 401 || status === 403 ? 'hub_access_denied' : undefined;
  return new ModelLoadError(`hub request failed: ${status} for ${url}${hint}`, { reason });
}

/** HEAD without following the CDN redirect, so the hub's own headers are seen. */
export async function headFile(url: string, opts: DownloadOptions = {}): Promise<RemoteFile> {
  let target = url;
  // The hub redirects renamed repositories with relative Locations; those are
  // followed. An absolute one is the CDN: its headers are the hub's answer.
  for (let hop = 0; hop < 5; hop++) {
    const res = await fetch(target, {
      method: 'HEAD',
      redirect: 'manual',
      headers: { ...authHeaders(opts.token), 'accept-encoding': 'identity' },
      signal: opts.signal,
    });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location && location.startsWith('/')) {
      target = new URL(location, target).toString();
      continue;
    }
    if (res.status >= 400) throw httpError(url, res.status, opts.token);
    const linked = unquote(res.headers.get('x-linked-etag'));
    const etag = linked ?? unquote(res.headers.get('etag'));
    const sizeHeader = res.headers.get('x-linked-size') ?? (res.status < 300 ? res.headers.get('content-length') : null);
    const size = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : undefined;
    let checksum: RemoteFile['checksum'];
    if (etag && /^[0-9a-f]{64}$/.test(etag)) checksum = { kind: 'sha256', hex: etag };
    else if (etag && /^[0-9a-f]{40}$/.test(etag) && !linked) checksum = { kind: 'git-sha1', hex: etag };
    return { url: target, size, checksum, commit: res.headers.get('x-repo-commit') ?? undefined };
  }
  throw new ModelLoadError(`hub request failed: too many redirects for ${url}`);
}

function newHash(file: RemoteFile): Hash | undefined {
  if (!file.checksum) return undefined;
  if (file.checksum.kind === 'sha256') return createHash('sha256');
  // git hashes "blob <size>\0" + content; the size must be known up front.
  if (file.size === undefined) return undefined;
  return createHash('sha1').update(`blob ${file.size}\0`);
}

async function hashExisting(path: string, hash: Hash | undefined): Promise<void> {
  if (!hash) return;
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/**
 * Downloads `file` to `dest`, resuming {dest}.part, and verifies it. Returns
 * the number of bytes fetched over the network in this call.
 */
export async function downloadFile(file: RemoteFile, dest: string, opts: DownloadOptions = {}): Promise<number> {
  const release = await lockFile(`${dest}.lock`, dest);
  try {
    return await downloadLocked(file, dest, opts);
  } finally {
    await release();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Two pulls appending to one .part file would corrupt it, so each download
 * holds {dest}.lock with its pid. A lock whose process is gone (a crash) is
 * taken over.
 */
async function lockFile(lock: string, dest: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new ModelLoadError(`another process (pid ${pid}) is downloading ${dest}; wait for it, or remove ${lock} if it is stale`);
      }
      await rm(lock, { force: true });
    }
  }
  throw new ModelLoadError(`could not lock ${lock}`);
}

async function downloadLocked(file: RemoteFile, dest: string, opts: DownloadOptions): Promise<number> {
  const part = `${dest}.part`;
  const retries = opts.retries ?? 3;
  let fetched = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      fetched += await fetchIntoPart(file, part, opts);
      break;
    } catch (e) {
      // A broken connection resumes from what reached the disk; an HTTP or
      // checksum error does not get better by retrying.
      if (e instanceof ModelLoadError || opts.signal?.aborted || attempt >= retries) {
        if (e instanceof ModelLoadError) throw e;
        throw new ModelLoadError(
          `download of ${file.url} broke off (${(e as Error).message}); run the command again to resume from ${part}`,
          { cause: e },
        );
      }
    }
  }
  await verify(file, part);
  await rename(part, dest);
  return fetched;
}

async function fetchIntoPart(file: RemoteFile, part: string, opts: DownloadOptions): Promise<number> {
  let have = existsSync(part) ? (await stat(part)).size : 0;
  if (file.size !== undefined && have > file.size) {
    await rm(part, { force: true });
    have = 0;
  }
  if (file.size !== undefined && have === file.size) return 0; // complete, only the rename was lost
  const headers: Record<string, string> = { ...authHeaders(opts.token), 'accept-encoding': 'identity' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const res = await fetch(file.url, { headers, signal: opts.signal });
  if (res.status === 416 && have > 0) {
    // The server thinks we already have everything past the end: start over.
    await rm(part, { force: true });
    return fetchIntoPart(file, part, opts);
  }
  if (!res.ok) throw httpError(file.url, res.status, opts.token);
  let start = 0;
  if (res.status === 206) {
    const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== have) {
      throw new ModelLoadError(`hub answered a resume of ${file.url} at byte ${have} with ${res.headers.get('content-range')}`);
    }
    start = have;
  } // a 200 to a Range request is the whole file: overwrite the part
  const fh = await open(part, start > 0 ? 'a' : 'w');
  let done = start;
  try {
    if (!res.body) throw new ModelLoadError(`hub sent no body for ${file.url}`);
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      done += chunk.length;
      opts.onProgress?.(done, file.size);
    }
  } finally {
    await fh.close();
  }
  return done - start;
}

async function verify(file: RemoteFile, part: string): Promise<void> {
  const size = (await stat(part)).size;
  const fail = async (why: string): Promise<never> => {
    // A corrupt part must not be resumed: the next run starts clean.
    await rm(part, { force: true });
    throw new ModelLoadError(`${file.url}: ${why}; the partial file was removed, run the command again`);
  };
  if (file.size !== undefined && size !== file.size) await fail(`got ${size} bytes, the hub says ${file.size}`);
  const hash = newHash(file);
  if (!hash || !file.checksum) return;
  await hashExisting(part, hash);
  const got = hash.digest('hex');
  if (got !== file.checksum.hex) {
    await fail(`checksum mismatch: ${file.checksum.kind} is ${got}, the hub says ${file.checksum.hex}`);
  }
}
