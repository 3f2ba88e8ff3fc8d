// Puts the HCL parser's wasm next to dist/index.js, where src/util/hcl2json.ts looks for it.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(
  path.dirname(require.resolve('@cdktf/hcl2json/package.json')),
  'main.wasm.gz',
);
// An output folder other than dist/ comes as the argument (scripts/package-to.sh).
const outputDir = process.argv[2] ?? path.join(__dirname, '..', 'dist');
fs.copyFileSync(source, path.join(outputDir, 'hcl2json.wasm.gz'));
