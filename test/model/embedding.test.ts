// The native core as a C library, built by scripts/install-core.sh with no
// Node (a `node` on PATH that records any call proves it) and no ONNX Runtime
// release folder: it runs from a copy of what `npm pack` ships, laid out as
// an install of the tarballs (node_modules/cappy-engine, with the ORT 1.29
// library where the platform package @cappy-engine/linux-x64-gnu puts it, and
// the optional peer @nozbe/simdjson), and compiles against ORT's vendored
// headers. Then, from the prefix only: PREFIX/bin/cappy-score (examples/c),
// examples/python/score.py (ctypes), a find_package(cappy) C++ consumer and
// the C example as a C-only project, both linked statically, and builds
// through pkg-config (cappy, and cappy-static) must each print exactly the
// scores Scorer.scoreBatch gives in this process for the same pairs, on the
// forged tiny model (random weights, not Cappy). The C ABI and Scorer.load
// must resolve the same settings for the same folder. Built once for the file.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { makePairs } from '../support/pairs.js';

const root = resolve(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const missing = [
  has('cmake', ['--version']) ? '' : 'cmake',
  has('c++', ['--version']) ? '' : 'c++',
  has('cc', ['--version']) ? '' : 'cc',
].filter(Boolean);
const skipReason = missing.length > 0 ? `skipped: ${missing.join(' and ')} not on PATH (needed to build the native library)` : '';
const hasPython = has('python3', ['--version']);
const hasPkgConfig = has('pkg-config', ['--version']);

function run(
  cmd: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd: options.cwd ?? root,
    encoding: 'utf8',
    input: options.input,
    env: options.env ?? process.env,
    maxBuffer: 64 << 20,
  });
}
function mustRun(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

const ortPackage = dirname(require.resolve('com.github.asus4.onnxruntime/package.json'));
const npmOrtLibrary = join(ortPackage, 'Plugins', 'Linux', 'x64', 'libonnxruntime.so');

/**
 * node_modules/cappy-engine as installing the tarballs leaves it: the files
 * `npm pack` lists; beside it the ORT library and notices where the platform
 * package ships them, and @nozbe/simdjson (an optional peer a core build needs).
 */
function tarballInstall(into: string): string {
  const packed = JSON.parse(mustRun('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'])) as [{ files: { path: string }[] }];
  const pkg = join(into, 'node_modules', 'cappy-engine');
  for (const { path } of packed[0].files) {
    mkdirSync(dirname(join(pkg, path)), { recursive: true });
    copyFileSync(join(root, path), join(pkg, path));
  }
  chmodSync(join(pkg, 'scripts', 'install-core.sh'), 0o755);
  const platform = join(into, 'node_modules', '@cappy-engine', 'linux-x64-gnu');
  mkdirSync(platform, { recursive: true });
  symlinkSync(npmOrtLibrary, join(platform, 'libonnxruntime.so'));
  copyFileSync(join(ortPackage, 'ThirdPartyNotices.txt'), join(platform, 'ONNXRUNTIME-ThirdPartyNotices.txt'));
  mkdirSync(join(into, 'node_modules', '@nozbe'), { recursive: true });
  symlinkSync(dirname(require.resolve('@nozbe/simdjson/package.json')), join(into, 'node_modules', '@nozbe', 'simdjson'));
  return pkg;
}

describe.skipIf(skipReason !== '')(skipReason || 'the installed native library scores as Scorer.scoreBatch does', () => {
  let work = '';
  let prefix = '';
  let nodeCalls = '';
  let consumer = '';
  let cOnlyStatic = '';
  let pkgConfigShared = '';
  let pkgConfigStatic = '';
  const modelDir = inject('tinyModelDir');
  // Short and long pairs (every 17th is truncated at the model's limit), non-ASCII included.
  const pairs = makePairs(40, 14);
  const input = pairs.map(([a, b]) => `${a}\t${b}\n`).join('');
  let expected: Float32Array;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'cappy-embedding-'));
    prefix = join(work, 'prefix');
    // A `node` that fails and leaves a trace: the core build must never call one.
    const shims = join(work, 'shims');
    mkdirSync(shims);
    nodeCalls = join(work, 'node-calls');
    for (const name of ['node', 'nodejs']) {
      writeFileSync(join(shims, name), `#!/bin/sh\necho "$0 $*" >> '${nodeCalls}'\nexit 1\n`);
      chmodSync(join(shims, name), 0o755);
    }
    const installed = tarballInstall(join(work, 'project'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${shims}:${process.env.PATH}`,
      CAPPY_BUILD_DIR: join(work, 'build'),
      CAPPY_JOBS: String(availableParallelism()),
    };
    delete env.ONNXRUNTIME_ROOT;
    delete env.CAPPY_SIMDJSON_DIR;
    mustRun('bash', [join(installed, 'scripts', 'install-core.sh'), prefix], { env });
    // The CMake consumer (C++), against the prefix only, linking libcappy.a.
    const consumerBuild = join(work, 'consumer');
    mustRun('cmake', [
      '-S',
      join(root, 'examples', 'cmake-consumer'),
      '-B',
      consumerBuild,
      '-DCMAKE_BUILD_TYPE=Release',
      `-DCMAKE_PREFIX_PATH=${prefix}`,
      '-DCAPPY_CONSUMER_STATIC=ON',
    ]);
    mustRun('cmake', ['--build', consumerBuild]);
    consumer = join(consumerBuild, 'cappy-consumer');
    // The C example as a C-only project (LANGUAGES C), linking cappy::cappy_static.
    const cBuild = join(work, 'c-only-static');
    mustRun('cmake', [
      '-S',
      join(root, 'examples', 'c'),
      '-B',
      cBuild,
      '-DCMAKE_BUILD_TYPE=Release',
      `-DCMAKE_PREFIX_PATH=${prefix}`,
      '-DCAPPY_EXAMPLE_STATIC=ON',
    ]);
    mustRun('cmake', ['--build', cBuild]);
    cOnlyStatic = join(cBuild, 'cappy-score');
    if (hasPkgConfig) {
      const pcEnv = { ...process.env, PKG_CONFIG_PATH: join(prefix, 'lib', 'pkgconfig') };
      const source = join(root, 'examples', 'c', 'cappy_score.c');
      const build = (out: string, flags: string[], extra: string[] = []) =>
        mustRun('cc', ['-std=c99', '-D_GNU_SOURCE', '-O2', source, '-o', out, ...flags, ...extra]);
      pkgConfigShared = join(work, 'cappy-score-pkg-config');
      build(pkgConfigShared, mustRun('pkg-config', ['--cflags', '--libs', 'cappy'], { env: pcEnv }).trim().split(/\s+/), [
        `-Wl,-rpath,${join(prefix, 'lib')}`,
      ]);
      pkgConfigStatic = join(work, 'cappy-score-pkg-config-static');
      build(pkgConfigStatic, mustRun('pkg-config', ['--static', '--cflags', '--libs', 'cappy-static'], { env: pcEnv }).trim().split(/\s+/));
    }
    const scorer = await Scorer.load(modelDir);
    try {
      expected = await scorer.scoreBatch(pairs);
    } finally {
      await scorer.dispose();
    }
  }, 1_200_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /**
   * Each line, rounded to float32, must be exactly the float32 Scorer.scoreBatch
   * gave (%.9g has the 9 significant digits that round-trip any float32).
   */
  function expectScores(stdout: string): void {
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(pairs.length);
    expect(lines.every((l) => /^-?\d/.test(l) && Number.isFinite(Number(l)))).toBe(true);
    expect(Array.from(Float32Array.from(lines.map(Number)))).toEqual(Array.from(expected));
  }

  /** The shared libraries a program needs (readelf's NEEDED entries). */
  function needed(file: string): string[] {
    return [...mustRun('readelf', ['-d', file]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  }

  it('built from the tarballs without running Node or an ORT release folder, with ORT and its license beside libcappy', () => {
    expect(existsSync(nodeCalls) ? readFileSync(nodeCalls, 'utf8') : 'no node call').toBe('no node call');
    for (const file of [
      'bin/cappy-score',
      'include/cappy/cappy_c.h',
      'include/cappy/cappy_errors.h',
      'include/cappy/cappy_c.hpp',
      'lib/libcappy.so',
      'lib/libcappy.a',
      'lib/libonnxruntime.so.1',
      'lib/cmake/cappy/cappyConfig.cmake',
      'lib/pkgconfig/cappy.pc',
      'lib/pkgconfig/cappy-static.pc',
      'share/doc/cappy/ONNXRUNTIME-LICENSE',
      'share/doc/cappy/ONNXRUNTIME-ThirdPartyNotices.txt',
    ]) {
      expect(existsSync(join(prefix, file)), file).toBe(true);
    }
    expect(readFileSync(join(prefix, 'share/doc/cappy/ONNXRUNTIME-LICENSE'), 'utf8')).toMatch(
      /^MIT License\s+Copyright \(c\) Microsoft Corporation/,
    );
    // libcappy.so exports the C ABI and nothing else, and needs no simdjson (compiled in).
    const symbols = mustRun('nm', ['-D', '--defined-only', join(prefix, 'lib', 'libcappy.so')])
      .split('\n')
      .filter((l) => /\s[TDBR]\s/.test(l))
      .map((l) => l.trim().split(/\s+/).pop());
    expect(symbols.length).toBeGreaterThan(10);
    expect(symbols.filter((s) => !s?.startsWith('cappy_'))).toEqual([]);
    expect(needed(join(prefix, 'lib', 'libcappy.so')).filter((n) => /simdjson|onnxruntime/.test(n))).toEqual([]);
  });

  it('from a clone after npm install, install-core.sh finds the npm ORT and simdjson by itself', () => {
    const r = run('bash', [join(root, 'scripts', 'install-core.sh'), '--dry-run', join(work, 'never')], {
      env: { ...process.env, ONNXRUNTIME_ROOT: '', CAPPY_SIMDJSON_DIR: '' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`-DCAPPY_INSTALL_ORT_LIBRARY=${npmOrtLibrary}`);
    expect(r.stdout).toMatch(/-DCAPPY_SIMDJSON_DIR=\S*@nozbe\/simdjson\/src/);
    expect(r.stdout).not.toContain('ONNXRUNTIME_ROOT');
  });

  it('PREFIX/bin/cappy-score prints the scores Scorer.scoreBatch gives', () => {
    const r = run(join(prefix, 'bin', 'cappy-score'), [modelDir], { input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectScores(r.stdout);
  });

  it('the C ABI and Scorer.load resolve the same settings for the same folder and environment', async () => {
    // The tiny model's own folder, and a copy whose position table takes 128
    // tokens (the default max length follows it down on both sides).
    const small = join(work, 'short-positions');
    cpSync(modelDir, small, { recursive: true });
    const config = JSON.parse(readFileSync(join(small, 'config.json'), 'utf8'));
    config.max_position_embeddings = 130;
    writeFileSync(join(small, 'config.json'), JSON.stringify(config));
    for (const folder of [modelDir, small]) {
      const r = run(join(prefix, 'bin', 'cappy-score'), [folder], { input: 'a\tb\n', env: { ...process.env, CAPPY_PRINT_INFO: '1' } });
      expect(r.status, r.stderr).toBe(0);
      const c = JSON.parse(r.stderr.trim());
      const scorer = await Scorer.load(folder);
      try {
        const l = scorer.info.load;
        expect({
          max_length: c.max_length,
          truncation: c.truncation,
          intra_op_threads: c.intra_op_threads,
          tokenizer_threads: c.tokenizer_threads,
          max_batch_tokens: c.max_batch_tokens,
          max_batch_size: c.max_batch_size,
          pad_multiple: c.pad_multiple,
          sort_window: c.sort_window,
          execution_provider: c.execution_provider,
          device_id: c.device_id,
          io_binding: c.io_binding === 1,
          pinned_buffers: c.pinned_buffers === 1,
          batches_in_flight: c.batches_in_flight,
          trt: [c.trt_min_shape, c.trt_opt_shape, c.trt_max_shape],
        }).toEqual({
          max_length: l.maxLength,
          truncation: l.truncation,
          intra_op_threads: l.intraOpThreads,
          tokenizer_threads: l.tokenizerThreads,
          max_batch_tokens: l.maxBatchTokens,
          max_batch_size: l.maxBatchSize,
          pad_multiple: l.padMultiple,
          sort_window: l.sortWindow,
          execution_provider: l.executionProvider,
          device_id: l.deviceId,
          io_binding: l.ioBinding,
          pinned_buffers: l.pinnedBuffers,
          batches_in_flight: l.batchesInFlight,
          trt: [l.trtMinShape, l.trtOptShape, l.trtMaxShape],
        });
        expect(c.max_length).toBe(folder === small ? 128 : 512);
        expect(scorer.info.maxLength).toBe(c.max_length);
        expect(c.has_config).toBe(1);
      } finally {
        await scorer.dispose();
      }
    }
  });

  it.skipIf(!hasPython)('examples/python/score.py (ctypes, the installed libcappy.so) prints the same scores', () => {
    const r = run('python3', [join(root, 'examples', 'python', 'score.py'), modelDir], {
      input,
      env: { ...process.env, CAPPY_PREFIX: prefix },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectScores(r.stdout);
  });

  it.skipIf(!hasPython)('a host that loaded ORT itself hands it in (ort_api_base), and cappy runs on it', () => {
    // A copy under another name: the host's ORT is then told apart from the
    // library cappy would load by default.
    const hostOrt = join(work, 'host-ort', 'libonnxruntime.so.1');
    mkdirSync(dirname(hostOrt), { recursive: true });
    copyFileSync(realpathSync(npmOrtLibrary), hostOrt);
    const r = run('python3', [join(root, 'examples', 'python', 'score.py'), modelDir], {
      input,
      env: { ...process.env, CAPPY_PREFIX: prefix, CAPPY_HOST_ORT: hostOrt, CAPPY_PRINT_INFO: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stderr.trim());
    expect(info.ort_loaded_path).toBe(hostOrt);
    expect(info.ort_version).toBe('1.29.0');
    expect(info.forged).toBe(1);
    expect(info.dtype).toBe('fp32');
    expect(info.has_config).toBe(1);
    expectScores(r.stdout);
  });

  it('a find_package(cappy) C++ consumer linked with libcappy.a prints the same scores', () => {
    const r = run(consumer, [modelDir], { input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectScores(r.stdout);
  });

  it('a C-only CMake project links cappy::cappy_static, and prints the same scores', () => {
    expect(needed(cOnlyStatic).filter((n) => n.startsWith('libcappy'))).toEqual([]);
    const r = run(cOnlyStatic, [modelDir], { input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectScores(r.stdout);
  });

  it.skipIf(!hasPkgConfig)('pkg-config builds: cappy links libcappy.so, cappy-static (--static too) links libcappy.a', () => {
    expect(needed(pkgConfigShared)).toContain('libcappy.so.1');
    expect(needed(pkgConfigStatic).filter((n) => n.startsWith('libcappy'))).toEqual([]);
    for (const program of [pkgConfigShared, pkgConfigStatic]) {
      const r = run(program, [modelDir], { input });
      expect(r.status, r.stderr).toBe(0);
      expectScores(r.stdout);
    }
  });

  it('cappy_c.hpp refuses C++14 with a clear #error, and compiles as C++17', () => {
    const source = join(work, 'uses-hpp.cc');
    writeFileSync(source, '#include <cappy/cappy_c.hpp>\nint main() { return 0; }\n');
    const old = run('c++', ['-std=c++14', '-fsyntax-only', `-I${join(prefix, 'include')}`, source]);
    expect(old.status).not.toBe(0);
    expect(old.stderr).toMatch(/cappy_c\.hpp needs C\+\+17 or newer/);
    expect(old.stderr).not.toMatch(/string_view/);
    expect(run('c++', ['-std=c++17', '-fsyntax-only', `-I${join(prefix, 'include')}`, source]).status).toBe(0);
  });

  it('reports bad input and a missing model with a status name and a neutral message', () => {
    const noTab = run(join(prefix, 'bin', 'cappy-score'), [modelDir], { input: 'just one column\n' });
    expect(noTab.status).toBe(2);
    expect(noTab.stderr).toMatch(/line 1 has no tab/);
    const noModel = run(join(prefix, 'bin', 'cappy-score'), [join(work, 'no-such-model')], { input });
    expect(noModel.status).toBe(1);
    expect(noModel.stderr).toMatch(/CAPPY_ERR_MODEL_LOAD: .*no-such-model/);
    const noOnnx = join(work, 'tokenizer-only');
    mkdirSync(noOnnx);
    writeFileSync(join(noOnnx, 'tokenizer.json'), '{}');
    const noGraph = run(join(prefix, 'bin', 'cappy-score'), [noOnnx], { input });
    expect(noGraph.stderr).toMatch(/CAPPY_ERR_MODEL_LOAD: no ONNX model in/);
    expect(noGraph.stderr).not.toMatch(/npm|cappy forge/);
    // An empty model file: named plainly, without ORT's C++ signatures.
    const empty = join(work, 'empty-onnx');
    cpSync(modelDir, empty, { recursive: true });
    writeFileSync(join(empty, 'onnx', 'model.onnx'), '');
    const emptyGraph = run(join(prefix, 'bin', 'cappy-score'), [empty], { input });
    expect(emptyGraph.stderr).toMatch(/CAPPY_ERR_MODEL_LOAD: model file .*model\.onnx is empty \(0 bytes\)/);
    expect(emptyGraph.stderr).not.toMatch(/onnxruntime::|\.cc:\d+/);
  });

  // Last: it moves the installed ORT away for a while.
  it('when the configured ORT is gone, libcappy loads CAPPY_ORT_LIB, else the soname', () => {
    const installedOrt = join(prefix, 'lib', 'libonnxruntime.so.1');
    const moved = join(work, 'moved-ort', 'libonnxruntime.so.1');
    mkdirSync(dirname(moved), { recursive: true });
    renameSync(installedOrt, moved);
    try {
      const env = { ...process.env };
      delete env.CAPPY_ORT_LIB;
      delete env.LD_LIBRARY_PATH;
      const gone = run(join(prefix, 'bin', 'cappy-score'), [modelDir], { input, env });
      expect(gone.status).toBe(1);
      expect(gone.stderr).toMatch(/CAPPY_ERR_MODEL_LOAD: cannot load ONNX Runtime from libonnxruntime\.so\.1/);
      expect(gone.stderr).toContain(`the library configured at build time, ${installedOrt}, is gone`);
      const byEnv = run(join(prefix, 'bin', 'cappy-score'), [modelDir], { input, env: { ...env, CAPPY_ORT_LIB: moved } });
      expect(byEnv.status, byEnv.stderr).toBe(0);
      expectScores(byEnv.stdout);
      const bySoname = run(join(prefix, 'bin', 'cappy-score'), [modelDir], { input, env: { ...env, LD_LIBRARY_PATH: dirname(moved) } });
      expect(bySoname.status, bySoname.stderr).toBe(0);
      expectScores(bySoname.stdout);
    } finally {
      renameSync(moved, installedOrt);
    }
  });
});
