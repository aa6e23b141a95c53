// LLM answers kept on disk, one small JSON file per answer, named by the
// SHA-256 of what was asked: the endpoint kind, the decoding setting's name,
// model, prompt, the sampling settings sent, and the answer's index among
// those asked with the same setting. A rerun, or a run resumed after a crash, finds every answer it
// already paid for. The base URL is not part of the key: the same model
// behind another address answers the same request.
// Each file is written under a temporary name and renamed, so a killed run
// leaves whole answers or none; a file that does not parse is asked again.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const VERSION = 1;

export interface CachedAnswer {
  text: string;
}

export class GenerationCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The key of one answer. `request` must be built the same way every time (its field order is part of it). */
  static key(request: Record<string, unknown>, index: number): string {
    return createHash('sha256')
      .update(JSON.stringify({ v: VERSION, request, index }))
      .digest('hex');
  }

  #path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (v !== null && typeof v === 'object' && typeof (v as CachedAnswer).text === 'string') return { text: (v as CachedAnswer).text };
    } catch {
      // a damaged file: ask again
    }
    return undefined;
  }

  async put(key: string, answer: CachedAnswer, request: Record<string, unknown>, index: number): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify({ text: answer.text, request, index }) + '\n');
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }
}
