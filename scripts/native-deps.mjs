#!/usr/bin/env node
// Where a source build finds its headers, declared once. Everything is found
// through Node's module resolution from this package (so it works wherever npm
// hoisted the dependencies) or from the running Node; nothing is downloaded.
//   ONNX Runtime C/C++ API: CAPPY_ORT_INCLUDE_DIR, else ONNXRUNTIME_ROOT/include,
//                           else the npm package com.github.asus4.onnxruntime
//   node-addon-api (napi.h): the npm package node-addon-api
//   Node-API C headers:     CAPPY_NODE_INCLUDE_DIR, else npm's nodedir, else the
//                           running Node's <prefix>/include/node, else node-api-headers
//   simdjson (amalgamated simdjson.h + simdjson.cpp, compiled into the core):
//                           CAPPY_SIMDJSON_DIR, else the npm package @nozbe/simdjson
// Used by scripts/build-native.mjs, by CMakeLists.txt when it is run by hand
// (`node scripts/native-deps.mjs ort-include`) and by binding.gyp.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** ONNX Runtime's headers (onnxruntime_cxx_api.h). */
export function findOrtHeaders(env = process.env) {
  const root = env.ONNXRUNTIME_ROOT;
  const pkg = packageDir(ORT_HEADERS_PACKAGE);
  return firstWith('onnxruntime_cxx_api.h', [
    [env.CAPPY_ORT_INCLUDE_DIR, 'CAPPY_ORT_INCLUDE_DIR'],
    [root && join(root, 'include'), 'ONNXRUNTIME_ROOT'],
    [root && join(root, 'include', 'onnxruntime'), 'ONNXRUNTIME_ROOT'],
    [root && join(root, 'include', 'onnxruntime', 'core', 'session'), 'ONNXRUNTIME_ROOT'],
    [pkg && join(pkg, ORT_PACKAGE_HEADERS), ORT_HEADERS_PACKAGE],
  ]);
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
  const keys = { 'ort-include': 'ort', 'napi-include': 'napi', 'node-include': 'node', simdjson: 'simdjson' };
  const find = { 'ort-include': findOrtHeaders, 'napi-include': findNapiHeaders, 'node-include': findNodeHeaders, simdjson: findSimdjson }[what];
  if (!find) {
    console.error('usage: node scripts/native-deps.mjs ort-include|napi-include|node-include|simdjson [--relative]');
    process.exit(2);
  }
  const hit = find();
  if (!hit) {
    console.error(`cappy-engine: not found: ${HOW_TO_GET[keys[what]]}`);
    process.exit(1);
  }
  process.stdout.write(process.argv[3] === '--relative' ? relative(process.cwd(), hit.dir) || '.' : hit.dir);
}
