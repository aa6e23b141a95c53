// Renames a shared library's DT_SONAME in place, to a name of the same length,
// so the file's layout does not change. Used to give our copy of ONNX Runtime
// a soname no one else asks for (see ort-load.ts for why).
//
// The file is read and patched in place through positional reads and writes
// of the few small sections involved, never loaded whole (ORT is ~28 MB).
// Only 64-bit little-endian ELF files (Linux x64/arm64) are handled. The
// rename is refused when any other string in .dynstr shares bytes with the
// soname (the linker may merge a string with the tail of a longer one), since
// rewriting it would then rename that string too.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const SHT_GNU_VERDEF = 0x6ffffffd;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NULL = 0n;
const DT_SONAME = 14n;
/** Dynamic tags whose value is an offset into .dynstr. */
const DT_STRING_TAGS = new Set([
  1n /* NEEDED */,
  14n /* SONAME */,
  15n /* RPATH */,
  29n /* RUNPATH */,
  0x7ffffffdn /* AUXILIARY */,
  0x7fffffffn /* FILTER */,
]);
const VER_FLG_BASE = 1;

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

/** Positional reads of one open file. */
class ElfFile {
  constructor(
    readonly fd: number,
    readonly path: string,
  ) {}
  read(offset: number, length: number): Buffer {
    const b = Buffer.alloc(length);
    if (readSync(this.fd, b, 0, length, offset) !== length) throw new Error(`${this.path}: truncated ELF file`);
    return b;
  }
  /** A NUL-terminated string at `offset` inside `table` (a section's bytes). */
  static str(table: Buffer, offset: number): string {
    const end = table.indexOf(0, offset);
    return table.toString('latin1', offset, end < 0 ? table.length : end);
  }
}

function sections(file: ElfFile): Section[] {
  const h = file.read(0, 64);
  if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) {
    throw new Error(`${file.path} is not a 64-bit little-endian ELF file`);
  }
  const shoff = Number(h.readBigUInt64LE(0x28));
  const shentsize = h.readUInt16LE(0x3a);
  const shnum = h.readUInt16LE(0x3c);
  if (shoff === 0 || shnum === 0) throw new Error(`${file.path} has no ELF section headers`);
  const table = file.read(shoff, shentsize * shnum);
  return Array.from({ length: shnum }, (_, i) => {
    const at = i * shentsize;
    return {
      type: table.readUInt32LE(at + 4),
      offset: Number(table.readBigUInt64LE(at + 0x18)),
      size: Number(table.readBigUInt64LE(at + 0x20)),
      link: table.readUInt32LE(at + 0x28),
      entsize: Number(table.readBigUInt64LE(at + 0x38)),
    };
  });
}

/** The SysV ELF hash, which version definitions record for their name. */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name, 'latin1')) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h &= ~g >>> 0;
  }
  return h >>> 0;
}

interface Soname {
  /** File offset of the soname's first byte in .dynstr. */
  at: number;
  /** Its offset inside .dynstr. */
  strOffset: number;
  name: string;
  /** File offset of the base version definition's vd_hash, when it names the soname. */
  verdefHashAt?: number;
  /** Every other .dynstr offset the file refers to. */
  otherRefs: number[];
}

function readSoname(file: ElfFile): Soname | undefined {
  const all = sections(file);
  const dynamic = all.find((s) => s.type === SHT_DYNAMIC);
  if (!dynamic) return undefined;
  const dynstr = all[dynamic.link];
  const strings = file.read(dynstr.offset, dynstr.size);
  const dyn = file.read(dynamic.offset, dynamic.size);
  let strOffset: number | undefined;
  const refs: number[] = [];
  for (let e = 0; e + 16 <= dyn.length; e += 16) {
    const tag = dyn.readBigInt64LE(e);
    if (tag === DT_NULL) break;
    if (!DT_STRING_TAGS.has(tag)) continue;
    const value = Number(dyn.readBigUInt64LE(e + 8));
    if (tag === DT_SONAME) strOffset = value;
    else refs.push(value);
  }
  if (strOffset === undefined) return undefined;
  const found: Soname = { at: dynstr.offset + strOffset, strOffset, name: ElfFile.str(strings, strOffset), otherRefs: refs };
  for (const s of all) {
    if (s.link !== dynamic.link || s.size === 0) continue;
    if (s.type === SHT_DYNSYM) {
      const syms = file.read(s.offset, s.size);
      for (let e = 0; e + 24 <= syms.length; e += s.entsize || 24) refs.push(syms.readUInt32LE(e));
    } else if (s.type === SHT_GNU_VERDEF) {
      // Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32;
      // Verdaux: vda_name u32, vda_next u32.
      const v = file.read(s.offset, s.size);
      for (let d = 0; ;) {
        const flags = v.readUInt16LE(d + 2);
        let aux = d + v.readUInt32LE(d + 12);
        for (let a = 0, n = v.readUInt16LE(d + 6); a < n; a++) {
          const name = v.readUInt32LE(aux);
          if (a === 0 && flags & VER_FLG_BASE && name === strOffset) found.verdefHashAt = s.offset + d + 8;
          else refs.push(name);
          const next = v.readUInt32LE(aux + 4);
          if (next === 0) break;
          aux += next;
        }
        const next = v.readUInt32LE(d + 16);
        if (next === 0) break;
        d += next;
      }
    } else if (s.type === SHT_GNU_VERNEED) {
      // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32;
      // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
      const v = file.read(s.offset, s.size);
      for (let d = 0; ;) {
        refs.push(v.readUInt32LE(d + 4));
        let aux = d + v.readUInt32LE(d + 8);
        for (let a = 0, n = v.readUInt16LE(d + 2); a < n; a++) {
          refs.push(v.readUInt32LE(aux + 8));
          const next = v.readUInt32LE(aux + 12);
          if (next === 0) break;
          aux += next;
        }
        const next = v.readUInt32LE(d + 12);
        if (next === 0) break;
        d += next;
      }
    }
  }
  return found;
}

function withFile<T>(path: string, flags: 'r' | 'r+', fn: (file: ElfFile) => T): T {
  const fd = openSync(path, flags);
  try {
    return fn(new ElfFile(fd, path));
  } finally {
    closeSync(fd);
  }
}

/** The DT_SONAME of the ELF shared library at `path`, or undefined when it has none. */
export function elfSoname(path: string): string | undefined {
  return withFile(path, 'r', (file) => readSoname(file)?.name);
}

/**
 * Rewrites the DT_SONAME of the library at `path` (and the base version
 * definition naming it) to `next`, in place; `next` must be as long as the
 * current soname. Throws when the file has no soname, the lengths differ, or
 * another string shares the soname's bytes.
 */
export function renameSoname(path: string, next: string): void {
  withFile(path, 'r+', (file) => {
    const soname = readSoname(file);
    if (!soname) throw new Error(`${path} has no DT_SONAME`);
    if (next.length !== soname.name.length || /[^\x21-\x7e]/.test(next)) {
      throw new Error(`new soname '${next}' must be printable ASCII as long as '${soname.name}'`);
    }
    const end = soname.strOffset + soname.name.length;
    const shared = soname.otherRefs.find((r) => r >= soname.strOffset && r < end);
    if (shared !== undefined) {
      throw new Error(`another string in .dynstr overlaps the soname '${soname.name}' (offset ${shared})`);
    }
    writeSync(file.fd, Buffer.from(next, 'latin1'), 0, next.length, soname.at);
    if (soname.verdefHashAt !== undefined) {
      const hash = Buffer.alloc(4);
      hash.writeUInt32LE(elfHash(next));
      writeSync(file.fd, hash, 0, 4, soname.verdefHashAt);
    }
  });
}
