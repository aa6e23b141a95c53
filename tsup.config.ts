import { defineConfig } from 'tsup';

// ESM is the primary build; the CJS build serves require() users. The server
// is its own entry (cappy-engine/server), so importing the scorer does not
// load Fastify. `shims` gives the CJS build a working import.meta.url, which
// lib/native.ts uses to find the addon.
export default defineConfig({
  entry: { index: 'lib/index.ts', server: 'lib/server/index.ts', cli: 'lib/cli/index.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'lib/index.ts', server: 'lib/server/index.ts' } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
});
