// A folder written whole or not at all: it is filled under a temporary name
// beside its final path, then renamed into place. A folder already there is
// moved aside first and removed after, so at every moment the final path
// holds either the old complete folder or the new one.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A fresh temporary folder beside `finalPath` (same file system, so the rename is atomic). */
export async function makeTempDirBeside(finalPath: string, tag: string): Promise<string> {
  const tmp = join(dirname(finalPath), `.${basename(finalPath)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  return tmp;
}

/** Moves the filled `tmp` folder to `finalPath`, replacing what was there. */
export async function publishDir(tmp: string, finalPath: string): Promise<void> {
  try {
    await rename(tmp, finalPath);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
  }
  const aside = `${tmp}.replaced`;
  await rename(finalPath, aside);
  await rename(tmp, finalPath);
  await rm(aside, { recursive: true, force: true });
}
