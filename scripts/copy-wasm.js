// Puts the HCL parser's wasm next to dist/index.js, where src/util/hcl2json.ts looks for it:
// decompressed, so a run does not gunzip 6.5 MB before its first parse (~13 ms of CPU while the
// base image streams; npm run bench). The action's download is no bigger: GitHub fetches an
// action as a compressed archive, and git stores the file compressed.
const fs = require('node:fs');
const path = require('node:path');
const { gunzipSync } = require('node:zlib');

const source = path.join(
  path.dirname(require.resolve('@cdktf/hcl2json/package.json')),
  'main.wasm.gz',
);
// An output folder other than dist/ comes as the argument (scripts/package-to.sh).
const outputDir = process.argv[2] ?? path.join(__dirname, '..', 'dist');
fs.writeFileSync(path.join(outputDir, 'hcl2json.wasm'), gunzipSync(fs.readFileSync(source)));
fs.rmSync(path.join(outputDir, 'hcl2json.wasm.gz'), { force: true });
