// `npm run package`, after ncc: the HCL parser next to dist/index.js, where src/util/hcl2json.ts
// looks for it:
// - hcl2json-worker.js, the parser's thread (src/util/hcl2json-worker.js with the Go runtime glue
//   it requires), bundled by ncc as dist/index.js is; its licenses follow in dist/licenses.txt.
// - hcl2json.wasm, decompressed, so a run does not gunzip 6.5 MB before its first parse (~13 ms
//   of CPU; npm run bench). The action's download is no bigger: GitHub fetches an action as a
//   compressed archive, and git stores the file compressed.
const fs = require('node:fs');
const path = require('node:path');
const { gunzipSync } = require('node:zlib');
const ncc = require('@vercel/ncc');

// An output folder other than dist/ comes as the argument (scripts/package-to.sh).
const outputDir = process.argv[2] ?? path.join(__dirname, '..', 'dist');

async function main() {
  const wasm = path.join(
    path.dirname(require.resolve('@cdktf/hcl2json/package.json')),
    'main.wasm.gz',
  );
  fs.writeFileSync(path.join(outputDir, 'hcl2json.wasm'), gunzipSync(fs.readFileSync(wasm)));
  fs.rmSync(path.join(outputDir, 'hcl2json.wasm.gz'), { force: true });

  const worker = await ncc(path.join(__dirname, '..', 'src', 'util', 'hcl2json-worker.js'), {
    license: 'licenses.txt',
    cache: false,
    quiet: true,
  });
  const unexpected = Object.keys(worker.assets).filter((name) => name !== 'licenses.txt');
  if (unexpected.length > 0) throw new Error(`the HCL worker bundle has assets: ${unexpected}`);
  fs.writeFileSync(path.join(outputDir, 'hcl2json-worker.js'), worker.code);
  // The worker's own packages follow the main bundle's, under a heading naming the file.
  const licensesFile = path.join(outputDir, 'licenses.txt');
  const licenses = fs.readFileSync(licensesFile, 'utf8').trimEnd();
  const workerLicenses = worker.assets['licenses.txt'].source.toString().trim();
  fs.writeFileSync(
    licensesFile,
    `${licenses}\n\n\nPackages bundled in hcl2json-worker.js:\n\n${workerLicenses}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
