// Device options and the checks that run before ORT sees a GPU provider:
// validation, the ELF reader that lists an EP's libraries, the loader retry,
// install hints and GPU detection. No model and no GPU needed.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceUnavailableError, InvalidInputError } from '../../lib/index.js';
import {
  elfNeeded,
  executionCandidates,
  extraLibraryDirs,
  installHint,
  loadLibraries,
  nvidiaGpuVisible,
  prepareCuda,
  type LibraryLoader,
} from '../../lib/runtime/execution-provider.js';
import { packagedOrtLibrary } from '../../lib/runtime/ort-library.js';
import { resolveScorerOptions } from '../../lib/scorer/options.js';

const scratch = mkdtempSync(join(tmpdir(), 'cappy-devopts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ortLib = packagedOrtLibrary()!;
const loadsNothing: LibraryLoader = { loadLibrary: (n) => `${n}: cannot open shared object file` };

describe('device options', () => {
  it('defaults to cpu, device 0, binding and in-flight chosen by provider', () => {
    const o = resolveScorerOptions({});
    expect(o).toMatchObject({ device: 'cpu', deviceId: 0, ioBinding: undefined, batchesInFlight: undefined, tensorrtFp16: false });
    expect(o.tensorrtCacheDir).toMatch(/tensorrt$/);
  });

  it('accepts every device and explicit settings', () => {
    for (const device of ['cpu', 'cuda', 'tensorrt', 'auto'] as const) expect(resolveScorerOptions({ device }).device).toBe(device);
    expect(resolveScorerOptions({ deviceId: 3, ioBinding: true, batchesInFlight: 4, tensorrtCacheDir: '/x' })).toMatchObject({
      deviceId: 3,
      ioBinding: true,
      batchesInFlight: 4,
      tensorrtCacheDir: '/x',
    });
  });

  it.each([
    [{ device: 'gpu' }, /device must be one of cpu, cuda, tensorrt, auto/],
    [{ deviceId: -1 }, /deviceId must be an integer from 0 to 255/],
    [{ deviceId: 1.5 }, /deviceId/],
    [{ deviceId: '0' }, /deviceId/],
    [{ ioBinding: 'yes' }, /ioBinding must be a boolean/],
    [{ tensorrtFp16: 1 }, /tensorrtFp16 must be a boolean/],
    [{ pinnedBuffers: 'no' }, /pinnedBuffers must be a boolean/],
    [{ batchesInFlight: 0 }, /batchesInFlight must be an integer from 1 to 8/],
    [{ batchesInFlight: 9 }, /batchesInFlight/],
    [{ tensorrtCacheDir: '' }, /tensorrtCacheDir/],
    [{ providerOptions: { use_tf32: 0 } }, /providerOptions must be an object of string values/],
    [{ providerOptions: [] }, /providerOptions/],
  ])('rejects %o', (bad, message) => {
    expect(() => resolveScorerOptions(bad as never)).toThrow(InvalidInputError);
    expect(() => resolveScorerOptions(bad as never)).toThrow(message);
  });
});

describe('EP dependency checks', () => {
  it('reads DT_NEEDED from a real shared library', () => {
    const needed = elfNeeded(ortLib);
    expect(needed).toContain('libc.so.6');
    expect(needed.every((n) => /\.so/.test(n))).toBe(true);
  });

  it('refuses a file that is not ELF', () => {
    const f = join(scratch, 'not-elf.so');
    writeFileSync(f, 'hello world, not a library at all'.repeat(4));
    expect(() => elfNeeded(f)).toThrow(/not a 64-bit little-endian ELF/);
  });

  it('loads by name, then from extra folders by path, retrying while one library unlocks another', () => {
    const dir = join(scratch, 'cuda-libs');
    mkdirSync(dir, { recursive: true });
    for (const f of ['libcublas.so.13', 'libcublasLt.so.13']) writeFileSync(join(dir, f), '');
    const loaded = new Set<string>();
    const loader: LibraryLoader = {
      loadLibrary(n) {
        // cublas needs cublasLt first; only paths in `dir` exist.
        if (n === join(dir, 'libcublas.so.13') && !loaded.has('libcublasLt.so.13')) return 'libcublasLt.so.13: not found';
        if (n.startsWith(dir)) {
          loaded.add(n.slice(dir.length + 1));
          return '';
        }
        return loaded.has(n) ? '' : `${n}: cannot open shared object file`;
      },
    };
    const missing = loadLibraries(['libcublas.so.13', 'libcublasLt.so.13', 'libcurand.so.10'], loader, [dir]);
    expect([...missing.keys()]).toEqual(['libcurand.so.10']);
    expect(missing.get('libcurand.so.10')).toMatch(/cannot open/);
  });

  it('looks in CAPPY_CUDA_LIBRARY_PATH and the CUDA toolkit', () => {
    const dirs = extraLibraryDirs({ CAPPY_CUDA_LIBRARY_PATH: '/a:/b', CUDA_HOME: '/opt/cuda' });
    expect(dirs.slice(0, 3)).toEqual(['/a', '/b', '/opt/cuda/lib64']);
    expect(dirs).toContain('/usr/local/cuda/lib64');
  });

  it('says how to install each missing piece', () => {
    expect(installHint('libcublasLt.so.13')).toMatch(/pip install nvidia-cublas/);
    expect(installHint('libcudart.so.13')).toMatch(/nvidia-cuda-runtime/);
    expect(installHint('libcurand.so.10')).toMatch(/nvidia-curand/);
    expect(installHint('libcuda.so.1')).toMatch(/NVIDIA driver/);
    expect(installHint('libnvinfer.so.10')).toMatch(/tensorrt/);
  });

  it('sees a GPU only through /dev/nvidiaN', () => {
    const dev = join(scratch, 'dev');
    mkdirSync(dev, { recursive: true });
    writeFileSync(join(dev, 'nvidiactl'), '');
    expect(nvidiaGpuVisible(dev)).toBe(false);
    writeFileSync(join(dev, 'nvidia0'), '');
    expect(nvidiaGpuVisible(dev)).toBe(true);
    expect(nvidiaGpuVisible(join(scratch, 'no-such-dir'))).toBe(false);
  });

  it('names every missing library of an EP in one error', () => {
    // Any ELF will do as a stand-in EP: its libraries are what gets checked.
    const env = { CAPPY_ORT_CUDA_EP: ortLib };
    let err: unknown;
    try {
      prepareCuda(ortLib, loadsNothing, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    const e = err as DeviceUnavailableError;
    expect(e.missing.length).toBeGreaterThan(0);
    expect(e.missing).not.toContain('libc.so.6'); // system libraries are not named
    expect(e.message).toMatch(/device 'cuda' is unavailable/);
  });

  it("'auto' ends with CPU and records why each GPU provider was skipped", () => {
    const { candidates, skipped } = executionCandidates('auto', ortLib, loadsNothing, {
      CAPPY_ORT_CUDA_EP: join(scratch, 'missing.so'),
    });
    expect(candidates.map((c) => c.executionProvider)).toEqual(['cpu']);
    expect(skipped).toHaveLength(2);
    expect(skipped[1]).toMatch(/CAPPY_ORT_CUDA_EP points at/);
    expect(executionCandidates('cpu', ortLib, loadsNothing, {}).candidates).toEqual([{ executionProvider: 'cpu', epLibraryPath: '' }]);
  });
});
