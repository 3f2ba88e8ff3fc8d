// Full garbage collections while the phases that stream a whole migration directory run (read and
// verify, layer build, push). V8 collects when its heuristics say so: while 200 MB stream through
// 64 KiB buffers, dead buffers, the released HCL parser and the young generation pile up, and the
// peak RSS of a 200 MB migration directory went past 200 MB (measured: npm run bench, memory and
// scale). The runner starts node without flags, so `gc` is exposed at run time; a full collection
// of this ~50 MB heap takes a few tens of milliseconds, every COLLECT_EVERY_MS.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

export const COLLECT_EVERY_MS = 300;

/** Runs `work` with a full collection every COLLECT_EVERY_MS, and one when it ends. */
export async function collectingGarbage<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(collectGarbage, COLLECT_EVERY_MS);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    collectGarbage();
  }
}
