// A structural scan of a msgpack file through a file handle. A flax checkpoint
// is one msgpack map whose leaves are ext values carrying whole arrays, so a
// plain decoder needs the whole file (1.4 GB for Cappy) in memory. This walks
// only the type headers: maps and small scalars become a tree, and each ext
// value is recorded as (type, offset, length) without reading its payload.
// The payloads are decoded later, one at a time (see flax.ts).
import type { FileHandle } from 'node:fs/promises';
import { ModelLoadError } from '../errors/index.js';

export type ScanNode =
  | { kind: 'map'; entries: [string, ScanNode][] }
  | { kind: 'array'; items: ScanNode[] }
  | { kind: 'ext'; type: number; offset: number; length: number }
  | { kind: 'scalar'; value: string | number | boolean | null }
  | { kind: 'skipped'; what: string };

const WINDOW = 64 * 1024;
// Keys and small strings are read; longer strings or bins are skipped.
const MAX_INLINE = 4096;
const MAX_DEPTH = 64;

/** Buffered forward reads with cheap skips, so headers cost no syscall each. */
class Cursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly what: string,
  ) {}

  fail(why: string): never {
    throw new ModelLoadError(`${this.what}: ${why} (at byte ${this.pos})`);
  }

  async take(n: number): Promise<Buffer> {
    if (this.pos + n > this.size) this.fail('msgpack data ends early');
    const off = this.pos - this.bufStart;
    if (off < 0 || off + n > this.buf.length) {
      const len = Math.min(Math.max(n, WINDOW), this.size - this.pos);
      this.buf = Buffer.alloc(len);
      await this.fh.read(this.buf, 0, len, this.pos);
      this.bufStart = this.pos;
    }
    const start = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }

  skip(n: number): void {
    if (this.pos + n > this.size) this.fail('msgpack data ends early');
    this.pos += n;
  }

  async u8(): Promise<number> {
    return (await this.take(1))[0];
  }

  async uint(bytes: 1 | 2 | 4): Promise<number> {
    const b = await this.take(bytes);
    return bytes === 1 ? b[0] : bytes === 2 ? b.readUInt16BE(0) : b.readUInt32BE(0);
  }
}

export async function scanMsgpack(fh: FileHandle, what: string): Promise<ScanNode> {
  const { size } = await fh.stat();
  const cur = new Cursor(fh, size, what);
  const root = await value(cur, 0);
  if (cur.pos !== size) cur.fail(`${size - cur.pos} trailing bytes after the msgpack value`);
  return root;
}

async function str(cur: Cursor, len: number): Promise<ScanNode> {
  if (len > MAX_INLINE) {
    cur.skip(len);
    return { kind: 'skipped', what: `string of ${len} bytes` };
  }
  return { kind: 'scalar', value: (await cur.take(len)).toString('utf8') };
}

async function ext(cur: Cursor, len: number): Promise<ScanNode> {
  const type = (await cur.take(1)).readInt8(0);
  const offset = cur.pos;
  cur.skip(len);
  return { kind: 'ext', type, offset, length: len };
}

async function map(cur: Cursor, n: number, depth: number): Promise<ScanNode> {
  const entries: [string, ScanNode][] = [];
  for (let i = 0; i < n; i++) {
    const k = await value(cur, depth + 1);
    // flax state dicts key every level by string (list indices become '0', '1', ...).
    if (k.kind !== 'scalar' || (typeof k.value !== 'string' && typeof k.value !== 'number')) {
      cur.fail('a map key that is not a string or number');
    }
    entries.push([String(k.value), await value(cur, depth + 1)]);
  }
  return { kind: 'map', entries };
}

async function array(cur: Cursor, n: number, depth: number): Promise<ScanNode> {
  const items: ScanNode[] = [];
  for (let i = 0; i < n; i++) items.push(await value(cur, depth + 1));
  return { kind: 'array', items };
}

async function value(cur: Cursor, depth: number): Promise<ScanNode> {
  if (depth > MAX_DEPTH) cur.fail('msgpack nesting deeper than any checkpoint');
  const t = await cur.u8();
  if (t <= 0x7f) return { kind: 'scalar', value: t };
  if (t >= 0xe0) return { kind: 'scalar', value: t - 0x100 };
  if (t >= 0x80 && t <= 0x8f) return map(cur, t & 0x0f, depth);
  if (t >= 0x90 && t <= 0x9f) return array(cur, t & 0x0f, depth);
  if (t >= 0xa0 && t <= 0xbf) return str(cur, t & 0x1f);
  switch (t) {
    case 0xc0:
      return { kind: 'scalar', value: null };
    case 0xc2:
      return { kind: 'scalar', value: false };
    case 0xc3:
      return { kind: 'scalar', value: true };
    case 0xc4:
    case 0xc5:
    case 0xc6: {
      const len = await cur.uint(t === 0xc4 ? 1 : t === 0xc5 ? 2 : 4);
      cur.skip(len);
      return { kind: 'skipped', what: `bin of ${len} bytes` };
    }
    case 0xc7:
      return ext(cur, await cur.uint(1));
    case 0xc8:
      return ext(cur, await cur.uint(2));
    case 0xc9:
      return ext(cur, await cur.uint(4));
    case 0xca:
      return { kind: 'scalar', value: (await cur.take(4)).readFloatBE(0) };
    case 0xcb:
      return { kind: 'scalar', value: (await cur.take(8)).readDoubleBE(0) };
    case 0xcc:
      return { kind: 'scalar', value: await cur.uint(1) };
    case 0xcd:
      return { kind: 'scalar', value: await cur.uint(2) };
    case 0xce:
      return { kind: 'scalar', value: await cur.uint(4) };
    case 0xcf:
      return { kind: 'scalar', value: Number((await cur.take(8)).readBigUInt64BE(0)) };
    case 0xd0:
      return { kind: 'scalar', value: (await cur.take(1)).readInt8(0) };
    case 0xd1:
      return { kind: 'scalar', value: (await cur.take(2)).readInt16BE(0) };
    case 0xd2:
      return { kind: 'scalar', value: (await cur.take(4)).readInt32BE(0) };
    case 0xd3:
      return { kind: 'scalar', value: Number((await cur.take(8)).readBigInt64BE(0)) };
    case 0xd4:
      return ext(cur, 1);
    case 0xd5:
      return ext(cur, 2);
    case 0xd6:
      return ext(cur, 4);
    case 0xd7:
      return ext(cur, 8);
    case 0xd8:
      return ext(cur, 16);
    case 0xd9:
      return str(cur, await cur.uint(1));
    case 0xda:
      return str(cur, await cur.uint(2));
    case 0xdb:
      return str(cur, await cur.uint(4));
    case 0xdc:
      return array(cur, await cur.uint(2), depth);
    case 0xdd:
      return array(cur, await cur.uint(4), depth);
    case 0xde:
      return map(cur, await cur.uint(2), depth);
    case 0xdf:
      return map(cur, await cur.uint(4), depth);
    default:
      return cur.fail(`msgpack type byte 0x${t.toString(16)} is not valid`);
  }
}
