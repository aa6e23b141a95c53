// `npm run lint:cpp` / `npm run format:cpp`: clang-format over the C and C++
// files of native/ and examples/ (not the vendored ORT headers), with the
// repository's .clang-format. Where clang-format is not installed (CI has
// none) the check says so and passes: the C++ style is a developer's check.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');
const binary = process.env.CLANG_FORMAT || 'clang-format';

const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  console.log(`lint:cpp skipped: ${binary} is not installed (apt-get install clang-format)`);
  process.exit(0);
}
const listed = spawnSync(
  'git',
  ['ls-files', '--', 'native/*.cc', 'native/*.h', 'native/*.hpp', 'native/*.c', 'examples/*.c', 'examples/*.cc', 'examples/*.h'],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
if (listed.status !== 0) {
  console.error(`lint:cpp: git ls-files failed: ${listed.stderr}`);
  process.exit(2);
}
const files = listed.stdout.split('\n').filter((f) => f !== '' && !f.includes('/third_party/'));
const args = write ? ['-i', ...files] : ['--dry-run', '--Werror', ...files];
const run = spawnSync(binary, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (run.status !== 0) {
  const bad = new Set([...run.stderr.matchAll(/^([^:\n]+):\d+:\d+: (?:error|warning)/gm)].map((m) => m[1]));
  console.error(run.stderr.split('\n').slice(0, 40).join('\n'));
  console.error(
    `lint:cpp: ${bad.size} of ${files.length} files are not clang-formatted (${version.stdout.trim()}); npm run format:cpp rewrites them`,
  );
  process.exit(1);
}
console.log(`lint:cpp: ${files.length} files ${write ? 'formatted' : 'clang-formatted'} (${version.stdout.trim()})`);
