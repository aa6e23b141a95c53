// Lists the addon's C++ sources for binding.gyp, which cannot glob by itself.
// CMakeLists.txt globs the same folders, so both builds compile one file set.
const { readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.cc') ? [join(dir, e.name)] : [],
  );
}
const which = process.argv[2];
const dirs = which === 'core' ? ['native/core'] : ['native/node'];
const files = dirs.flatMap((d) => walk(join(root, d))).map((f) => relative(root, f).split('\\').join('/'));
process.stdout.write(files.sort().join('\n'));
