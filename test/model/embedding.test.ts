// The native core as a C library: scripts/install-core.sh builds it with no
// Node (a `node` on PATH that records any call proves it) into a temporary
// prefix, with ONNX Runtime taken from the npm package's headers and Linux
// library laid out as an ORT release folder. Then, from that prefix only:
// PREFIX/bin/cappy-score (examples/c), examples/python/score.py (ctypes), a
// find_package(cappy) consumer linked statically (examples/cmake-consumer),
// and examples/c built again through pkg-config must each print exactly the
// scores Scorer.scoreBatch gives in this process for the same pairs, on the
// forged tiny model (random weights, not Cappy). Built once for the file.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, realpathSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { makePairs } from '../support/pairs.js';

const root = resolve(import.meta.dirname, '..', '..');

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const missing = [has('cmake', ['--version']) ? '' : 'cmake', has('c++', ['--version']) ? '' : 'c++'].filter(Boolean);
const skipReason = missing.length > 0 ? `skipped: ${missing.join(' and ')} not on PATH (needed to build the native library)` : '';
const hasPython = has('python3', ['--version']);
const hasPkgConfig = has('pkg-config', ['--version']) && has('cc', ['--version']);

function run(cmd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: options.cwd ?? root, encoding: 'utf8', input: options.input, env: options.env ?? process.env, maxBuffer: 64 << 20 });
}
function mustRun(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/** The npm package's ORT as a release folder: include/ and lib/libonnxruntime.so. */
function ortRoot(into: string): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('com.github.asus4.onnxruntime/package.json'));
  const headers = mustRun(process.execPath, [join(root, 'scripts', 'native-deps.mjs'), 'ort-include']).trim();
  mkdirSync(join(into, 'lib'), { recursive: true });
  symlinkSync(headers, join(into, 'include'));
  symlinkSync(join(pkg, 'Plugins', 'Linux', 'x64', 'libonnxruntime.so'), join(into, 'lib', 'libonnxruntime.so'));
  return into;
}

describe.skipIf(skipReason !== '')(skipReason || 'the installed native library scores as Scorer.scoreBatch does', () => {
  let work = '';
  let prefix = '';
  let nodeCalls = '';
  let consumer = '';
  let pkgConfigBuilt = '';
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
    const simdjson = mustRun(process.execPath, [join(root, 'scripts', 'native-deps.mjs'), 'simdjson']).trim();
    const ort = ortRoot(join(work, 'ort'));
    mustRun('bash', [join(root, 'scripts', 'install-core.sh'), prefix, ort], {
      env: {
        ...process.env,
        PATH: `${shims}:${process.env.PATH}`,
        CAPPY_SIMDJSON_DIR: simdjson,
        CAPPY_BUILD_DIR: join(work, 'build'),
        CAPPY_JOBS: String(availableParallelism()),
      },
    });
    // The CMake consumer, against the prefix only, linking libcappy.a.
    const consumerBuild = join(work, 'consumer');
    mustRun('cmake', ['-S', join(root, 'examples', 'cmake-consumer'), '-B', consumerBuild, '-DCMAKE_BUILD_TYPE=Release',
      `-DCMAKE_PREFIX_PATH=${prefix}`, '-DCAPPY_CONSUMER_STATIC=ON']);
    mustRun('cmake', ['--build', consumerBuild]);
    consumer = join(consumerBuild, 'cappy-consumer');
    if (hasPkgConfig) {
      const env = { ...process.env, PKG_CONFIG_PATH: join(prefix, 'lib', 'pkgconfig') };
      const flags = mustRun('pkg-config', ['--cflags', '--libs', 'cappy'], { env }).trim().split(/\s+/);
      pkgConfigBuilt = join(work, 'cappy-score-pkg-config');
      mustRun('cc', ['-std=c99', '-D_GNU_SOURCE', '-O2', join(root, 'examples', 'c', 'cappy_score.c'), '-o', pkgConfigBuilt, ...flags,
        `-Wl,-rpath,${join(prefix, 'lib')}`]);
    }
    const scorer = await Scorer.load(modelDir);
    try {
      expected = await scorer.scoreBatch(pairs);
    } finally {
      await scorer.dispose();
    }
  }, 900_000);

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

  it('built without running Node, and installs the C ABI, CMake and pkg-config files', () => {
    expect(existsSync(nodeCalls) ? 'node was called' : 'no node call').toBe('no node call');
    for (const file of ['bin/cappy-score', 'include/cappy/cappy_c.h', 'include/cappy/cappy_c.hpp', 'lib/libcappy.so', 'lib/libcappy.a',
      'lib/cmake/cappy/cappyConfig.cmake', 'lib/pkgconfig/cappy.pc']) {
      expect(existsSync(join(prefix, file)), file).toBe(true);
    }
    // libcappy.so exports the C ABI and nothing else.
    const symbols = mustRun('nm', ['-D', '--defined-only', join(prefix, 'lib', 'libcappy.so')])
      .split('\n').filter((l) => /\s[TDBR]\s/.test(l)).map((l) => l.trim().split(/\s+/).pop());
    expect(symbols.length).toBeGreaterThan(10);
    expect(symbols.filter((s) => !s?.startsWith('cappy_'))).toEqual([]);
  });

  it('PREFIX/bin/cappy-score prints the scores Scorer.scoreBatch gives', () => {
    const r = run(join(prefix, 'bin', 'cappy-score'), [modelDir], { input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectScores(r.stdout);
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
    copyFileSync(realpathSync(join(work, 'ort', 'lib', 'libonnxruntime.so')), hostOrt);
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
    expectScores(r.stdout);
  });

  it('a find_package(cappy) consumer linked with libcappy.a prints the same scores', () => {
    const r = run(consumer, [modelDir], { input });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectScores(r.stdout);
  });

  it.skipIf(!hasPkgConfig)('examples/c built with pkg-config flags prints the same scores', () => {
    const r = run(pkgConfigBuilt, [modelDir], { input });
    expect(r.status).toBe(0);
    expectScores(r.stdout);
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
  });
});
