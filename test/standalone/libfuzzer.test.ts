// The short libFuzzer run in CI: scripts/fuzz.sh builds the C++ tokenizer
// with ASan + UBSan into build-fuzz/ and fuzzes all 18 configurations
// (BPE, WordPiece, Unigram with Precompiled/Nmt, a charsmap taken from the
// input, a whole tokenizer.json taken from the input) for CAPPY_LIBFUZZER_SECONDS (default 20). Any crash, leak or
// sanitizer report fails it. Skipped, saying why, where clang++ is missing
// or cannot link a fuzz target (libFuzzer is clang's); the long run is `npm run fuzz -- 600`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// clang++ alone is not enough: libFuzzer's runtime comes from a separate
// package (Debian's libclang-rt-<v>-dev). Link an empty fuzz target first, so a
// missing runtime skips with its reason instead of failing as if our code broke.
function fuzzToolchain(): string | undefined {
  if (spawnSync('clang++', ['--version']).status !== 0) return 'clang++ not found';
  const dir = mkdtempSync(join(tmpdir(), 'cappy-fuzz-probe-'));
  try {
    const src = join(dir, 'probe.cc');
    writeFileSync(src, 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n');
    const r = spawnSync('clang++', ['-fsanitize=fuzzer,address,undefined', src, '-o', join(dir, 'probe')], { encoding: 'utf8' });
    if (r.status !== 0) return `clang++ cannot link a libFuzzer target (install libclang-rt-dev): ${r.stderr.trim().split('\n').pop()}`;
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const missing = fuzzToolchain();
if (missing) console.log(`libfuzzer.test: ${missing}; the short libFuzzer run is skipped`);

describe.skipIf(missing !== undefined)('libFuzzer (ASan + UBSan) short run', () => {
  it('finds no crash, leak or sanitizer report', () => {
    const seconds = process.env.CAPPY_LIBFUZZER_SECONDS ?? '20';
    const r = spawnSync('bash', ['scripts/fuzz.sh', seconds], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const out = `${r.stdout}\n${r.stderr}`;
    const done = /Done (\d+) runs in (\d+) second/.exec(out);
    console.log(`libFuzzer: ${done ? `${done[1]} runs in ${done[2]} s` : 'no summary'}, exit ${r.status}`);
    if (r.status !== 0) console.log(out.slice(-4000));
    expect(r.status).toBe(0);
    expect(Number(done?.[1] ?? 0)).toBeGreaterThan(0);
  }, 900_000);
});
