#!/usr/bin/env bash
# libFuzzer run of the C++ tokenizer under ASan + UBSan (native/fuzz).
#   scripts/fuzz.sh [SECONDS]        default 20: the short CI run
#   scripts/fuzz.sh 600              the long run (10 minutes)
# Needs clang (apt-get install clang). Builds into build-fuzz/, keeps the
# corpus in build-fuzz/corpus (seeded from test strings) so runs build on each
# other, and fails on any crash, leak or sanitizer report.
set -euo pipefail
SECONDS_TO_RUN="${1:-20}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-fuzz"
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is needed (apt-get install clang)" >&2; exit 1; }
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCAPPY_FUZZ=ON -DCAPPY_BUILD_TESTS=OFF -DCAPPY_WARNINGS_AS_ERRORS=OFF >/dev/null
cmake --build "$BUILD" --target cappy_tokenizer_fuzz --parallel "$(nproc)"
SPEC="$BUILD/roberta-tokenizer.json"
[ -s "$SPEC" ] && [ -s "$SPEC.seed-json-unigram" ] || (cd "$ROOT" && npx tsx native/fuzz/make-spec.ts "$SPEC")
CORPUS="$BUILD/corpus"
mkdir -p "$CORPUS"
if [ -z "$(ls -A "$CORPUS")" ]; then
  # Seeds: text, code, CJK, emoji, specials, whitespace runs, in config bytes
  # covering BPE, WordPiece (08/89), Unigram (0a..0f) and the input-charsmap
  # configuration (10) of 18; tokenizer.json files seed the JSON one (11).
  i=0
  for s in 'Hello <mask> world' "I'M we're it's" 'def f(x):\n\treturn x  # hi' '中文分词 日本語 한국어' '👨‍👩‍👧‍👦 🏳️‍🌈 e\xcc\x81t' \
           '<s></s><pad>   \t\t a' 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'; do
    for c in 00 81 02 83 04 85 06 87 08 89 0a 8b 0c 8d 0e 8f 10; do printf "\\x$c$s" > "$CORPUS/seed-$i-$c"; done
    i=$((i + 1))
  done
  cp "$SPEC.seed-charsmap" "$CORPUS/seed-charsmap"
fi
# Added after the corpus first existed: seed an older corpus too.
for f in "$SPEC".seed-json-*; do [ -e "$CORPUS/$(basename "$f")" ] || cp "$f" "$CORPUS/"; done
export CAPPY_FUZZ_SPEC="$SPEC"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
cd "$BUILD"
./cappy_tokenizer_fuzz -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 "$CORPUS"
