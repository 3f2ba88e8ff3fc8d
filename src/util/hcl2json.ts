// HashiCorp's HCL2 parser (Go compiled to WebAssembly, shipped by @cdktf/hcl2json), run on a
// thread of its own (hcl2json-worker.js): loading it and each parse are synchronous wasm, which on
// the main thread held back the base image's upload. The package's own entry point reads its wasm
// relative to its install folder, which a bundled action has not; so the worker runs the same wasm
// through the package's Go runtime glue, read from next to dist/index.js (`npm run package` puts
// it there, decompressed) or, unbundled (tests, ts-node), from node_modules (gzipped).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ExpressionType } from '@cdktf/hcl2json/lib/syntax-tree';

export const BUNDLED_WASM_NAME = 'hcl2json.wasm';
/** The worker's file: the source next to this one, or its bundle next to dist/index.js. */
export const WORKER_FILE = 'hcl2json-worker.js';

type Call = 'parse' | 'getExpressionAst';

interface Answer {
  id: number;
  error?: string;
  result?: string;
}

function wasmPath(): string {
  const bundled = path.join(__dirname, BUNDLED_WASM_NAME);
  if (existsSync(bundled)) return bundled;
  return path.join(path.dirname(require.resolve('@cdktf/hcl2json/package.json')), 'main.wasm.gz');
}

/** The parser's thread; it holds the process open only while a call waits for it. */
class HclThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (json: string) => void; reject: (error: Error) => void }
  >();
  private next = 0;
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(path.join(__dirname, WORKER_FILE), {
      workerData: { wasm: wasmPath() },
    });
    this.worker.on('message', (answer: Answer) => {
      const call = this.waiting.get(answer.id);
      if (!call) return;
      this.waiting.delete(answer.id);
      this.holdWhileWaiting();
      if (answer.error !== undefined) call.reject(new Error(answer.error));
      else call.resolve(answer.result ?? 'null');
    });
    this.worker.on('error', (error: Error) =>
      this.fail(new Error(`the HCL parser failed: ${error.message}`)),
    );
    this.worker.on('exit', (code: number) =>
      this.fail(new Error(`the HCL parser stopped (exit code ${code})`)),
    );
    // After the listeners: adding a 'message' listener refs the thread again.
    this.worker.unref();
  }

  call(name: Call, filename: string, text: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.waiting.set(id, { resolve, reject });
      this.holdWhileWaiting();
      this.worker.postMessage({ id, name, filename, text });
    });
  }

  stop(): void {
    this.fail(new Error('the HCL parser was released'));
    void this.worker.terminate();
  }

  private holdWhileWaiting(): void {
    if (this.waiting.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const call of this.waiting.values()) call.reject(this.failure);
    this.waiting.clear();
    this.holdWhileWaiting();
  }
}

let thread: HclThread | undefined;

/**
 * Starts the parser's thread ahead of the first parse: its start-up (Node's, the wasm's) then
 * overlaps the main thread's own, which reads the inputs and starts the base's upload meanwhile.
 */
export function startHclParser(): void {
  thread ??= new HclThread();
}

/**
 * Stops the parser's thread (its compiled code and the Go heap, ~50 MB) before the memory-hungry
 * phases; a later parse starts it again.
 */
export function releaseHclParser(): void {
  thread?.stop();
  thread = undefined;
}

async function call(name: Call, filename: string, text: string): Promise<unknown> {
  thread ??= new HclThread();
  return JSON.parse(await thread.call(name, filename, text));
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
