// HashiCorp's HCL2 parser (Go compiled to WebAssembly, shipped by @cdktf/hcl2json), loaded by us.
// The package's own entry point reads its wasm file relative to its install folder as soon as it is
// imported, and a bundled action has no such folder; so we run the same wasm through the package's
// Go runtime glue and read the wasm from next to dist/index.js (`npm run package` puts it there,
// decompressed) or, unbundled (tests, ts-node), from node_modules (gzipped).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { gunzipSync } from 'node:zlib';
import type { ExpressionType } from '@cdktf/hcl2json/lib/syntax-tree';

export const BUNDLED_WASM_NAME = 'hcl2json.wasm';

type Callback = (error: string | null, result?: string) => void;
interface HclBridge {
  parse(filename: string, contents: string, callback: Callback): void;
  getExpressionAst(filename: string, expression: string, callback: Callback): void;
}
interface GoRuntime {
  importObject: object;
  run(instance: object): Promise<void>;
}
// Node has WebAssembly built in; the project's TypeScript lib (no DOM) does not declare it.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object }>;
};

let bridge: Promise<HclBridge> | undefined;

function wasmBytes(): Buffer {
  const bundled = path.join(__dirname, BUNDLED_WASM_NAME);
  if (existsSync(bundled)) return readFileSync(bundled);
  const packaged = path.dirname(require.resolve('@cdktf/hcl2json/package.json'));
  return gunzipSync(readFileSync(path.join(packaged, 'main.wasm.gz')));
}

async function load(): Promise<HclBridge> {
  // Defines globalThis.Go, the runtime the wasm was compiled against.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@cdktf/hcl2json/wasm/bridge_wasm_exec.js');
  const globals = globalThis as unknown as {
    Go: new () => GoRuntime;
    __parse_terraform_config_wasm__?: Partial<HclBridge>;
  };
  const go = new globals.Go();
  // V8 compiles wasm twice by default (a quick tier, then an optimised one) and keeps both for as
  // long as the instance lives: ~45 MB more for this 6.5 MB module, for a few short parses.
  v8.setFlagsFromString('--liftoff-only');
  const { instance } = await WebAssembly.instantiate(wasmBytes(), go.importObject);
  const root: Partial<HclBridge> = {};
  // The Go program registers its functions on this object when it starts.
  globals.__parse_terraform_config_wasm__ = root;
  void go.run(instance);
  if (typeof root.parse !== 'function') throw new Error('the HCL parser did not start');
  return root as HclBridge;
}

/**
 * Drops the parser so the collector can reclaim it (its compiled code and the Go heap, ~50 MB)
 * before the memory-hungry phases; a later parse loads it again.
 */
export function releaseHclParser(): void {
  bridge = undefined;
  delete (globalThis as { __parse_terraform_config_wasm__?: unknown })
    .__parse_terraform_config_wasm__;
}

async function call(name: keyof HclBridge, filename: string, text: string): Promise<unknown> {
  bridge ??= load();
  const hcl = await bridge;
  const json = await new Promise<string>((resolve, reject) =>
    hcl[name](filename, text, (error, result) =>
      error ? reject(new Error(error)) : resolve(result ?? 'null'),
    ),
  );
  return JSON.parse(json);
}

/** Parses HCL text into its JSON form; rejects with HCL's diagnostics ("parse config: [...]"). */
export async function parse(filename: string, contents: string): Promise<Record<string, unknown>> {
  return (await call('parse', filename, contents)) as Record<string, unknown>;
}

/** The syntax tree of one HCL expression, or null. */
export async function getExpressionAst(
  filename: string,
  expression: string,
): Promise<ExpressionType | null> {
  return ((await call('getExpressionAst', filename, expression)) as ExpressionType | null) ?? null;
}
