#!/usr/bin/env bash
# Builds the native core alone (no Node, no node_modules) and installs it, then
# builds the C example against that install only and puts it in PREFIX/bin:
#
#   scripts/install-core.sh PREFIX [ORT_ROOT]
#
# PREFIX/lib/libcappy.so and libcappy.a (the C ABI), PREFIX/include/cappy/,
# PREFIX/lib/cmake/cappy (find_package(cappy)), PREFIX/lib/pkgconfig/cappy.pc,
# PREFIX/bin/cappy-score. These are the commands docs/embedding.md lists.
#
# ORT_ROOT: an ONNX Runtime release folder (include/ and lib/libonnxruntime.so);
# default: $ONNXRUNTIME_ROOT, else find_package(onnxruntime). Its library's path
# becomes the one libcappy loads when a host names none.
# Environment: CAPPY_SIMDJSON_DIR (a folder with the amalgamated simdjson.h and
# simdjson.cpp; default: find_package(simdjson), Debian's libsimdjson-dev),
# CAPPY_BUILD_DIR (default: a temporary folder, removed after), CAPPY_JOBS.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 PREFIX [ORT_ROOT]" >&2
  exit 2
fi
prefix=$(mkdir -p "$1" && cd "$1" && pwd)
ort_root=${2:-${ONNXRUNTIME_ROOT:-}}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${CAPPY_JOBS:-$(nproc 2>/dev/null || echo 2)}
if [[ -n "${CAPPY_BUILD_DIR:-}" ]]; then
  build_dir=$CAPPY_BUILD_DIR
else
  build_dir=$(mktemp -d)
  trap 'rm -rf "$build_dir"' EXIT
fi

core_args=(-DCMAKE_BUILD_TYPE=Release -DCAPPY_CORE_ONLY=ON -DCAPPY_BUILD_TESTS=OFF -DCAPPY_INSTALL=ON
           "-DCMAKE_INSTALL_PREFIX=$prefix")
[[ -n "$ort_root" ]] && core_args+=("-DONNXRUNTIME_ROOT=$ort_root")
[[ -n "${CAPPY_SIMDJSON_DIR:-}" ]] && core_args+=("-DCAPPY_SIMDJSON_DIR=$CAPPY_SIMDJSON_DIR")

set -x
cmake -S "$source_dir" -B "$build_dir/core" "${core_args[@]}"
cmake --build "$build_dir/core" --parallel "$jobs"
cmake --install "$build_dir/core"
cmake -S "$source_dir/examples/c" -B "$build_dir/example-c" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_PREFIX_PATH=$prefix" "-DCMAKE_INSTALL_PREFIX=$prefix"
cmake --build "$build_dir/example-c" --parallel "$jobs"
cmake --install "$build_dir/example-c"
