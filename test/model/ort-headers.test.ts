// The ORT headers the core compiles against are vendored
// (native/core/third_party/onnxruntime, MIT): they must stay byte for byte
// the npm package's, carry ORT's license, and speak the API version of the
// ORT that actually runs (a newer header would ask the library for an API it
// lacks; an older one would miss what the core calls).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { ortPackageHeaders, VENDORED_ORT_DIR, VENDORED_ORT_HEADERS } from '../../scripts/native-deps.mjs';

describe('vendored ONNX Runtime headers', () => {
  it("are the npm package's, with ORT's MIT license beside them", () => {
    const from = ortPackageHeaders();
    expect(from && existsSync(from)).toBeTruthy();
    for (const h of VENDORED_ORT_HEADERS) {
      expect(readFileSync(join(VENDORED_ORT_DIR, 'include', h)).equals(readFileSync(join(from!, h))), h).toBe(true);
    }
    expect(readFileSync(join(VENDORED_ORT_DIR, 'LICENSE'), 'utf8')).toMatch(/^MIT License\s+Copyright \(c\) Microsoft Corporation/);
  });

  it('speak the API version of the ORT that runs', async () => {
    const api = /#define ORT_API_VERSION (\d+)/.exec(readFileSync(join(VENDORED_ORT_DIR, 'include', 'onnxruntime_c_api.h'), 'utf8'));
    const scorer = await Scorer.load(inject('tinyModelDir'));
    try {
      expect(Number(api?.[1])).toBe(Number(scorer.info.ort.version.split('.')[1]));
    } finally {
      await scorer.dispose();
    }
  });
});
