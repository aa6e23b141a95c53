// The isolated ORT copy (lib/runtime/ort-load.ts) and the ELF soname rewrite
// behind it (lib/runtime/elf-soname.ts), checked against binutils' readelf
// where it is installed. Loading the copy beside onnxruntime-node is
// test/model/coexist.test.ts.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors/index.js';
import { elfHash, elfSoname, renameSoname } from '../../lib/runtime/elf-soname.js';
import { packagedOrtLibrary } from '../../lib/runtime/ort-library.js';
import { isolatedOrtCopy, isolatedSoname, ortLoadMode, planOrtLoad } from '../../lib/runtime/ort-load.js';

const ort = packagedOrtLibrary();
const work = mkdtempSync(join(tmpdir(), 'cappy-ort-load-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const readelf = (args: string[], file: string) => {
  const r = spawnSync('readelf', [...args, file], { encoding: 'utf8' });
  return r.error ? undefined : r.stdout;
};

describe.skipIf(!ort)('ELF soname rewrite', () => {
  it('renames DT_SONAME and the base version definition in place, as readelf sees them', () => {
    const lib = join(work, 'rename.so');
    copyFileSync(ort!, lib);
    expect(elfSoname(lib)).toBe('libonnxruntime.so.1');
    renameSoname(lib, 'libcappyonnxrt.so.1');
    expect(elfSoname(lib)).toBe('libcappyonnxrt.so.1');
    const dyn = readelf(['-d'], lib);
    if (dyn !== undefined) {
      expect(dyn).toMatch(/\(SONAME\)\s+Library soname: \[libcappyonnxrt\.so\.1\]/);
      expect(readelf(['-V'], lib)).toMatch(/Flags: BASE\s+Index: 1\s+Cnt: 1\s+Name: libcappyonnxrt\.so\.1/);
    }
    // Nothing else moved: the files differ only in the renamed bytes and the 4-byte hash.
    const a = spawnSync('cmp', ['-l', ort!, lib], { encoding: 'utf8' });
    if (!a.error) expect(a.stdout.trim().split('\n').length).toBeLessThanOrEqual('onnxruntime'.length + 4);
  });

  it('refuses a name of another length, and a file with no soname', () => {
    const lib = join(work, 'refuse.so');
    copyFileSync(ort!, lib);
    expect(() => renameSoname(lib, 'libx.so.1')).toThrow(/as long as 'libonnxruntime\.so\.1'/);
    const notElf = join(work, 'not-elf');
    writeFileSync(notElf, 'hello');
    expect(() => elfSoname(notElf)).toThrow();
  });

  it('hashes names as the SysV ELF hash', () => {
    // Short strings by hand; 'printf' is the value quoted in ELF hash write-ups.
    expect(elfHash('')).toBe(0);
    expect(elfHash('a')).toBe(0x61);
    expect(elfHash('ab')).toBe(0x672);
    expect(elfHash('printf')).toBe(0x077905a6); // the worked example often quoted for the SysV hash
  });
});

describe.skipIf(!ort)('isolated ORT copy', () => {
  it('is made once per file version, beside links to the provider libraries, and replaces its older versions', () => {
    const src = join(work, 'pkg');
    mkdirSync(src, { recursive: true });
    copyFileSync(ort!, join(src, 'libonnxruntime.so'));
    const shared = join(dirname(ort!), 'libonnxruntime_providers_shared.so');
    if (existsSync(shared)) copyFileSync(shared, join(src, 'libonnxruntime_providers_shared.so'));
    const env = { CAPPY_HOME: join(work, 'home') };
    const copy = isolatedOrtCopy(join(src, 'libonnxruntime.so'), env);
    expect(basename(copy)).toBe('libcappyonnxrt.so.1');
    expect(copy.startsWith(join(work, 'home', 'ort'))).toBe(true);
    expect(elfSoname(copy)).toBe('libcappyonnxrt.so.1');
    if (existsSync(shared)) {
      const link = join(dirname(copy), 'libonnxruntime_providers_shared.so');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(join(src, 'libonnxruntime_providers_shared.so'));
    }
    const made = lstatSync(copy).mtimeMs;
    expect(isolatedOrtCopy(join(src, 'libonnxruntime.so'), env)).toBe(copy); // found, not made again
    expect(lstatSync(copy).mtimeMs).toBe(made);
    // A new version of the same file: a new copy, and the old one is gone.
    utimesSync(join(src, 'libonnxruntime.so'), new Date(), new Date(Date.now() + 5000));
    const next = isolatedOrtCopy(join(src, 'libonnxruntime.so'), env);
    expect(next).not.toBe(copy);
    expect(readdirSync(join(work, 'home', 'ort'))).toEqual([basename(dirname(next))]);
  });

  it('CAPPY_ORT_LOAD picks the way; copy is the default; a wrong value is an InvalidInputError', () => {
    expect(ortLoadMode({})).toBe('copy');
    expect(ortLoadMode({ CAPPY_ORT_LOAD: 'reuse' })).toBe('reuse');
    expect(() => ortLoadMode({ CAPPY_ORT_LOAD: 'namespace' })).toThrow(InvalidInputError);
    expect(planOrtLoad(ort!, 'plain')).toEqual({ mode: 'plain', libraryPath: ort, link: 'path' });
    expect(isolatedSoname('libonnxruntime.so.1')).toBe('libcappyonnxrt.so.1');
    expect(isolatedSoname('libz.so.1')).toBeUndefined();
  });
});
