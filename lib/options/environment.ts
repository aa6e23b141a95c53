// Every environment variable the engine reads beside its flags' CAPPY_*
// twins, declared once: what it means, its default and whether it is a
// secret. The flags' own variables (CAPPY_<FLAG>, e.g. CAPPY_MAX_BATCH_TOKENS)
// come from the option tables, one per flag. `cappy doctor` lists both
// (values of secrets never: only whether they are set), and
// test/standalone/environment.test.ts fails when lib/, bin/ or scripts/ read a
// variable this table or the option tables do not declare, or when an entry
// here is read nowhere.
//
// The readers stay where the value is used (lib/model/cache.ts reads
// CAPPY_HOME, lib/runtime the ORT ones, scripts/ the build ones, which run
// before any TypeScript is built); each entry says which.
import { ORT_LOAD_MODES } from '../runtime/ort-load.js';
import { boolean, oneOf, text, type OptionSpec } from './spec.js';

export interface EnvironmentVariable {
  readonly help: string;
  readonly defaultText: string;
  /** Where it is read. */
  readonly readBy: string;
  /** When set, the value's check (doctor reports a value it refuses). */
  readonly spec?: OptionSpec<unknown>;
  /** A token: doctor says whether it is set, never what it is. */
  readonly secret?: boolean;
  /** Read when building or installing, not when scoring. */
  readonly build?: boolean;
}

const path = (help: string) => text({ placeholder: 'path', help });

export const ENVIRONMENT = {
  CAPPY_HOME: {
    help: 'cache root: pulled and converted models, the forged default model, ORT copies, TensorRT engines',
    defaultText: '$XDG_CACHE_HOME/cappy, else ~/.cache/cappy',
    readBy: 'lib/model/cache.ts',
    spec: path('cache root'),
  },
  XDG_CACHE_HOME: { help: 'where the cache root goes when CAPPY_HOME is unset', defaultText: '~/.cache', readBy: 'lib/model/cache.ts' },
  CAPPY_ORT_LIB: {
    help: 'the libonnxruntime.so to load (ONNX Runtime 1.29 or newer), e.g. a full GPU build for TensorRT; libcappy (the C ABI) reads it too',
    defaultText: "the platform package's ORT 1.29",
    readBy: 'lib/runtime/ort-library.ts, native/core/capi/c_api.cc',
    spec: path('ORT library'),
  },
  CAPPY_ORT_LOAD: {
    help: 'how ORT is loaded: copy (a renamed copy, isolated from onnxruntime-node), reuse (an ORT already loaded), plain (as installed)',
    defaultText: 'copy',
    readBy: 'lib/runtime/ort-load.ts',
    spec: oneOf(ORT_LOAD_MODES, { help: 'ORT load mode' }),
  },
  CAPPY_ORT_CUDA_EP: {
    help: "the CUDA execution provider library (libonnxruntime_providers_cuda.so) for device 'cuda'",
    defaultText: 'beside the ORT library, else the npm package com.github.asus4.onnxruntime.linux-x64-gpu',
    readBy: 'lib/runtime/execution-provider.ts',
    spec: path('CUDA EP library'),
  },
  CAPPY_CUDA_LIBRARY_PATH: {
    help: 'extra folders (colon-separated) searched for the CUDA, cuDNN and TensorRT libraries',
    defaultText: 'none',
    readBy: 'lib/runtime/execution-provider.ts',
  },
  CUDA_HOME: {
    help: 'a CUDA toolkit root searched for its libraries',
    defaultText: '/usr/local/cuda',
    readBy: 'lib/runtime/execution-provider.ts',
  },
  CUDA_PATH: {
    help: 'as CUDA_HOME (the name Windows-style installs use)',
    defaultText: '/usr/local/cuda',
    readBy: 'lib/runtime/execution-provider.ts',
  },
  CUDA_VISIBLE_DEVICES: {
    help: "the GPUs a process sees: devices 'all' counts these",
    defaultText: 'every GPU',
    readBy: 'lib/scorer/devices.ts',
  },
  CAPPY_ADDON_PATH: {
    help: 'the cappy.node to load instead of a source build in build/ or the prebuilt platform package',
    defaultText: 'build/Release/cappy.node, else @cappy-engine/linux-x64-gnu',
    readBy: 'lib/native.ts',
    spec: path('addon'),
  },
  JOB_COMPLETION_INDEX: {
    help: "this pod's shard index (Kubernetes Indexed Jobs set it), with --shard-count or CAPPY_SHARD_COUNT",
    defaultText: 'none',
    readBy: 'lib/shard/spec.ts',
  },
  HF_TOKEN: {
    help: 'Hugging Face token for gated or private repositories (cappy pull)',
    defaultText: 'none',
    readBy: 'lib/hub/repo.ts',
    secret: true,
  },
  HUGGING_FACE_HUB_TOKEN: {
    help: 'the older name of HF_TOKEN, read when HF_TOKEN is unset',
    defaultText: 'none',
    readBy: 'lib/hub/repo.ts',
    secret: true,
  },
  HF_ENDPOINT: {
    help: 'the hub (or a mirror) cappy pull downloads from',
    defaultText: 'https://huggingface.co',
    readBy: 'lib/hub/repo.ts',
  },
  CAPPY_BUILD_FROM_SOURCE: {
    help: 'npm install builds the addon from source even where the prebuilt one works',
    defaultText: 'false',
    readBy: 'scripts/build-native.mjs',
    spec: boolean({ help: 'source build' }),
    build: true,
  },
  CAPPY_ORT_INCLUDE_DIR: {
    help: "ONNX Runtime's C/C++ headers for a source build",
    defaultText: 'the vendored native/core/third_party/onnxruntime/include',
    readBy: 'scripts/native-deps.mjs',
    build: true,
  },
  ONNXRUNTIME_ROOT: {
    help: 'an ORT release folder: its include/ for a source build; its library for scripts/install-core.sh',
    defaultText: 'none (the vendored headers; the ORT npm installed)',
    readBy: 'scripts/native-deps.mjs, scripts/install-core.sh',
    build: true,
  },
  CAPPY_SIMDJSON_DIR: {
    help: 'a folder with simdjson.h and simdjson.cpp for a source build',
    defaultText: 'the npm package @nozbe/simdjson',
    readBy: 'scripts/native-deps.mjs, scripts/install-core.sh',
    build: true,
  },
  CAPPY_BUILD_DIR: {
    help: 'where scripts/install-core.sh builds libcappy (kept afterwards)',
    defaultText: 'a temporary folder, removed after',
    readBy: 'scripts/install-core.sh',
    build: true,
  },
  CAPPY_JOBS: {
    help: 'parallel compile jobs of scripts/install-core.sh',
    defaultText: 'the core count',
    readBy: 'scripts/install-core.sh',
    build: true,
  },
  CAPPY_NODE_INCLUDE_DIR: {
    help: "Node's headers (node_api.h) for a source build",
    defaultText: "npm's nodedir, else the running Node's include/node, else node-api-headers",
    readBy: 'scripts/native-deps.mjs',
    build: true,
  },
  npm_config_nodedir: {
    help: "npm's --nodedir: Node's source or headers folder for a source build",
    defaultText: 'none',
    readBy: 'scripts/native-deps.mjs',
    build: true,
  },
} as const satisfies Record<string, EnvironmentVariable>;

export type EnvironmentName = keyof typeof ENVIRONMENT;
