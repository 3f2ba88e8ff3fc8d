// Puts the HCL parser's wasm next to dist/index.js, where src/util/hcl2json.ts looks for it.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(
  path.dirname(require.resolve('@cdktf/hcl2json/package.json')),
  'main.wasm.gz',
);
fs.copyFileSync(source, path.join(__dirname, '..', 'dist', 'hcl2json.wasm.gz'));
