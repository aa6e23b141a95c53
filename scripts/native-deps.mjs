#!/usr/bin/env node
// Where a source build finds its headers, declared once. Everything is found
// through Node's module resolution from this package (so it works wherever npm
// hoisted the dependencies) or from the running Node; nothing is downloaded.
//   ONNX Runtime C/C++ API: CAPPY_ORT_INCLUDE_DIR, else ONNXRUNTIME_ROOT/include,
//                           else the headers vendored in native/core/third_party
//                           (from the npm package com.github.asus4.onnxruntime)
//   node-addon-api (napi.h): the npm package node-addon-api
//   Node-API C headers:     CAPPY_NODE_INCLUDE_DIR, else npm's nodedir, else the
//                           running Node's <prefix>/include/node, else node-api-headers
//   simdjson (amalgamated simdjson.h + simdjson.cpp, compiled into the core):
//                           CAPPY_SIMDJSON_DIR, else the npm package @nozbe/simdjson
// Used by scripts/build-native.mjs, by CMakeLists.txt when it is run by hand
// (`node scripts/native-deps.mjs ort-include`) and by binding.gyp.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ORT_HEADERS_PACKAGE = 'com.github.asus4.onnxruntime';
export const ORT_HEADERS_VERSION = '0.4.9';
/** Inside that package the headers ship in the iOS framework. */
const ORT_PACKAGE_HEADERS = join('Plugins', 'iOS~', 'onnxruntime.xcframework', 'ios-arm64', 'onnxruntime.framework', 'Headers');

const here = fileURLToPath(import.meta.url);
const requireHere = createRequire(here);

function packageDir(name) {
  try {
    return dirname(requireHere.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** The first folder holding `header`, with where it came from; else undefined. */
function firstWith(header, candidates) {
  for (const [dir, from] of candidates) {
    if (dir && existsSync(join(dir, header))) return { dir: resolve(dir), from };
  }
  return undefined;
}

/**
 * ORT's C and C++ API headers, vendored (MIT, with ORT's LICENSE beside them)
 * at the version the engine loads, so a core build needs no ORT download:
 * the core dlopens ORT at run time and only compiles against these. Copied
 * from the npm package above by `node scripts/native-deps.mjs vendor-ort`;
 * test/model/ort-headers.test.ts checks they are still its bytes.
 */
export const VENDORED_ORT_DIR = join(dirname(dirname(here)), 'native', 'core', 'third_party', 'onnxruntime');
export const VENDORED_ORT_HEADERS = [
  'onnxruntime_c_api.h',
  'onnxruntime_cxx_api.h',
  'onnxruntime_cxx_inline.h',
  'onnxruntime_float16.h',
  'onnxruntime_error_code.h',
  'onnxruntime_ep_c_api.h',
  'onnxruntime_session_options_config_keys.h',
  'onnxruntime_run_options_config_keys.h',
  'onnxruntime_env_config_keys.h',
  'onnxruntime_ep_device_ep_metadata_keys.h',
];

/** The npm package's header folder, when installed. */
export function ortPackageHeaders() {
  const pkg = packageDir(ORT_HEADERS_PACKAGE);
  return pkg && join(pkg, ORT_PACKAGE_HEADERS);
}

/** ONNX Runtime's headers (onnxruntime_cxx_api.h). */
export function findOrtHeaders(env = process.env) {
  const root = env.ONNXRUNTIME_ROOT;
  return firstWith('onnxruntime_cxx_api.h', [
    [env.CAPPY_ORT_INCLUDE_DIR, 'CAPPY_ORT_INCLUDE_DIR'],
    [root && join(root, 'include'), 'ONNXRUNTIME_ROOT'],
    [root && join(root, 'include', 'onnxruntime'), 'ONNXRUNTIME_ROOT'],
    [root && join(root, 'include', 'onnxruntime', 'core', 'session'), 'ONNXRUNTIME_ROOT'],
    [join(VENDORED_ORT_DIR, 'include'), 'native/core/third_party/onnxruntime'],
  ]);
}

/** Copies the headers and ORT's LICENSE from the npm package into VENDORED_ORT_DIR. */
function vendorOrt() {
  const from = ortPackageHeaders();
  if (!from) throw new Error(`cappy-engine: ${ORT_HEADERS_PACKAGE} is not installed; run npm install first`);
  mkdirSync(join(VENDORED_ORT_DIR, 'include'), { recursive: true });
  for (const h of VENDORED_ORT_HEADERS) copyFileSync(join(from, h), join(VENDORED_ORT_DIR, 'include', h));
  copyFileSync(join(packageDir(ORT_HEADERS_PACKAGE), 'LICENSE'), join(VENDORED_ORT_DIR, 'LICENSE'));
  return VENDORED_ORT_DIR;
}

/** node-addon-api's napi.h. */
export function findNapiHeaders() {
  return firstWith('napi.h', [[packageDir('node-addon-api'), 'node-addon-api']]);
}

export const SIMDJSON_PACKAGE = '@nozbe/simdjson';

/** simdjson's amalgamation (simdjson.h beside simdjson.cpp). */
export function findSimdjson(env = process.env) {
  const pkg = packageDir(SIMDJSON_PACKAGE);
  const hit = firstWith('simdjson.h', [
    [env.CAPPY_SIMDJSON_DIR, 'CAPPY_SIMDJSON_DIR'],
    [pkg && join(pkg, 'src'), SIMDJSON_PACKAGE],
  ]);
  return hit && existsSync(join(hit.dir, 'simdjson.cpp')) ? hit : undefined;
}

/** Node-API's C headers (node_api.h). */
export function findNodeHeaders(env = process.env) {
  const nodedir = env.npm_config_nodedir;
  const prefix = dirname(dirname(process.execPath));
  const headersPkg = packageDir('node-api-headers');
  return firstWith('node_api.h', [
    [env.CAPPY_NODE_INCLUDE_DIR, 'CAPPY_NODE_INCLUDE_DIR'],
    [nodedir && join(nodedir, 'include', 'node'), 'npm nodedir'],
    [join(prefix, 'include', 'node'), `Node ${process.version} (${prefix})`],
    [headersPkg && join(headersPkg, 'include'), 'node-api-headers'],
  ]);
}

/** How to get each missing piece, for the messages of the build and the loader. */
export const HOW_TO_GET = {
  ort:
    `ONNX Runtime headers: \`npm install ${ORT_HEADERS_PACKAGE}@${ORT_HEADERS_VERSION}\` beside cappy-engine, ` +
    'or set ONNXRUNTIME_ROOT (an ORT release folder with include/) or CAPPY_ORT_INCLUDE_DIR',
  napi: '`npm install node-addon-api` beside cappy-engine',
  simdjson: `simdjson: \`npm install ${SIMDJSON_PACKAGE}\` beside cappy-engine, or CAPPY_SIMDJSON_DIR (a folder with simdjson.h and simdjson.cpp)`,
  node: 'Node-API headers: a Node install with include/node (official builds have it), `npm install node-api-headers`, or CAPPY_NODE_INCLUDE_DIR',
};

/** The first line of `cmd --version`, or undefined when it does not run. */
export function commandVersion(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0] : undefined;
}

/** Every header folder a source build needs, cmake's version, and what is missing (each with how to get it). */
export function sourceBuildPrerequisites(env = process.env) {
  const headers = { ort: findOrtHeaders(env), napi: findNapiHeaders(), node: findNodeHeaders(env), simdjson: findSimdjson(env) };
  const cmake = commandVersion('cmake');
  const missing = Object.entries(headers)
    .filter(([, v]) => !v)
    .map(([k]) => HOW_TO_GET[k]);
  if (!cmake) missing.unshift('cmake >= 3.15 and a C++17 compiler (for example `apt-get install cmake g++`)');
  return { headers, cmake, missing };
}

// CLI: print one folder (for CMake and binding.gyp), or fail saying how to get it.
// `simdjson --relative` prints it relative to the working directory (gyp
// misplaces the objects of sources given by absolute path).
if (process.argv[1] && resolve(process.argv[1]) === here) {
  const what = process.argv[2];
  if (what === 'vendor-ort') {
    process.stdout.write(vendorOrt() + '\n');
    process.exit(0);
  }
  const keys = { 'ort-include': 'ort', 'napi-include': 'napi', 'node-include': 'node', simdjson: 'simdjson' };
  const find = { 'ort-include': findOrtHeaders, 'napi-include': findNapiHeaders, 'node-include': findNodeHeaders, simdjson: findSimdjson }[
    what
  ];
  if (!find) {
    console.error('usage: node scripts/native-deps.mjs ort-include|napi-include|node-include|simdjson [--relative] | vendor-ort');
    process.exit(2);
  }
  const hit = find();
  if (!hit) {
    console.error(`cappy-engine: not found: ${HOW_TO_GET[keys[what]]}`);
    process.exit(1);
  }
  process.stdout.write(process.argv[3] === '--relative' ? relative(process.cwd(), hit.dir) || '.' : hit.dir);
}
