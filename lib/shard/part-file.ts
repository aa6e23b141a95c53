// Part files: what one shard of `cappy score` writes, and how a finished one
// is recognised. A part is OUTPUT.part-IIIII-of-NNNNN: the shard's JSONL rows
// (global `index`, so merging is a plain interleave) and, as its last line, a
// trailer naming the shard, the count and the input it was cut from. It is
// written under a temporary name and renamed when complete, so the final name
// only ever holds a whole part: a shard whose part exists is done.
import { createHash, type Hash } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { ShardError } from '../errors/index.js';
import type { Shard } from './spec.js';

/** The input a run was cut from: its bytes and their SHA-256, and its row count. */
export interface InputIdentity {
  bytes: number;
  sha256: string;
  /** Non-blank lines: the rows `cappy score` numbers. */
  rows: number;
}

export interface PartTrailer {
  version: 1;
  shard: number;
  count: number;
  /** Rows in this part. */
  rows: number;
  input: InputIdentity;
}

const TRAILER_KEY = 'cappy_part';

/** OUTPUT.part-00002-of-00004 (five digits at least, so names sort in shard order). */
export function partPath(output: string, shard: Shard): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `${output}.part-${pad(shard.index)}-of-${pad(shard.count)}`;
}

/** A unique temporary name beside the part: concurrent retries of one shard never share one. */
export function tempPathFor(part: string): string {
  return `${part}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

export function trailerLine(t: PartTrailer): string {
  return JSON.stringify({ [TRAILER_KEY]: t }) + '\n';
}

function checkTrailer(v: unknown, file: string): PartTrailer {
  const t = (v as Record<string, unknown> | null)?.[TRAILER_KEY] as Partial<PartTrailer> | undefined;
  const int = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (
    !t ||
    t.version !== 1 ||
    !int(t.shard) ||
    !int(t.count) ||
    !int(t.rows) ||
    !t.input ||
    !int(t.input.bytes) ||
    !int(t.input.rows) ||
    typeof t.input.sha256 !== 'string'
  ) {
    throw new ShardError(`${file} is not a complete cappy part file (its last line is not a part trailer)`);
  }
  return t as PartTrailer;
}

/**
 * Reads the trailer (the last line) of a part file without reading the rows.
 * Throws ShardError when the file does not end in one.
 */
export async function readTrailer(file: string): Promise<PartTrailer> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    // A trailer is a few hundred bytes; read enough to hold it whole.
    const want = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(want);
    await fh.read(buf, 0, want, size - want);
    const text = buf.toString('utf8');
    if (!text.endsWith('\n')) throw new ShardError(`${file} is not a complete cappy part file (no final newline)`);
    const start = text.lastIndexOf('\n', text.length - 2) + 1;
    let v: unknown;
    try {
      v = JSON.parse(text.slice(start, -1));
    } catch {
      v = undefined;
    }
    return checkTrailer(v, file);
  } finally {
    await fh.close();
  }
}

/** Passes bytes through while hashing them and counting them: one read of the input gives both rows and identity. */
export class HashingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  /** The hex SHA-256 of what passed; call once, after the end. */
  digest(): string {
    return this.#hash.digest('hex');
  }
}

export function sameInput(a: InputIdentity, b: InputIdentity): boolean {
  return a.bytes === b.bytes && a.sha256 === b.sha256 && a.rows === b.rows;
}

export function describeInput(i: InputIdentity): string {
  return `${i.bytes} bytes, ${i.rows} rows, sha256 ${i.sha256.slice(0, 12)}…`;
}

/** The parts found beside OUTPUT, by shard count: count → index → path. */
export async function findParts(output: string): Promise<Map<number, Map<number, string>>> {
  const dir = dirname(output);
  const prefix = basename(output) + '.part-';
  const re = /^(\d{5,})-of-(\d{5,})$/;
  const found = new Map<number, Map<number, string>>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return found;
    throw e;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = re.exec(name.slice(prefix.length));
    if (!m) continue; // temporary files of unfinished shards, and anything else
    const index = Number(m[1]);
    const count = Number(m[2]);
    if (!found.has(count)) found.set(count, new Map());
    found.get(count)!.set(index, join(dir, name));
  }
  return found;
}
