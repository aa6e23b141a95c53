// How the addon loads ONNX Runtime so that it can live beside another ORT in
// the same process: onnxruntime-node, which transformers.js runs on, ships its
// own libonnxruntime.so.1 under the same soname as ours. The ways, their
// measured costs and their limits are in docs/ort-loading.md.
//
//   copy (default)  a copy of the library whose DT_SONAME is renamed to
//                   libcappyonnxrt.so.1 (same length, so nothing else in the
//                   file moves), made once per ORT file in <CAPPY_HOME>/ort.
//                   The dynamic linker then never hands our ORT to a library
//                   that asks for libonnxruntime.so.1, in either load order.
//   reuse           the ORT already loaded as libonnxruntime.so.1 (onnxruntime-
//                   node's) when its API is new enough, else the copy.
//   plain           the file as it is (the old way; with CAPPY_ORT_LIB pointing
//                   at onnxruntime-node's library, both share that one ORT).
//
// CAPPY_ORT_LOAD picks one; everything else about which ORT is in
// ort-library.ts. dlmopen (ORT in a link namespace of its own) was measured
// and dropped: that namespace's libc sets up its per-thread state (the ctype
// tables) only on threads it creates, so the first ORT call from a libuv
// thread crashed in isalnum (docs/ort-loading.md).
import { randomBytes, createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidInputError, ModelLoadError } from '../errors/index.js';
import type { NativeOrtLink } from '../native.js';
import { cacheRoot } from '../model/cache.js';
import { elfSoname, renameSoname } from './elf-soname.js';

export const ORT_LOAD_MODES = ['copy', 'reuse', 'plain'] as const;
export type OrtLoadMode = (typeof ORT_LOAD_MODES)[number];

/** What the addon is asked to load, and how. */
export interface OrtLoadPlan {
  mode: OrtLoadMode;
  /** The file handed to dlopen: the renamed copy with 'copy' and 'reuse'. */
  libraryPath: string;
  link: NativeOrtLink;
}

/** CAPPY_ORT_LOAD, default 'copy'. */
export function ortLoadMode(env: NodeJS.ProcessEnv = process.env): OrtLoadMode {
  const value = env.CAPPY_ORT_LOAD || 'copy';
  if (!(ORT_LOAD_MODES as readonly string[]).includes(value)) {
    throw new InvalidInputError(`CAPPY_ORT_LOAD=${value} is not one of ${ORT_LOAD_MODES.join(', ')}`);
  }
  return value as OrtLoadMode;
}

/** The soname our copy carries: 'onnxruntime' becomes 'cappyonnxrt', as long. */
export function isolatedSoname(soname: string): string | undefined {
  return soname.includes('onnxruntime') ? soname.replace('onnxruntime', 'cappyonnxrt') : undefined;
}

/**
 * The copy of `source` with a soname of our own, in a folder of its own
 * beside links to everything else in the source's folder (ORT loads its
 * provider libraries, libonnxruntime_providers_shared.so first, from its own
 * folder). Made once: the folder is keyed by the source's path, size and
 * mtime and written under a temporary name, then renamed, so concurrent
 * processes never see half a copy. Returns `source` itself when its soname
 * cannot clash (it names no onnxruntime).
 */
export function isolatedOrtCopy(source: string, env: NodeJS.ProcessEnv = process.env): string {
  const st = statSync(source);
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  // <which file>-<which version of it>: a new version of the same file replaces the old copy.
  const key = `${hash(source).slice(0, 12)}-${hash(`${st.size}\0${st.mtimeMs}`).slice(0, 8)}`;
  const roots = [join(cacheRoot(env), 'ort'), join(tmpdir(), `cappy-ort-${process.getuid?.() ?? 'user'}`)];
  const failures: string[] = [];
  const noexec: string[] = [];
  for (const root of roots) {
    // A copy on a noexec mount is written fine and then cannot be mapped.
    if (onNoexecMount(root)) {
      noexec.push(root);
      continue;
    }
    const dir = join(root, key);
    const made = readyCopy(dir);
    if (made) return made;
    try {
      return makeCopy(source, root, dir);
    } catch (e) {
      if (e instanceof NoClash) return source;
      failures.push(`${root}: ${(e as Error).message}`);
    }
  }
  if (failures.length === 0) throw new ModelLoadError(noexecMessage(noexec));
  throw new ModelLoadError(
    `cannot make the isolated copy of ONNX Runtime ${source} (${failures.join('; ')}` +
      `${noexec.length > 0 ? `; on noexec filesystems: ${noexec.join(', ')}` : ''}). ` +
      'Make CAPPY_HOME writable, or set CAPPY_ORT_LOAD=plain (no copy, and no isolation from onnxruntime-node).',
  );
}

/**
 * Why the copy cannot be used when every folder for it is on a noexec mount
 * (a container's --read-only root with plain --tmpfs mounts), and the three
 * setups that work (docs/scale-out.md, "Read-only root").
 */
export function noexecMessage(roots: readonly string[]): string {
  return (
    `cannot load the isolated copy of ONNX Runtime: ${roots.join(' and ')} ${roots.length > 1 ? 'are' : 'is'} on a filesystem mounted noexec, ` +
    'where a shared library cannot be mapped. Use one of: an exec mount for CAPPY_HOME ' +
    '(docker run --read-only --tmpfs /var/cache/cappy:exec,uid=1000,gid=1000 ...), ' +
    'a named volume for it (-v cappy-cache:/var/cache/cappy; in Kubernetes an emptyDir), ' +
    'or CAPPY_ORT_LOAD=plain (ONNX Runtime loaded where it is installed: no copy, and no isolation from onnxruntime-node in the same process).'
  );
}

/** Octal escapes of /proc mount fields (a space is \040). */
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Whether `dir` (or, when it does not exist yet, its nearest existing
 * parent, symlinks resolved) lies on a mount with `noexec`, by
 * /proc/self/mountinfo. False where that cannot be read (not Linux).
 */
export function onNoexecMount(dir: string): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return false;
  }
  let path = resolve(dir);
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  try {
    path = realpathSync(path);
  } catch {
    // keep the path as resolved
  }
  return noexecIn(text, path);
}

/**
 * Whether the absolute `path` is on a noexec mount of the mountinfo `text`
 * (proc(5)): the mount with the longest mount point holding the path
 * decides, the last listed winning at one point (a later mount hides an
 * earlier one).
 */
export function noexecIn(text: string, path: string): boolean {
  let best = -1;
  let noexec = false;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 6) continue;
    const point = unescapeMount(fields[4]);
    const inside = path === point || path.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && point.length >= best) {
      best = point.length;
      noexec = fields[5].split(',').includes('noexec');
    }
  }
  return noexec;
}

class NoClash extends Error {}

/** The library in a finished copy folder, if there is one. */
function readyCopy(dir: string): string | undefined {
  try {
    const lib = readdirSync(dir).find((f) => f.startsWith('libcappyonnxrt'));
    return lib ? join(dir, lib) : undefined;
  } catch {
    return undefined;
  }
}

function makeCopy(source: string, root: string, dir: string): string {
  const soname = elfSoname(source);
  const renamed = soname && isolatedSoname(soname);
  if (!renamed) throw new NoClash();
  mkdirSync(root, { recursive: true });
  const work = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  mkdirSync(work);
  try {
    copyFileSync(source, join(work, renamed));
    renameSoname(join(work, renamed), renamed);
    const from = dirname(source);
    for (const f of readdirSync(from)) {
      // Everything but ORT itself: the provider libraries it loads by path from its own folder.
      if (f.startsWith('libonnxruntime.so') || f === basename(source) || !/\.so(\.|$)/.test(f)) continue;
      symlinkSync(join(from, f), join(work, f));
    }
    renameSync(work, dir);
    removeStale(root, basename(dir));
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    const made = readyCopy(dir); // another process finished first
    if (made) return made;
    throw e;
  }
  return join(dir, renamed);
}

/**
 * Removes older copies of the same source file (same key prefix). A process
 * still running one keeps its mapping: unlinking a mapped file frees nothing
 * until it is unmapped.
 */
function removeStale(root: string, current: string): void {
  const prefix = current.slice(0, current.indexOf('-') + 1);
  for (const f of readdirSync(root)) {
    if (f !== current && f.startsWith(prefix) && !f.includes('.')) rmSync(join(root, f), { recursive: true, force: true });
  }
}

/** The plan for loading `library` (from resolveOrtLibrary) the way `mode` says. */
export function planOrtLoad(library: string, mode: OrtLoadMode = ortLoadMode(), env: NodeJS.ProcessEnv = process.env): OrtLoadPlan {
  switch (mode) {
    case 'copy':
      return { mode, libraryPath: isolatedOrtCopy(library, env), link: 'path' };
    case 'reuse':
      return { mode, libraryPath: isolatedOrtCopy(library, env), link: 'reuse' };
    case 'plain':
      return { mode, libraryPath: library, link: 'path' };
  }
}
