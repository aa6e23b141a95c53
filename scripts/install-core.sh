#!/usr/bin/env bash
# Builds the native core alone (no Node, no node_modules needed) and installs
# it, then builds the C example against that install only and puts it in
# PREFIX/bin:
#
#   scripts/install-core.sh [--dry-run] PREFIX [ORT]
#
# PREFIX/lib/libcappy.so and libcappy.a (the C ABI), PREFIX/include/cappy/,
# PREFIX/lib/cmake/cappy (find_package(cappy)), PREFIX/lib/pkgconfig/cappy.pc
# and cappy-static.pc, PREFIX/bin/cappy-score. These are the commands
# docs/embedding.md lists. --dry-run prints them and what was found, and
# builds nothing.
#
# ONNX Runtime: the core compiles against ORT's API headers vendored in
# native/core/third_party (no ORT download) and loads the library at run time.
# ORT, optional: a libonnxruntime.so (installed beside libcappy as
# libonnxruntime.so.1, and loaded by default) or an ORT release folder
# (include/ and lib/; its library is loaded from there). Default:
# $ONNXRUNTIME_ROOT, else the ORT 1.29 library npm installed next to this
# source (a clone after `npm install`: com.github.asus4.onnxruntime; an
# installed cappy-engine: its platform package @cappy-engine/linux-x64-gnu),
# installed beside libcappy; else none, and libcappy loads CAPPY_ORT_LIB or
# the soname libonnxruntime.so.1.
# simdjson (compiled into libcappy): CAPPY_SIMDJSON_DIR (a folder with the
# amalgamated simdjson.h and simdjson.cpp), else npm's @nozbe/simdjson next to
# this source, else find_package(simdjson) (Debian: libsimdjson-dev; libcappy
# then needs libsimdjson.so at run time, and cappy.pc / cappyConfig.cmake
# declare it).
# Environment: CAPPY_BUILD_DIR (default: a temporary folder, removed after), CAPPY_JOBS.
set -euo pipefail

dry_run=0
if [[ "${1:-}" == "--dry-run" ]]; then
  dry_run=1
  shift
fi
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 [--dry-run] PREFIX [ORT_LIBRARY_OR_ROOT]" >&2
  exit 2
fi
prefix_arg=$1
ort=${2:-${ONNXRUNTIME_ROOT:-}}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${CAPPY_JOBS:-$(nproc 2>/dev/null || echo 2)}

# The first node_modules/<rel> in this source folder or above it, as Node's
# module resolution would find an installed package (hoisted or nested).
find_in_node_modules() {
  local rel=$1 dir=$source_dir
  while :; do
    if [[ "$(basename "$dir")" != node_modules && -e "$dir/node_modules/$rel" ]]; then
      echo "$dir/node_modules/$rel"
      return 0
    fi
    [[ "$dir" == / ]] && return 1
    dir=$(dirname "$dir")
  done
}

core_args=(-DCMAKE_BUILD_TYPE=Release -DCAPPY_CORE_ONLY=ON -DCAPPY_BUILD_TESTS=OFF -DCAPPY_INSTALL=ON)
ort_note=""
if [[ -n "$ort" && -d "$ort" ]]; then
  ort=$(cd "$ort" && pwd)
  core_args+=("-DONNXRUNTIME_ROOT=$ort")
  ort_note="ORT release folder $ort (headers and library from there)"
elif [[ -n "$ort" ]]; then
  [[ -f "$ort" ]] || { echo "install-core.sh: no such ONNX Runtime library: $ort" >&2; exit 2; }
  ort="$(cd "$(dirname "$ort")" && pwd)/$(basename "$ort")"
  core_args+=("-DCAPPY_INSTALL_ORT_LIBRARY=$ort")
  ort_note="$ort, installed beside libcappy"
else
  for rel in com.github.asus4.onnxruntime/Plugins/Linux/x64/libonnxruntime.so @cappy-engine/linux-x64-gnu/libonnxruntime.so; do
    if lib=$(find_in_node_modules "$rel"); then
      core_args+=("-DCAPPY_INSTALL_ORT_LIBRARY=$lib")
      pkg=$(dirname "$lib")
      [[ "$rel" == com.github* ]] && pkg=$(dirname "$(dirname "$(dirname "$pkg")")")
      for notices in "$pkg/ThirdPartyNotices.txt" "$pkg/ONNXRUNTIME-ThirdPartyNotices.txt"; do
        [[ -f "$notices" ]] && core_args+=("-DCAPPY_INSTALL_ORT_NOTICES=$notices") && break
      done
      ort_note="$lib (npm), installed beside libcappy"
      break
    fi
  done
fi
[[ -n "$ort_note" ]] || ort_note="none found: libcappy will load CAPPY_ORT_LIB, else libonnxruntime.so.1 from the loader's path"

simdjson=${CAPPY_SIMDJSON_DIR:-}
if [[ -z "$simdjson" ]] && found=$(find_in_node_modules @nozbe/simdjson/src/simdjson.cpp); then
  simdjson=$(dirname "$found")
fi
if [[ -n "$simdjson" ]]; then
  core_args+=("-DCAPPY_SIMDJSON_DIR=$simdjson")
fi

echo "install-core.sh: ONNX Runtime: $ort_note" >&2
echo "install-core.sh: simdjson: ${simdjson:-find_package(simdjson)}" >&2
if [[ $dry_run == 1 ]]; then
  echo "cmake -S $source_dir -B BUILD/core ${core_args[*]} -DCMAKE_INSTALL_PREFIX=$prefix_arg"
  exit 0
fi

prefix=$(mkdir -p "$prefix_arg" && cd "$prefix_arg" && pwd)
core_args+=("-DCMAKE_INSTALL_PREFIX=$prefix")
if [[ -n "${CAPPY_BUILD_DIR:-}" ]]; then
  build_dir=$CAPPY_BUILD_DIR
else
  build_dir=$(mktemp -d)
  trap 'rm -rf "$build_dir"' EXIT
fi

set -x
cmake -S "$source_dir" -B "$build_dir/core" "${core_args[@]}"
cmake --build "$build_dir/core" --parallel "$jobs"
cmake --install "$build_dir/core"
cmake -S "$source_dir/examples/c" -B "$build_dir/example-c" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_PREFIX_PATH=$prefix" "-DCMAKE_INSTALL_PREFIX=$prefix"
cmake --build "$build_dir/example-c" --parallel "$jobs"
cmake --install "$build_dir/example-c"
