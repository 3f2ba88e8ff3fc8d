// The HCL parser's thread: HashiCorp's HCL2 parser (Go compiled to WebAssembly, shipped by
// @cdktf/hcl2json) runs here, off the main thread, which streams the base image meanwhile: its
// start (the Go runtime, ~20 ms) and each parse are synchronous wasm, and on the main thread they
// held the base's upload still (npm run bench, buildah comparison; CPU profile).
// Plain JavaScript so it runs as is from src/ (tests, ts-node); `npm run package` bundles it next
// to dist/index.js (scripts/package-hcl-parser.js). hcl2json.ts sends the wasm's path.
'use strict';
const { readFileSync } = require('node:fs');
const v8 = require('node:v8');
const { parentPort, workerData } = require('node:worker_threads');
const { gunzipSync } = require('node:zlib');

// Defines globalThis.Go, the runtime the wasm was compiled against.
require('@cdktf/hcl2json/wasm/bridge_wasm_exec.js');

// V8 compiles wasm twice by default (a quick tier, then an optimised one) and keeps both for as
// long as the instance lives: ~45 MB more for this 6.5 MB module, for a few short parses.
v8.setFlagsFromString('--liftoff-only');

const file = workerData.wasm;
const bytes = file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file);
const go = new globalThis.Go();
// The Go program registers its functions on this object when it starts.
const bridge = {};
globalThis.__parse_terraform_config_wasm__ = bridge;
const started = WebAssembly.instantiate(bytes, go.importObject).then(({ instance }) => {
  void go.run(instance);
  if (typeof bridge.parse !== 'function') throw new Error('the HCL parser did not start');
});

parentPort.on('message', ({ id, name, filename, text }) => {
  started.then(
    () =>
      bridge[name](filename, text, (error, result) =>
        parentPort.postMessage({ id, error: error ?? undefined, result }),
      ),
    (error) => parentPort.postMessage({ id, error: String(error?.message ?? error) }),
  );
});
