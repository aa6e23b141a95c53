// Which execution provider a scorer runs on, and everything it needs, checked
// before ONNX Runtime is asked to load it: a missing EP package, CUDA library,
// driver or GPU becomes one DeviceUnavailableError that names every missing
// piece and how to install it, never a crash or a bare dlopen message.
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DeviceUnavailableError } from '../errors/index.js';
import type { NativeExecutionProvider } from '../native.js';

/** Where a model may run (the Scorer's `device` option): 'auto' tries TensorRT, then CUDA, then the CPU. */
export const DEVICES = ['cpu', 'cuda', 'tensorrt', 'auto'] as const;
export type Device = (typeof DEVICES)[number];

export const CUDA_EP_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu';
export const CUDA_EP_PACKAGE_VERSION = '0.4.9';
export const CUDA_EP_FILE = 'libonnxruntime_providers_cuda.so';
export const TENSORRT_EP_FILE = 'libonnxruntime_providers_tensorrt.so';
export const PROVIDERS_SHARED_FILE = 'libonnxruntime_providers_shared.so';

const INSTALL_CUDA_EP =
  `npm install ${CUDA_EP_PACKAGE}@${CUDA_EP_PACKAGE_VERSION} ` + '(or set CAPPY_ORT_CUDA_EP=/path/to/libonnxruntime_providers_cuda.so)';

/** What `scorer.info.execution` reports. */
export interface ExecutionInfo {
  requested: Device;
  executionProvider: NativeExecutionProvider;
  deviceId: number;
  ioBinding: boolean;
  /** Inputs are staged in the EP's pinned host memory. */
  pinnedBuffers: boolean;
  batchesInFlight: number;
  /** The plugin EP library loaded for 'cuda'. */
  epLibraryPath?: string;
  /** With 'auto': why each faster provider was skipped. */
  skipped?: string[];
}

/** One provider to try, with what it needs already found. */
export interface ExecutionCandidate {
  executionProvider: NativeExecutionProvider;
  epLibraryPath: string;
}

/** Only dlopen is needed from the addon; tests pass a fake. */
export interface LibraryLoader {
  loadLibrary(nameOrPath: string): string;
}

/** The CUDA plugin EP library: CAPPY_ORT_CUDA_EP, else beside the ORT library, else the npm package. */
export function findCudaEpLibrary(ortLibraryPath: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env.CAPPY_ORT_CUDA_EP;
  if (override) {
    if (!existsSync(override)) {
      throw new DeviceUnavailableError('cuda', `CAPPY_ORT_CUDA_EP points at ${override}, which does not exist`, {
        missing: [override],
      });
    }
    return override;
  }
  const beside = join(dirname(ortLibraryPath), CUDA_EP_FILE);
  if (existsSync(beside)) return beside;
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve(`${CUDA_EP_PACKAGE}/package.json`));
    const lib = join(pkgDir, 'Plugins', 'Linux', 'x64', CUDA_EP_FILE);
    return existsSync(lib) ? lib : undefined;
  } catch {
    return undefined;
  }
}

/** DT_NEEDED entries of a 64-bit little-endian ELF shared library, read from its section headers. */
export function elfNeeded(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    const read = (offset: number, length: number): Buffer => {
      const b = Buffer.alloc(length);
      const got = readSync(fd, b, 0, length, offset);
      if (got !== length) throw new Error(`${path}: truncated ELF file`);
      return b;
    };
    const header = read(0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) {
      throw new Error(`${path} is not a 64-bit little-endian ELF library`);
    }
    const shoff = Number(header.readBigUInt64LE(0x28));
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);
    const sections = read(shoff, shentsize * shnum);
    const section = (i: number) => ({
      type: sections.readUInt32LE(i * shentsize + 4),
      offset: Number(sections.readBigUInt64LE(i * shentsize + 0x18)),
      size: Number(sections.readBigUInt64LE(i * shentsize + 0x20)),
      link: sections.readUInt32LE(i * shentsize + 0x28),
    });
    const SHT_DYNAMIC = 6;
    const DT_NEEDED = 1n;
    for (let i = 0; i < shnum; i++) {
      const dyn = section(i);
      if (dyn.type !== SHT_DYNAMIC) continue;
      const strtab = section(dyn.link);
      const strings = read(strtab.offset, strtab.size);
      const entries = read(dyn.offset, dyn.size);
      const needed: string[] = [];
      for (let e = 0; e + 16 <= entries.length; e += 16) {
        const tag = entries.readBigInt64LE(e);
        if (tag === 0n) break;
        if (tag !== DT_NEEDED) continue;
        const start = Number(entries.readBigUInt64LE(e + 8));
        needed.push(strings.toString('latin1', start, strings.indexOf(0, start)));
      }
      return needed;
    }
    return [];
  } finally {
    closeSync(fd);
  }
}

/** Folders searched, by absolute path, for libraries the loader cannot find by name. */
export function extraLibraryDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.CAPPY_CUDA_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  for (const root of [env.CUDA_HOME, env.CUDA_PATH, '/usr/local/cuda']) {
    if (root) dirs.push(join(root, 'lib64'), join(root, 'targets', 'x86_64-linux', 'lib'));
  }
  return [...new Set(dirs)];
}

/**
 * Loads each library by name, else from extraLibraryDirs by path (once loaded,
 * ORT's own dlopen of the EP finds it by soname). Repeats while progress is
 * made, because one library may need another found later. Returns the
 * missing ones with the loader's reason.
 */
export function loadLibraries(names: string[], loader: LibraryLoader, dirs: string[]): Map<string, string> {
  const missing = new Map<string, string>(names.map((n) => [n, '']));
  for (let progress = true; progress && missing.size > 0;) {
    progress = false;
    for (const name of [...missing.keys()]) {
      let why = loader.loadLibrary(name);
      for (const dir of dirs) {
        if (why === '' || !existsSync(join(dir, name))) continue;
        why = loader.loadLibrary(join(dir, name));
      }
      if (why === '') {
        missing.delete(name);
        progress = true;
      } else {
        missing.set(name, why);
      }
    }
  }
  return missing;
}

/** How to get one missing library. */
export function installHint(lib: string): string {
  if (lib.startsWith('libcuda.so')) return 'the NVIDIA driver (libcuda.so.1)';
  const pip = [
    ['libcudart', 'nvidia-cuda-runtime'],
    ['libcublasLt', 'nvidia-cublas'],
    ['libcublas', 'nvidia-cublas'],
    ['libcurand', 'nvidia-curand'],
    ['libcufft', 'nvidia-cufft'],
    ['libcudnn', 'nvidia-cudnn-cu13'],
    ['libnvinfer', 'tensorrt-cu13-libs'],
    ['libnvonnxparser', 'tensorrt-cu13-libs'],
  ].find(([prefix]) => lib.startsWith(`${prefix}.`));
  return pip ? `${lib} (pip install ${pip[1]}, or the CUDA 13 toolkit)` : lib;
}

// The C and C++ runtime a library links is always present; only GPU
// libraries are worth probing and naming.
const SYSTEM_LIB = /^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux-x86-64)\.so/;

/** True when the kernel exposes an NVIDIA GPU to this process. */
export function nvidiaGpuVisible(devDir = '/dev'): boolean {
  try {
    return readdirSync(devDir).some((f) => /^nvidia\d+$/.test(f));
  } catch {
    return false;
  }
}

/**
 * Adds to `missing`/`hints` the GPU libraries `libs` link that cannot be
 * loaded, and the GPU itself when none is visible.
 */
function checkGpuStack(libs: string[], loader: LibraryLoader, env: NodeJS.ProcessEnv, missing: string[], hints: string[]): void {
  const needed = [...new Set(libs.flatMap((l) => elfNeeded(l)))].filter((n) => !SYSTEM_LIB.test(n));
  for (const lib of loadLibraries(needed, loader, extraLibraryDirs(env)).keys()) {
    missing.push(lib);
    hints.push(installHint(lib));
  }
  if (!nvidiaGpuVisible()) {
    missing.push('/dev/nvidia*');
    hints.push('an NVIDIA GPU visible to this process (no /dev/nvidia0..N here; in a container, pass --gpus)');
  }
}

function throwIfMissing(device: string, missing: string[], hints: string[]): void {
  if (missing.length === 0) return;
  const lines = hints.map((h) => `  - ${h}`).join('\n');
  const help = missing.some((m) => m.startsWith('lib') && !m.startsWith('libonnxruntime'))
    ? '\nPut the library folders on LD_LIBRARY_PATH (or CAPPY_CUDA_LIBRARY_PATH) before starting Node.'
    : '';
  const what = missing.length === 1 ? 'this is missing' : `these ${missing.length} are missing`;
  throw new DeviceUnavailableError(device, `device '${device}' is unavailable; ${what}:\n${lines}${help}`, { missing });
}

/** Everything 'cuda' needs, or one DeviceUnavailableError naming all that is not there. */
export function prepareCuda(ortLibraryPath: string, loader: LibraryLoader, env = process.env): ExecutionCandidate {
  const lib = findCudaEpLibrary(ortLibraryPath, env);
  const missing: string[] = [];
  const hints: string[] = [];
  if (!lib) {
    missing.push(CUDA_EP_PACKAGE);
    hints.push(`the CUDA execution provider: ${INSTALL_CUDA_EP}`);
  }
  // The CUDA EP is a provider-bridge library: ORT loads its helper from the
  // folder of libonnxruntime.so itself.
  if (!existsSync(join(dirname(ortLibraryPath), PROVIDERS_SHARED_FILE))) {
    missing.push(PROVIDERS_SHARED_FILE);
    hints.push(`${PROVIDERS_SHARED_FILE} beside ${ortLibraryPath} (ORT builds ship it beside libonnxruntime.so)`);
  }
  checkGpuStack(lib ? [lib] : [], loader, env, missing, hints);
  throwIfMissing('cuda', missing, hints);
  return { executionProvider: 'cuda', epLibraryPath: lib! };
}

/** Everything 'tensorrt' needs: a full ORT GPU build (CAPPY_ORT_LIB) with the TensorRT and CUDA bridges. */
export function prepareTensorRt(ortLibraryPath: string, loader: LibraryLoader, env = process.env): ExecutionCandidate {
  const dir = dirname(ortLibraryPath);
  const libs = [TENSORRT_EP_FILE, CUDA_EP_FILE, PROVIDERS_SHARED_FILE].map((f) => join(dir, f));
  const missing = libs.filter((l) => !existsSync(l));
  const hints = missing.map((l) => `${l}: set CAPPY_ORT_LIB to the libonnxruntime.so of an ORT >= 1.29 GPU build with TensorRT`);
  checkGpuStack(
    libs.slice(0, 2).filter((l) => existsSync(l)),
    loader,
    env,
    missing,
    hints,
  );
  throwIfMissing('tensorrt', missing, hints);
  return { executionProvider: 'tensorrt', epLibraryPath: '' };
}

/**
 * The providers to try, in order, for `device`. Explicit devices throw when
 * their provider is unavailable; 'auto' records why in `skipped` and ends
 * with CPU, which always works.
 */
export function executionCandidates(
  device: Device,
  ortLibraryPath: string,
  loader: LibraryLoader,
  env: NodeJS.ProcessEnv = process.env,
): { candidates: ExecutionCandidate[]; skipped: string[] } {
  const cpu: ExecutionCandidate = { executionProvider: 'cpu', epLibraryPath: '' };
  if (device === 'cpu') return { candidates: [cpu], skipped: [] };
  if (device === 'cuda') return { candidates: [prepareCuda(ortLibraryPath, loader, env)], skipped: [] };
  if (device === 'tensorrt') return { candidates: [prepareTensorRt(ortLibraryPath, loader, env)], skipped: [] };
  const candidates: ExecutionCandidate[] = [];
  const skipped: string[] = [];
  for (const prepare of [prepareTensorRt, prepareCuda]) {
    try {
      candidates.push(prepare(ortLibraryPath, loader, env));
    } catch (e) {
      if (!(e instanceof DeviceUnavailableError)) throw e;
      skipped.push(e.message);
    }
  }
  candidates.push(cpu);
  return { candidates, skipped };
}
