#!/usr/bin/env node
// The package's install step, and the source build of the native addon.
//   node scripts/build-native.mjs            install: use the prebuilt platform package when
//                                            it loads here (tested in a child process), else
//                                            build from source
//   node scripts/build-native.mjs --force    always build from source (npm run build:native);
//                                            CAPPY_BUILD_FROM_SOURCE=1 does the same at install
//   node scripts/build-native.mjs --debug    a Debug source build into build/Debug
// The install step does as little as it can: the runtime loader (lib/native.ts)
// finds the prebuilt by module resolution by itself, so it works even where npm
// runs no install scripts. A source build runs CMake directly with the header
// folders scripts/native-deps.mjs finds; nothing is downloaded. It is
// incremental: when the addon is up to date, nothing is rewritten.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandVersion as version, sourceBuildPrerequisites } from './native-deps.mjs';
import { findPlatformPackage, platformId, platformPackageName, PREBUILT_PLATFORMS } from './platform-package.mjs';

const here = fileURLToPath(import.meta.url);
export const packageRoot = dirname(dirname(here));
const log = (m) => console.log(`cappy-engine: ${m}`);

/** A development checkout has the C++ tests, which the published package leaves out. */
function devCheckout() {
  return existsSync(join(packageRoot, 'native', 'test'));
}

/** CAPPY_BUILD_FROM_SOURCE=1 (or true) forces a source build at install. */
export function sourceBuildForced(env = process.env) {
  return /^(1|true|yes)$/i.test(env.CAPPY_BUILD_FROM_SOURCE ?? '');
}

/**
 * Loads an addon in a fresh Node process, tokenizes with a hand-made
 * tokenizer.json ('h' + 'i' merge to 'hi' = 5, wrapped in <s>=0 and </s>=2;
 * the core reads the JSON) and, given one, dlopens the ONNX Runtime library
 * through it.
 * A crash or a missing symbol stays in the child.
 */
export function smokeTestAddon(addonPath, ortLibrary) {
  const probe = `
    const a = require(${JSON.stringify(addonPath)});
    const json = JSON.stringify({
      model: { type: 'BPE', vocab: { '<s>': 0, '<pad>': 1, '</s>': 2, h: 3, i: 4, hi: 5 }, merges: ['h i'] },
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false },
      post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] },
    });
    const t = new a.Tokenizer({ json }, { maxLength: 0, truncation: '' });
    const ids = Array.from(t.encode('hi')).join(',');
    if (a.napiVersion !== 8 || ids !== '0,5,2') throw new Error('unexpected result: napi ' + a.napiVersion + ', ids ' + ids);
    const ort = ${JSON.stringify(ortLibrary ?? '')};
    const why = ort ? a.loadLibrary(ort) : '';
    if (why) throw new Error('cannot load ' + ort + ': ' + why);`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return { ok: true };
  const error = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(0, 6).join('\n');
  return { ok: false, error };
}

/**
 * Configures (when the options changed) and builds the addon with CMake.
 * Returns the addon's path. `portable` links it for old glibc with libstdc++
 * inside (the prebuilt; see CMakeLists.txt).
 */
export function buildFromSource({ buildDir = join(packageRoot, 'build'), debug = false, portable = false, env = process.env } = {}) {
  const { headers, missing } = sourceBuildPrerequisites(env);
  if (missing.length > 0) {
    throw new Error(`a source build needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  }
  const config = debug ? 'Debug' : 'Release';
  const outDir = join(buildDir, config);
  const defines = {
    CMAKE_BUILD_TYPE: config,
    CAPPY_NODE_ADDON: 'ON',
    CAPPY_BUILD_TESTS: 'OFF',
    // Warnings are errors in a development checkout, not in an installed
    // package, where a newer compiler must not break the install.
    CAPPY_WARNINGS_AS_ERRORS: devCheckout() ? 'ON' : 'OFF',
    CAPPY_PORTABLE_GLIBC: portable ? 'ON' : 'OFF',
    CAPPY_ORT_INCLUDE_DIR: headers.ort.dir,
    CAPPY_NODE_INCLUDE_DIR: headers.node.dir,
    CAPPY_NAPI_INCLUDE_DIR: headers.napi.dir,
    CAPPY_SIMDJSON_DIR: headers.simdjson.dir,
    CMAKE_LIBRARY_OUTPUT_DIRECTORY: outDir,
  };
  const args = ['-S', packageRoot, '-B', buildDir, ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`)];
  const stamp = join(buildDir, 'cappy-configure.json');
  const configured =
    existsSync(join(buildDir, 'CMakeCache.txt')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === JSON.stringify(args);
  const run = (cmdArgs) => {
    const r = spawnSync('cmake', cmdArgs, { cwd: packageRoot, stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`cmake ${cmdArgs.join(' ')} failed${r.error ? `: ${r.error.message}` : ''}`);
  };
  if (!configured) {
    log(
      `ONNX Runtime headers from ${headers.ort.from}, node-addon-api from ${headers.napi.from}, ` +
        `Node-API headers from ${headers.node.from}, simdjson from ${headers.simdjson.from}`,
    );
    // Options changed (or another tool configured this folder): configure
    // afresh, as `cmake --fresh` does; object files stay for the build to reuse.
    rmSync(join(buildDir, 'CMakeCache.txt'), { force: true });
    rmSync(join(buildDir, 'CMakeFiles'), { recursive: true, force: true });
    mkdirSync(buildDir, { recursive: true });
    run([...args, ...(version('ninja') ? ['-G', 'Ninja'] : [])]);
    writeFileSync(stamp, JSON.stringify(args));
  }
  run(['--build', buildDir, '--parallel', String(Math.max(1, availableParallelism()))]);
  return join(outDir, 'cappy.node');
}

/** The install step: the prebuilt when it works here, else a source build. */
function install(args) {
  const forced = args.has('--force') || sourceBuildForced();
  if (!forced) {
    const id = platformId();
    const ownVersion = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;
    const prebuilt = findPlatformPackage(here);
    if (prebuilt?.addon && prebuilt.version === ownVersion) {
      const smoke = smokeTestAddon(prebuilt.addon, prebuilt.ort);
      if (smoke.ok) {
        // An earlier forced source build would win at run time (lib/native.ts
        // prefers build/): in an installed package, drop it so the prebuilt is used.
        if (!devCheckout()) rmSync(join(packageRoot, 'build'), { recursive: true, force: true });
        log(`using the prebuilt addon from ${prebuilt.name}@${prebuilt.version} (no build needed)`);
        return;
      }
      log(`the prebuilt addon in ${prebuilt.dir} does not load here, so building from source:\n${smoke.error}`);
    } else if (prebuilt?.addon) {
      log(`${prebuilt.name} is version ${prebuilt.version}, not ${ownVersion}; building from source`);
    } else if (PREBUILT_PLATFORMS.includes(id)) {
      if (!prebuilt && !devCheckout()) {
        log(`${platformPackageName()} (the prebuilt addon) is not installed (were optional dependencies omitted?); building from source`);
      }
    } else {
      log(
        `no prebuilt addon for ${id} (prebuilts: ${PREBUILT_PLATFORMS.join(', ')}); building from source. ` +
          'At run time, point CAPPY_ORT_LIB at an ONNX Runtime >= 1.29 shared library for this platform.',
      );
    }
  } else {
    log('building from source (forced)');
  }
  const addon = buildFromSource({ debug: args.has('--debug') });
  const smoke = smokeTestAddon(addon);
  if (!smoke.ok) throw new Error(`the addon just built at ${addon} does not load:\n${smoke.error}`);
  log(`the addon is ready: ${addon}`);
}

if (process.argv[1] && resolve(process.argv[1]) === here) {
  try {
    install(new Set(process.argv.slice(2)));
  } catch (e) {
    console.error(`cappy-engine: ${e.message}`);
    console.error(
      'cappy-engine: no working native addon. Install the missing pieces above, then run ' +
        `\`node ${join(packageRoot, 'scripts', 'build-native.mjs')} --force\` (see the README, "Install").`,
    );
    process.exit(1);
  }
}
